/**
 * The per-launch record: save_dir/runs/<run_id>/events.jsonl (every event, appended line by line
 * and fsynced at epoch boundaries) and run.json (written atomically at start, at each epoch end
 * and at the end).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from './fsutil';

export type RunRecordStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'killed';

export interface RunRecord {
  id: string;
  task: string;
  exp_id: string;
  mode: 'train' | 'eval';
  argv: string[];
  pid: number;
  status: RunRecordStatus;
  started: string;
  ended: string | null;
  exit_code: number | null;
  signal?: string | null;
  save_dir: string;
  backend: string;
  last_epoch: number | null;
  root_dir: string;
  events: string;
}

export const EVENTS_FILE = 'events.jsonl';
export const RUN_RECORD_FILE = 'run.json';

export class RunFiles {
  readonly dir: string;
  readonly eventsFile: string;
  readonly recordFile: string;
  private fd: number | undefined;

  constructor(saveDir: string, runId: string) {
    this.dir = path.join(saveDir, 'runs', runId);
    fs.mkdirSync(this.dir, { recursive: true });
    this.eventsFile = path.join(this.dir, EVENTS_FILE);
    this.recordFile = path.join(this.dir, RUN_RECORD_FILE);
    this.fd = fs.openSync(this.eventsFile, 'a');
  }

  /** Appends one serialised event line (already ending in a newline). */
  appendEvent(line: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(this.fd, bytes, written, bytes.length - written);
  }

  /** Flushes the events file to disk. */
  syncEvents(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  writeRecord(record: RunRecord): void {
    writeFileAtomic(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/**
 * One training run per experiment folder at a time. Two trainers writing the same save_dir
 * (exp/<task>/<exp_id>) would overwrite each other's model_last.ckpt, opt.txt and log; so a
 * train run holds save_dir/.centerfusion-train.lock (JSON: pid, run_id, host, started) while it
 * runs. A second launch with the same exp_id is refused with a message naming the holder. A lock
 * whose process is gone (a SIGKILLed or crashed trainer) is stale and taken over.
 */
export const EXP_LOCK_FILE = '.centerfusion-train.lock';

export interface ExpLockInfo {
  pid: number;
  run_id: string;
  host: string;
  started: string;
}

/** Raised when another live run holds the experiment folder. */
export class ExpLockError extends Error {
  constructor(
    message: string,
    readonly holder: ExpLockInfo | undefined,
  ) {
    super(message);
    this.name = 'ExpLockError';
  }
}

export interface ExpLock {
  readonly file: string;
  /** True when a stale lock (of a dead process) was replaced. */
  readonly tookOver: ExpLockInfo | undefined;
  /** Removes the lock if it is still this run's. Never throws. */
  release(): void;
}

function readLockInfo(file: string): ExpLockInfo | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ExpLockInfo>;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0 && typeof value.run_id === 'string') {
      return { pid: value.pid, run_id: value.run_id, host: String(value.host ?? ''), started: String(value.started ?? '') };
    }
  } catch {
    // unreadable or half-written by something else: treated as stale
  }
  return undefined;
}

/** Whether the lock's process is alive and still that run's trainer (never a recycled pid). */
export function lockHolderAlive(info: ExpLockInfo, isAlive: (pid: number) => boolean = pidAlive): boolean {
  if (info.host !== '' && info.host !== os.hostname()) return true; // another machine: cannot tell, so respect it
  if (!isAlive(info.pid)) return false;
  try {
    // On Linux the trainer's command line names its run id (--run-id); a recycled pid does not.
    return fs.readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes(info.run_id);
  } catch {
    return true; // no /proc here: a live pid has to do
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the experiment lock in `saveDir` for `runId`, or throws ExpLockError naming the live
 * run that holds it. Creation is atomic (a complete temporary file hard-linked into place, which
 * fails if the lock exists), so a reader never sees a half-written lock.
 */
export function acquireExpLock(saveDir: string, runId: string, isAlive?: (pid: number) => boolean): ExpLock {
  const file = path.join(saveDir, EXP_LOCK_FILE);
  const mine: ExpLockInfo = { pid: process.pid, run_id: runId, host: os.hostname(), started: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  let tookOver: ExpLockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = path.join(saveDir, `.${EXP_LOCK_FILE}.${process.pid}.${attempt}.tmp`);
    fs.writeFileSync(tmp, text);
    try {
      fs.linkSync(tmp, file);
      return makeLock(file, runId, tookOver);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const holder = readLockInfo(file);
    if (holder !== undefined && holder.run_id !== runId && lockHolderAlive(holder, isAlive)) {
      throw new ExpLockError(
        `exp_id "${path.basename(saveDir)}" is already training: run ${holder.run_id} (pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}, ` +
          `started ${holder.started || 'at an unknown time'}) holds ${file}. Two runs in one experiment folder would overwrite ` +
          'each other\'s checkpoints and logs: stop that run, or train with another --exp_id.',
        holder,
      );
    }
    // Stale (its process is gone) or unreadable: remove it, and the temporary files that
    // process left half-way through a save, and try again.
    tookOver = holder ?? tookOver;
    if (holder !== undefined && holder.pid !== process.pid) removeStaleTemps(saveDir, holder.pid);
    fs.rmSync(file, { force: true });
  }
  throw new ExpLockError(`could not take the experiment lock ${file}: other launches keep racing for it; try again`, undefined);
}

function makeLock(file: string, runId: string, tookOver: ExpLockInfo | undefined): ExpLock {
  let released = false;
  return {
    file,
    tookOver,
    release: () => {
      if (released) return;
      released = true;
      try {
        if (readLockInfo(file)?.run_id === runId) fs.rmSync(file, { force: true });
      } catch {
        // best effort: a stale lock is taken over by the next run anyway
      }
    },
  };
}
