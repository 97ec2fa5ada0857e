/**
 * Loads past runs from disk into the run store: <root>/exp/<task>/<exp_id>/runs/<run_id>/ with
 * run.json and events.jsonl. Async and bounded (a cap on run folders, a few files read at a time,
 * events streamed through the protocol reader), so it never holds up activation.
 *
 * Status, most trusted first: the events' run_end; a finished status in run.json; for a run
 * that claims to be running, its process: process.json (pid and start time, written by the window
 * that launched it) or else the pid of run.json / run_start; when that process is gone the run is
 * shown as killed (stale), with the reason in its note. Nothing is written back here: the folder
 * may be shared with another machine (a cluster job) whose processes this one cannot see. Runs
 * that never reported their end are handed to `LoadOptions.reattach`, which follows the ones
 * still running (VS Code reloaded) and finishes the records of the ones that ended unwatched.
 *
 * No vscode import (unit-tested).
 */

import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventReader, type ReadProblem } from '../../shared/protocol';
import type { RunEvent } from '../../shared/protocol/types';
import { isRecordedProcessAlive, readProcessRecord, type ProcessRecord } from '../process/processRecord';
import { EVENTS_FILE, isTrainerAlive, readRunRecord, type RunRecord } from './runRecord';
import type { Run, RunMeta, RunStore } from './runStore';

export const DEFAULT_MAX_RUNS = 500;
const READ_CONCURRENCY = 4;

export interface LoadOptions {
  /** Most run folders to read per root (newest first). */
  maxRuns?: number;
  /** Whether the trainer of a run is still running (injectable for tests). */
  isAlive?: TrainerCheck;
  /** Run ids to leave alone (e.g. runs this window is feeding live). */
  skip?: (runId: string) => boolean;
  /** Called, after the store has it, for each run that never reported its end (`unfinished`). */
  reattach?: (loaded: LoadedRun) => void;
}

export type TrainerCheck = (pid: number, runId: string) => boolean;

export interface LoadedRun {
  id: string;
  meta: RunMeta;
  events: RunEvent[];
  problems: ReadProblem[];
  /** Bytes of events.jsonl read, up to the end of its last whole line (where to follow it from). */
  eventsOffset: number;
  /** process.json, when the window that launched the run wrote one. */
  process?: ProcessRecord;
  /** No run_end and no finished status in run.json. */
  unfinished: boolean;
  /** For an unfinished run: whether its process still runs (undefined: another machine's, cannot tell). */
  alive?: boolean;
  /** The pid checked. */
  pid?: number;
}

