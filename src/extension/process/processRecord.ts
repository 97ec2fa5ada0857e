/**
 * process.json: what a window that launched a trainer knows about its process, kept in the run
 * folder (<save_dir>/runs/<run_id>/process.json) so that another window (VS Code reloaded) can
 * find the process again and follow it:
 *
 *   {"pid": 4242, "start_time": "123456", "host": "gpu-box", "backend": "builtin",
 *    "stdout": ".../stdout.log", "stderr": ".../stderr.log", "started": "2026-..."}
 *
 * `start_time` is the process's start in clock ticks since boot (/proc/<pid>/stat, field 22):
 * with the pid it names one process, so a pid recycled after the trainer ended is never taken for
 * it (nor sent Stop's signals). Written once, atomically, by the launching window.
 *
 * console.json beside it (Python runs only) holds how far the window that last followed the run
 * had read stdout.log and stderr.log into events.jsonl, so the next one resumes there.
 *
 * No vscode import (unit-tested). Never throws.
 */

import { readFileSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PROCESS_FILE = 'process.json';
export const CONSOLE_FILE = 'console.json';
export const STDOUT_FILE = 'stdout.log';
export const STDERR_FILE = 'stderr.log';

export type ProcessBackend = 'builtin' | 'python';

export interface ProcessRecord {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot); absent where /proc is not readable. */
  start_time?: string;
  host: string;
  backend: ProcessBackend;
  stdout?: string;
  stderr?: string;
  started: string;
}

export interface ConsoleOffsets {
  stdout: number;
  stderr: number;
}

/**
 * The start time of process `pid` (field 22 of /proc/<pid>/stat), or undefined when it is gone,
 * a zombie, or /proc cannot be read.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // ended, not yet reaped
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** True when /proc can tell process start times on this machine. */
export function canCheckStartTimes(): boolean {
  return processStartTime(process.pid) !== undefined;
}

/**
 * True while the process of a record still runs: same pid and same start time. Where start times
 * cannot be read (no /proc) a live pid has to do. False for another machine's record: nothing
 * here can see it (callers check `host` first).
 */
export function isRecordedProcessAlive(record: ProcessRecord): boolean {
  if (record.host !== os.hostname()) return false;
  if (record.start_time !== undefined && canCheckStartTimes()) return processStartTime(record.pid) === record.start_time;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The record of a process this window just started. */
export function newProcessRecord(pid: number, backend: ProcessBackend, runDir: string): ProcessRecord {
  return {
    pid,
    start_time: processStartTime(pid),
    host: os.hostname(),
    backend,
    stdout: path.join(runDir, STDOUT_FILE),
    stderr: path.join(runDir, STDERR_FILE),
    started: new Date().toISOString(),
  };
}

/** Writes `value` as JSON to `file` atomically (temporary file in the same folder, then rename). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export async function writeProcessRecord(runDir: string, record: ProcessRecord): Promise<void> {
  await writeJsonAtomic(path.join(runDir, PROCESS_FILE), record);
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads and checks process.json; undefined when missing or not a record of this shape. */
export async function readProcessRecord(runDir: string): Promise<ProcessRecord | undefined> {
  const v = await readJson(path.join(runDir, PROCESS_FILE));
  if (v === undefined) return undefined;
  const pid = v['pid'];
  const backend = v['backend'];
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (backend !== 'builtin' && backend !== 'python') return undefined;
  if (typeof v['host'] !== 'string') return undefined;
  const str = (key: string): string | undefined => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
  return {
    pid,
    start_time: str('start_time'),
    host: v['host'],
    backend,
    stdout: str('stdout'),
    stderr: str('stderr'),
    started: str('started') ?? '',
  };
}

export async function readConsoleOffsets(runDir: string): Promise<ConsoleOffsets | undefined> {
  const v = await readJson(path.join(runDir, CONSOLE_FILE));
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return v !== undefined && ok(v['stdout']) && ok(v['stderr']) ? { stdout: v['stdout'], stderr: v['stderr'] } : undefined;
}

export async function writeConsoleOffsets(runDir: string, offsets: ConsoleOffsets): Promise<void> {
  await writeJsonAtomic(path.join(runDir, CONSOLE_FILE), offsets);
}
