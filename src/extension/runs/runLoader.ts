/**
 * Loads past runs from disk into the run store: <root>/exp/<task>/<exp_id>/runs/<run_id>/ with
 * run.json and events.jsonl. Async and bounded (a cap on run folders, a few files read at a time,
 * events streamed through the protocol reader), so it never holds up activation.
 *
 * Status, most trusted first: the events' run_end; a finished status in run.json; for a run
 * that claims to be running, its pid: when that process is gone the run is shown as killed
 * (stale), with the reason in its note. Nothing is written back here: the folder may be shared
 * with another machine (a cluster job) whose processes this one cannot see.
 *
 * No vscode import (unit-tested).
 */

import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventReader, type ReadProblem } from '../../shared/protocol';
import type { RunEvent } from '../../shared/protocol/types';
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
}

export type TrainerCheck = (pid: number, runId: string) => boolean;

export interface LoadedRun {
  id: string;
  meta: RunMeta;
  events: RunEvent[];
  problems: ReadProblem[];
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
export async function readEventsFile(file: string): Promise<{ events: RunEvent[]; problems: ReadProblem[] }> {
  const events: RunEvent[] = [];
  const problems: ReadProblem[] = [];
  let lastIter: RunEvent | undefined;
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
    for await (const chunk of stream) take(reader.push(chunk as Buffer));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events, problems };
    problems.push({ line: 0, kind: 'json', message: `cannot read ${file}: ${(err as Error).message}`, excerpt: '' });
  }
  take(reader.end());
  if (lastIter !== undefined) events.push(lastIter);
  return { events, problems };
}

/** Reads one run folder. Undefined when it holds neither run.json nor events. Never throws. */
export async function readRunFolder(
  runDir: string,
  root: string,
  isAlive: TrainerCheck = isTrainerAlive,
): Promise<LoadedRun | undefined> {
  const [record, { events, problems }] = await Promise.all([
    readRunRecord(runDir),
    readEventsFile(path.join(runDir, EVENTS_FILE)),
  ]);
  if (record === undefined && events.length === 0) return undefined;
  const id = record?.id ?? events[0]?.run ?? path.basename(runDir);
  const mine = events.filter((e) => e.run === id);
  const meta = metaFromRecord(record);
  meta.folder = root;
  meta.runDir = runDir;
  meta.attached = false;
  const start = mine.find((e) => e.type === 'run_start');
  const pid = meta.pid ?? (start !== undefined && typeof start['pid'] === 'number' ? start['pid'] : undefined);

  if (!mine.some((e) => e.type === 'run_end') && (meta.status === undefined || meta.status === 'running')) {
    const stale = staleReason(record, pid, (known) => isAlive(known, id));
    if (stale !== undefined) {
      meta.status = 'killed';
      meta.note = stale;
    } else {
      meta.status = 'running';
    }
  }
  return { id, meta, events: mine, problems };
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
  }
  return meta;
}

/** Why a run that never reported its end is not running any more; undefined if it may be. */
function staleReason(record: RunRecord | undefined, pid: number | undefined, isAlive: (pid: number) => boolean): string | undefined {
  const host = typeof record?.host === 'string' ? record.host : typeof record?.hostname === 'string' ? record.hostname : undefined;
  if (host !== undefined && host !== os.hostname()) return undefined; // another machine's process: cannot tell
  if (pid === undefined) {
    return 'Stale: the run never reported an end and has no process id to check; marked killed.';
  }
  if (isAlive(pid)) return undefined;
  return `Stale: run.json says running, but its trainer process (pid ${pid}) is gone and never reported an end; marked killed.`;
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
    result.runs++;
    result.problems += loaded.problems.length;
  });
  return result;
}
