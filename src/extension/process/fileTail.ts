/**
 * Follows a file that another process appends to (a trainer's stdout.log / stderr.log, a run's
 * events.jsonl) and hands over its new content in whole pieces: text up to and including the last
 * line end seen (`\n`, or `\r` too when `carriageReturns` is set, for progress-bar updates). A
 * piece never ends inside a UTF-8 character, since line ends are single ASCII bytes.
 *
 * `consumed` is the byte offset just after the last piece handed over: where a later follower
 * (a reloaded window) resumes without reading anything twice.
 *
 * The file may not exist yet (read again at the next poll); a file that shrinks (truncated,
 * replaced) is read again from its start and said so through `onReset`. A piece longer than
 * `maxPiece` bytes without a line end is handed over as it is. Never throws.
 *
 * With `onChange`, the file is also watched (fs.watch: inotify on Linux) and `onChange` is called
 * when the writer appended to it, so that the follower reads at once instead of at its next
 * poll; the follower keeps polling (less often) as a fallback, for file systems and platforms
 * where change notifications are late, lost or missing. A file that does not exist yet, or was
 * removed or replaced, is watched again at the next read() where it exists. `close()` ends the
 * watch (call it when done following); a watcher never keeps the process alive.
 *
 * No vscode import (unit-tested).
 */

import { watch, promises as fs, type FSWatcher } from 'node:fs';

const READ_CHUNK = 1 << 20;
const DEFAULT_MAX_PIECE = 64 * 1024;

export interface FileTailOptions {
  /** Byte offset to start at (default 0). */
  offset?: number;
  /** `\r` ends a piece as well as `\n` (console output); otherwise only `\n` (JSON lines). */
  carriageReturns?: boolean;
  maxPiece?: number;
  /** The file got shorter than what was read: it is read again from its start. */
  onReset?: (file: string, size: number, offset: number) => void;
  /** A read error other than "not there yet". */
  onError?: (file: string, message: string) => void;
  /**
   * Watch the file and call this when it changed (see the module comment); called at most once
   * per event-loop turn, never after close().
   */
  onChange?: () => void;
}

export class FileTail {
  private offsetRead: number;
  private pending: Buffer = Buffer.alloc(0);
  private chain: Promise<unknown> = Promise.resolve();
  private readonly maxPiece: number;
  private watcher: FSWatcher | undefined;
  private changeQueued = false;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly options: FileTailOptions = {},
  ) {
    this.offsetRead = Math.max(0, Math.floor(options.offset ?? 0));
    this.maxPiece = options.maxPiece ?? DEFAULT_MAX_PIECE;
    this.watchFile();
  }

  /** Whether change notifications are on now (for tests and diagnostics). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Stops watching the file; read() and drain() still work. Safe to call more than once. */
  close(): void {
    this.closed = true;
    this.unwatch();
  }

  /** Starts the watch when asked for and not on yet; a missing file is watched at a later read(). */
  private watchFile(): void {
    if (this.options.onChange === undefined || this.closed || this.watcher !== undefined) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(this.file, { persistent: false }, (eventType) => {
        // 'rename': removed or replaced; the inode watched is no longer the file's. Watch again
        // at the next read (if there is a file then), and read now in case it was replaced.
        if (eventType === 'rename') this.unwatch();
        this.changed();
      });
    } catch {
      return; // not there yet (ENOENT), or no watching here: the poll follows it
    }
    watcher.on('error', () => this.unwatch());
    this.watcher = watcher;
  }

  private unwatch(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher === undefined) return;
    try {
      watcher.close();
    } catch {
      // already closed
    }
  }

  /** Calls onChange once for every burst of notifications in one event-loop turn. */
  private changed(): void {
    if (this.changeQueued || this.closed) return;
    this.changeQueued = true;
    setImmediate(() => {
      this.changeQueued = false;
      if (this.closed) return;
      try {
        this.options.onChange?.();
      } catch {
        // the follower's business; a watcher callback must not throw
      }
    });
  }

  /** Bytes handed over so far (the offset to resume from). */
  get consumed(): number {
    return this.offsetRead - this.pending.length;
  }

  /** Reads what was appended since the last call; resolves to the whole pieces found. */
  read(): Promise<Buffer[]> {
    // One read at a time: a second caller waits for the first and then reads again.
    const next = this.chain.then(() => this.readOnce());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Reads what is left and hands over the last unfinished piece too (the writer has ended). */
  async drain(): Promise<Buffer[]> {
    const pieces = await this.read();
    if (this.pending.length > 0) {
      pieces.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
    return pieces;
  }

  private async readOnce(): Promise<Buffer[]> {
    this.watchFile();
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.options.onError?.(this.file, (err as Error).message);
      return [];
    }
    const chunks: Buffer[] = [];
    try {
      const { size } = await handle.stat();
      if (size < this.offsetRead) {
        this.options.onReset?.(this.file, size, this.offsetRead);
        this.offsetRead = 0;
        this.pending = Buffer.alloc(0);
      }
      while (this.offsetRead < size) {
        const want = Math.min(READ_CHUNK, size - this.offsetRead);
        const buffer = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buffer, 0, want, this.offsetRead);
        if (bytesRead <= 0) break;
        this.offsetRead += bytesRead;
        chunks.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      }
    } catch (err) {
      this.options.onError?.(this.file, (err as Error).message);
    } finally {
      await handle.close().catch(() => undefined);
    }
    if (chunks.length === 0) return [];
    return this.cut(Buffer.concat([this.pending, ...chunks]));
  }

  /** Whole pieces of `data`; the rest is kept for the next read. */
  private cut(data: Buffer): Buffer[] {
    let end = data.lastIndexOf(0x0a) + 1;
    if (this.options.carriageReturns === true) end = Math.max(end, data.lastIndexOf(0x0d) + 1);
    if (end === 0 && data.length > this.maxPiece) end = data.length;
    this.pending = Buffer.from(data.subarray(end));
    if (this.pending.length > this.maxPiece) {
      // A very long unfinished line: hand it over as it is rather than hold it.
      end = data.length;
      this.pending = Buffer.alloc(0);
    }
    return end > 0 ? [data.subarray(0, end)] : [];
  }
}