export interface LoadResult {
  runs: number;
  /** Bad lines over all events files read. */
  problems: number;
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/** The run folders under <root>/exp/*\/*\/runs/*, newest first, at most `maxRuns`. */
export async function findRunDirs(root: string, maxRuns = DEFAULT_MAX_RUNS): Promise<string[]> {
  const found: string[] = [];
  for (const taskDir of await subdirs(path.join(root, 'exp'))) {
    for (const expDir of await subdirs(taskDir)) {
      found.push(...(await subdirs(path.join(expDir, 'runs'))));
    }
  }
  if (found.length <= maxRuns) return found;
  const dated = await Promise.all(
    found.map(async (dir) => ({ dir, mtime: (await fs.stat(dir).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  return dated.slice(0, maxRuns).map((d) => d.dir);
}

/**
 * Streams an events file through the protocol reader. Keeps every event except `iter`, of
 * which only the last matters for the store (progress), so long runs stay small in memory.
 */
export async function readEventsFile(file: string): Promise<{ events: RunEvent[]; problems: ReadProblem[]; bytes: number }> {
  const events: RunEvent[] = [];
  const problems: ReadProblem[] = [];
  let lastIter: RunEvent | undefined;
  let read = 0;
  let bytes = 0;
  const reader = new EventReader();
  const take = (batch: { events: RunEvent[]; problems: ReadProblem[] }): void => {
    for (const event of batch.events) {
      if (event.type === 'iter') lastIter = event;
      else events.push(event);
    }
    problems.push(...batch.problems);
  };
  try {
    const stream = createReadStream(file);
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      const newline = buffer.lastIndexOf(0x0a);
      if (newline >= 0) bytes = read + newline + 1;
      read += buffer.length;
      take(reader.push(buffer));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events, problems, bytes: 0 };
    problems.push({ line: 0, kind: 'json', message: `cannot read ${file}: ${(err as Error).message}`, excerpt: '' });
  }
  take(reader.end());
  if (lastIter !== undefined) events.push(lastIter);
  return { events, problems, bytes };
}

/** Reads one run folder. Undefined when it holds neither run.json nor events. Never throws. */
export async function readRunFolder(
  runDir: string,
  root: string,
  isAlive: TrainerCheck = isTrainerAlive,
): Promise<LoadedRun | undefined> {
  const [record, { events, problems, bytes }, processRecord] = await Promise.all([
    readRunRecord(runDir),
    readEventsFile(path.join(runDir, EVENTS_FILE)),
    readProcessRecord(runDir),
  ]);
  if (record === undefined && events.length === 0) return undefined;
  const id = record?.id ?? events[0]?.run ?? path.basename(runDir);
  const mine = events.filter((e) => e.run === id);
  const meta = metaFromRecord(record);
  meta.folder = root;
  meta.runDir = runDir;
  meta.attached = false;
  const start = mine.find((e) => e.type === 'run_start');
  const pid = processRecord?.pid ?? meta.pid ?? (start !== undefined && typeof start['pid'] === 'number' ? start['pid'] : undefined);
  const loaded: LoadedRun = { id, meta, events: mine, problems, eventsOffset: bytes, process: processRecord, unfinished: false, pid };

  if (!mine.some((e) => e.type === 'run_end') && (meta.status === undefined || meta.status === 'running')) {
    loaded.unfinished = true;
    // A process.json of this machine names the process exactly (pid and start time).
    const local = processRecord !== undefined && processRecord.host === os.hostname();
    const check = local ? () => isRecordedProcessAlive(processRecord) : (known: number) => isAlive(known, id);
    const stale = staleReason(record, pid, check, lastEpochOf(mine));
    if (stale !== undefined) {
      meta.status = 'killed';
      meta.note = stale;
      loaded.alive = false;
    } else {
      meta.status = 'running';
      const host = hostOf(record);
      loaded.alive = host !== undefined && host !== os.hostname() && !local ? undefined : true;
    }
  }
  return loaded;
}

/** The highest epoch an event names, if any. */
export function lastEpochOf(events: readonly RunEvent[]): number | undefined {
  let last: number | undefined;
  for (const e of events) {
    if ((e.type === 'epoch_start' || e.type === 'epoch_end') && (last === undefined || e.epoch > last)) last = e.epoch;
  }
  return last;
}

function hostOf(record: RunRecord | undefined): string | undefined {
  return typeof record?.host === 'string' ? record.host : typeof record?.hostname === 'string' ? record.hostname : undefined;
}

function metaFromRecord(record: RunRecord | undefined): RunMeta {
  if (record === undefined) return {};
  const meta: RunMeta = {
    configName: record.config,
    task: record.task,
    exp_id: record.exp_id,
    mode: record.mode,
    save_dir: record.save_dir,
    backend: record.backend,
    pid: record.pid,
    started: record.started,
    status: record.status,
  };
  if (record.status !== undefined && record.status !== 'running') {
    meta.ended = typeof record.ended === 'string' ? record.ended : undefined;
    meta.exit_code = typeof record.exit_code === 'number' ? record.exit_code : undefined;
    if (typeof record['status_note'] === 'string') meta.note = record['status_note'];
  }
  return meta;
}

/** Why a run that never reported its end is not running any more; undefined if it may be. */
function staleReason(
  record: RunRecord | undefined,
  pid: number | undefined,
  isAlive: (pid: number) => boolean,
  lastEpoch: number | undefined,
): string | undefined {
  const host = hostOf(record);
  if (host !== undefined && host !== os.hostname()) return undefined; // another machine's process: cannot tell
  if (pid === undefined) {
    return 'Stale: the run never reported an end and has no process id to check; marked killed.';
  }
  if (isAlive(pid)) return undefined;
  return `The trainer process (pid ${pid}) ended while VS Code was not watching, without reporting the end of the run (last epoch seen: ${lastEpoch ?? 'none'}); marked killed.`;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** Loads (or reloads) one run folder into the store. Never throws. */
export async function loadRun(store: RunStore, runDir: string, root: string, isAlive?: TrainerCheck): Promise<Run | undefined> {
  const loaded = await readRunFolder(runDir, root, isAlive);
  return loaded === undefined ? undefined : store.load(loaded.id, loaded.meta, loaded.events, loaded.problems.length);
}

/** Loads (or reloads) every run under `root` into the store. Never throws. */
export async function loadRuns(store: RunStore, root: string, options: LoadOptions = {}): Promise<LoadResult> {
  const dirs = await findRunDirs(root, options.maxRuns ?? DEFAULT_MAX_RUNS);
  const result: LoadResult = { runs: 0, problems: 0 };
  await eachLimited(dirs, READ_CONCURRENCY, async (dir) => {
    const loaded = await readRunFolder(dir, root, options.isAlive);
    if (loaded === undefined || options.skip?.(loaded.id)) return;
    store.load(loaded.id, loaded.meta, loaded.events, loaded.problems.length);
    if (loaded.unfinished) {
      try {
        options.reattach?.(loaded);
      } catch {
        // a reattach that fails leaves the run as loaded
      }
    }
    result.runs++;
    result.problems += loaded.problems.length;
  });
  return result;
}
