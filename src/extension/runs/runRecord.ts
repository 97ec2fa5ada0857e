/**
 * run.json: the small record the trainer keeps in each run folder
 * (<root>/exp/<task>/<exp_id>/runs/<run_id>/run.json). The trainer owns it; the extension only
 * reads it, and finishes it when the trainer could not (killed, crashed): status still
 * "running" after the process is gone. Writes are atomic (temporary file + rename).
 *
 * No vscode import (unit-tested).
 */

import { readFileSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunState } from './runStore';

export const RUN_RECORD_FILE = 'run.json';
export const EVENTS_FILE = 'events.jsonl';

/** The fields the extension reads; the trainer may write more, and they are preserved. */
export interface RunRecord {
  id?: string;
  task?: string;
  exp_id?: string;
  mode?: string;
  argv?: string[];
  pid?: number;
  status?: RunState;
  started?: string;
  ended?: string | null;
  exit_code?: number | null;
  save_dir?: string;
  backend?: string;
  last_epoch?: number | null;
  /** Optional: the config the run was launched from (written by launchers that know it). */
  config?: string;
  [extra: string]: unknown;
}

const STATES: readonly string[] = ['running', 'completed', 'failed', 'stopped', 'killed'];

/** The run folder for a run of `task`/`expId` under a root (workspace folder). */
export function runDirOf(root: string, task: string, expId: string, runId: string): string {
  return path.join(root, 'exp', task, expId, 'runs', runId);
}

/** Reads and sanity-checks run.json; undefined when missing or unreadable (never throws). */
export async function readRunRecord(runDir: string): Promise<RunRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, RUN_RECORD_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return parseRunRecord(text);
}

/** Parses run.json text; fields of the wrong type are dropped rather than trusted. */
export function parseRunRecord(text: string): RunRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record: RunRecord = { ...(value as Record<string, unknown>) };
  for (const key of ['id', 'task', 'exp_id', 'mode', 'started', 'save_dir', 'backend', 'config'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') delete record[key];
  }
  if (record.status !== undefined && !STATES.includes(String(record.status))) delete record.status;
  if (record.pid !== undefined && !(Number.isInteger(record.pid) && record.pid > 0)) delete record.pid;
  if (record.argv !== undefined && !(Array.isArray(record.argv) && record.argv.every((a) => typeof a === 'string'))) {
    delete record.argv;
  }
  return record;
}

/** Writes run.json atomically: a temporary file in the same folder, then rename over. */
export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  const target = path.join(runDir, RUN_RECORD_FILE);
  const tmp = path.join(runDir, `.${RUN_RECORD_FILE}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, 'utf8');
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Records the end of a run in run.json when the trainer did not: only when the file exists and
 * still says "running". Returns true when it wrote. Never throws.
 */
export async function finishRunRecord(
  runDir: string,
  end: { status: Exclude<RunState, 'running'>; ended: string; exit_code?: number | null; signal?: string | null; note?: string },
): Promise<boolean> {
  const record = await readRunRecord(runDir);
  if (record === undefined || record.status !== 'running') return false;
  const next: RunRecord = { ...record, status: end.status, ended: end.ended };
  if (end.exit_code !== undefined) next.exit_code = end.exit_code;
  if (end.signal) next.signal = end.signal;
  if (end.note) next.status_note = end.note;
  try {
    await writeRunRecord(runDir, next);
    return true;
  } catch {
    return false;
  }
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is alive and still the trainer of run `runId`: its command line holds the run
 * id (`--run-id <id>`), so a recycled pid is not mistaken for the run (nor sent Stop's signals).
 * Where /proc cannot be read (not Linux), a live pid has to do.
 */
export function isTrainerAlive(pid: number, runId: string): boolean {
  if (!isProcessAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here, or not ours to read: cannot tell more
  }
  if (cmdline.includes(runId)) return true;
  // Python runs carry their id in the environment (CFS_RUN_ID), not on the command line.
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CFS_RUN_ID=${runId}`);
  } catch {
    return false;
  }
}
