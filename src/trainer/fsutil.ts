/** File helpers: atomic replacement (temporary file, fsync, rename) and CenterFusion's log folders. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Suffix of every temporary file the trainer writes; none is left behind by a clean exit. */
export const TMP_SUFFIX = '.tmp';

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

/**
 * Replaces `target` with `data` so that readers see either the old file or the complete new one:
 * write a temporary file in the same directory, fsync it, rename it over the target, fsync the
 * directory. On failure the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}${TMP_SUFFIX}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
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
