/** File helpers: atomic replacement (temporary file, fsync, rename) and CenterFusion's log folders. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Suffix of every temporary file the trainer writes; none is left behind by a clean exit. */
export const TMP_SUFFIX = '.tmp';

/** The temporary-file name writeFileAtomic uses for `target` in process `pid`. */
export function atomicTempName(target: string, pid: number = process.pid): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${pid}${TMP_SUFFIX}`);
}

/**
 * Removes the temporary files a dead process `pid` left in `dir` (killed between writing and
 * renaming): `.<name>.<pid>.tmp`. Returns the names removed. Never throws.
 */
export function removeStaleTemps(dir: string, pid: number): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  const suffix = `.${pid}${TMP_SUFFIX}`;
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith(suffix)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // left for the next run
    }
  }
  return removed;
}

/** fsync a directory so that a rename inside it is durable; silently skipped where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) and file systems cannot fsync a directory; the rename stands.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Test hooks of writeFileAtomic (fault-injection tests pause or fail between its steps). */
export interface AtomicWriteHooks {
  /** Called with the temporary file's path before anything is written. */
  beforeWrite?: (tmp: string) => void;
  /** Called with the complete, fsynced temporary file just before it is renamed over the target. */
  beforeRename?: (tmp: string) => void;
}

/** Error codes that mean the disk (or the process's file-size or quota limit) is full. */
export const DISK_FULL_CODES: readonly string[] = ['ENOSPC', 'EDQUOT', 'EFBIG'];

/** True when `err` says a write failed for lack of space (ENOSPC, EDQUOT, EFBIG). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.includes(code);
}

/**
 * Sleeps synchronously (no event loop turn), for fault-injection hooks that must hold the
 * process at an exact point, e.g. between writing a checkpoint and renaming it.
 */
export function sleepSync(ms: number): void {
  if (!(ms > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Replaces `target` with `data` so that readers see either the old file or the complete new one:
 * write a temporary file in the same directory, fsync it, rename it over the target, fsync the
 * directory. On failure the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): void {
  const dir = path.dirname(target);
  const tmp = atomicTempName(target);
  let fd: number | undefined;
  try {
    hooks.beforeWrite?.(tmp);
    fd = fs.openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    hooks.beforeRename?.(tmp);
    fs.renameSync(tmp, target);
    fsyncDir(dir);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** time.strftime('%Y-%m-%d-%H-%M') in local time, as CenterFusion stamps logs. */
export function minuteStamp(date: Date = new Date()): string {
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}-${pad2(date.getHours())}-${pad2(date.getMinutes())}`;
}
