/**
 * Streaming reader for run-event lines (JSON Lines, UTF-8, `\n` framing).
 *
 * Feed it chunks as they arrive (bytes from a pipe or file, or strings); it hands back, per
 * chunk, the complete events, the unknown-type events and the problems found. Bad lines are
 * counted and reported, never fatal, and nothing here throws on any input.
 *
 * Pure TypeScript: uses only TextDecoder / TextEncoder, present in node 20 and browsers.
 */

import type { RunEvent, UnknownEvent } from './types';
import { validateEvent } from './validate';

export type ReadProblemKind = 'json' | 'schema' | 'utf8' | 'too_long';

export interface ReadProblem {
  /** 1-based line number in the stream (counting blank lines). */
  line: number;
  kind: ReadProblemKind;
  message: string;
  /** The start of the offending line (about 120 characters), for display. */
  excerpt: string;
}

export interface ReadBatch {
  events: RunEvent[];
  unknown: UnknownEvent[];
  problems: ReadProblem[];
}

export interface ReaderStats {
  /** Every line seen, blank ones included (a last line without newline counts after end()). */
  lines: number;
  /** Blank or whitespace-only lines, skipped silently. */
  blank: number;
  /** Valid events of a known type. */
  events: number;
  /** Valid events of a type this protocol version does not know. */
  unknown: number;
  problems: Record<ReadProblemKind, number>;
}

export interface EventReaderOptions {
  /**
   * Longest line accepted, in bytes (UTF-8, without the `\n`). Longer lines are skipped without
   * being held in memory and reported once as `too_long`. Default 8 MiB.
   */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Length of ReadProblem.excerpt, in characters. */
export const EXCERPT_CHARS = 120;

const NL = 0x0a;
/** A top-level `}` `,` `{` inside one line (JSON whitespace other than newline allowed around the comma). */
const OBJECT_SEPARATOR = /\}[ \t\r]*,[ \t\r]*\{/;

function emptyBatch(): ReadBatch {
  return { events: [], unknown: [], problems: [] };
}

/** Start of a line for display: at most EXCERPT_CHARS characters, never a broken surrogate pair. */
export function excerptOf(text: string): string {
  if (text.length <= EXCERPT_CHARS) return text;
  let end = EXCERPT_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Exact UTF-8 length of a string (lone surrogates count as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** UTF-8 length of `text`, computed only when it could exceed `limit` (cheap for short text). */
function utf8LengthOver(text: string, limit: number): boolean {
  if (text.length > limit) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= limit) return false; // every unit is at most three bytes
  return utf8Length(text) > limit;
}

/** A copy of bytes[from, to) (a node Buffer's slice() would be a view that pins the chunk). */
function copyOf(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(bytes.subarray(from, to));
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Incremental reader: `push()` chunks in any sizes, `end()` once at the end of the stream.
 * Lines may be split anywhere across chunks, including inside a multi-byte UTF-8 character.
 */
export class EventReader {
  private readonly maxLineBytes: number;
  private readonly strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private encoder: InstanceType<typeof TextEncoder> | undefined;

  /** Bytes of the current unfinished line (copies, so callers' chunks are never retained). */
  private pendingParts: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The current unfinished line when the stream is fed strings. */
  private pendingText = '';
  private pendingTextBytes = 0;
  /** Inside a line that was too long: dropping everything up to the next newline. */
  private discarding = false;
  /** Lines completed so far (the next line has number lineCount + 1). */
  private lineCount = 0;

  private readonly counters: ReaderStats = {
    lines: 0,
    blank: 0,
    events: 0,
    unknown: 0,
    problems: { json: 0, schema: 0, utf8: 0, too_long: 0 },
  };

  private batch: ReadBatch = emptyBatch();

  constructor(options: EventReaderOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxLineBytes = Number.isFinite(max) && max >= 1 ? Math.floor(max) : DEFAULT_MAX_LINE_BYTES;
  }

  /** A snapshot of the counters so far. */
  get stats(): ReaderStats {
    const c = this.counters;
    return { lines: c.lines, blank: c.blank, events: c.events, unknown: c.unknown, problems: { ...c.problems } };
  }

  /** Bytes (or, for string input, UTF-8 bytes) of the unfinished line held in memory. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.pendingTextBytes;
  }

  /** Reads one chunk of the stream; returns what the chunk completed. */
  push(chunk: Uint8Array | string): ReadBatch {
    this.batch = emptyBatch();
    try {
      if (typeof chunk === 'string') this.pushText(chunk);
      else if (chunk instanceof Uint8Array) this.pushBytes(chunk);
    } catch (err) {
      // Defensive only: every known failure is handled above. Keep the reader usable.
      this.resetLine();
      this.report(this.lineCount + 1, 'json', `reader error: ${errorMessage(err)}`, '');
    }
    return this.batch;
  }

  /** Ends the stream: a last line without a newline is read now. Reading may go on afterwards. */
  end(): ReadBatch {
    this.batch = emptyBatch();
    try {
      if (this.discarding) {
        this.discarding = false;
        this.finishSkippedLine();
      } else if (this.pendingBytes > 0) {
        const line = this.takePendingBytes(undefined, 0, 0);
        this.lineBytes(line, 0, line.length);
      } else if (this.pendingText.length > 0) {
        const text = this.pendingText;
        this.pendingText = '';
        this.pendingTextBytes = 0;
        this.lineText(text);
      }
    } catch (err) {
      this.resetLine();
      this.report(this.lineCount + 1, 'json', `reader error: ${errorMessage(err)}`, '');
    }
    return this.batch;
  }

  // ---------------------------------------------------------------------------------------------
  // Bytes

  private pushBytes(chunk: Uint8Array): void {
    if (this.pendingText.length > 0) {
      // The stream switched from strings to bytes mid-line: carry the text over as bytes.
      this.appendPending(this.encode(this.pendingText));
      this.pendingText = '';
      this.pendingTextBytes = 0;
    }
    let start = 0;
    const end = chunk.length;
    if (this.discarding) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) return;
      this.discarding = false;
      this.finishSkippedLine();
      start = nl + 1;
    }
    if (start >= end) return;

    const firstNl = chunk.indexOf(NL, start);
    if (firstNl < 0) {
      this.appendPending(copyOf(chunk, start, end));
      this.checkPendingLength();
      return;
    }
    if (this.pendingBytes > 0) {
      // Finish the line begun in earlier chunks.
      const total = this.pendingBytes + (firstNl - start);
      if (total > this.maxLineBytes) {
        const head = this.pendingHead(chunk.subarray(start, firstNl));
        this.resetLine();
        this.reportTooLong(head);
        this.finishSkippedLine();
      } else {
        const line = this.takePendingBytes(chunk, start, firstNl);
        this.lineBytes(line, 0, line.length);
      }
      start = firstNl + 1;
    }

    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl >= start) this.region(chunk, start, lastNl);
    if (lastNl + 1 < end) {
      this.appendPending(copyOf(chunk, lastNl + 1, end));
      this.checkPendingLength();
    }
  }

  /** Whole lines in chunk[from, to) where chunk[to] is a newline. */
  private region(chunk: Uint8Array, from: number, to: number): void {
    if (to - from <= this.maxLineBytes) {
      // Fast path: no line here can be too long; decode the lot at once and split the text.
      // UTF-8 keeps 0x0A as its own byte, so the text lines match the byte lines one to one.
      let text: string | undefined;
      try {
        text = this.strict.decode(chunk.subarray(from, to));
      } catch {
        text = undefined; // some line is not UTF-8: take the lines one at a time below
      }
      if (text !== undefined) {
        this.linesOfText(text, true);
        return;
      }
    }
    let a = from;
    while (a <= to) {
      let nl = chunk.indexOf(NL, a);
      if (nl < 0 || nl > to) nl = to;
      if (nl - a > this.maxLineBytes) {
        this.reportTooLong(chunk.subarray(a, a + Math.min(nl - a, EXCERPT_CHARS * 4)));
        this.finishSkippedLine();
      } else {
        this.lineBytes(chunk, a, nl);
      }
      a = nl + 1;
    }
  }

  /** One complete line of bytes (without its `\n`). */
  private lineBytes(bytes: Uint8Array, from: number, to: number): void {
    let text: string;
    try {
      text = this.strict.decode(bytes.subarray(from, to));
    } catch {
      this.lineCount++;
      this.counters.lines++;
      const shown = this.lenient.decode(bytes.subarray(from, Math.min(to, from + EXCERPT_CHARS * 4)));
      this.report(this.lineCount, 'utf8', 'line is not valid UTF-8; skipped', excerptOf(shown.replace(/\r$/, '')));
      return;
    }
    this.line(text);
  }

  private appendPending(part: Uint8Array): void {
    if (part.length === 0) return;
    this.pendingParts.push(part);
    this.pendingBytes += part.length;
  }

  /** Drops the unfinished line once it is longer than allowed, and skips to the next newline. */
  private checkPendingLength(): void {
    if (this.pendingBytes <= this.maxLineBytes) return;
    const head = this.pendingHead();
    this.resetLine();
    this.reportTooLong(head);
    this.discarding = true;
  }

  /** The first bytes of the unfinished line (continued by `more`), enough for an excerpt. */
  private pendingHead(more?: Uint8Array): Uint8Array {
    const want = EXCERPT_CHARS * 4;
    const out = new Uint8Array(Math.min(want, this.pendingBytes + (more?.length ?? 0)));
    let at = 0;
    const parts = more === undefined ? this.pendingParts : [...this.pendingParts, more];
    for (const part of parts) {
      if (at >= out.length) break;
      const n = Math.min(part.length, out.length - at);
      out.set(part.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  /** The unfinished line joined with chunk[from, to); clears the pending state. */
  private takePendingBytes(chunk: Uint8Array | undefined, from: number, to: number): Uint8Array {
    const tail = to - from;
    const out = new Uint8Array(this.pendingBytes + tail);
    let at = 0;
    for (const part of this.pendingParts) {
      out.set(part, at);
      at += part.length;
    }
    if (chunk !== undefined && tail > 0) out.set(chunk.subarray(from, to), at);
    this.pendingParts = [];
    this.pendingBytes = 0;
    return out;
  }

  private encode(text: string): Uint8Array {
    if (this.encoder === undefined) this.encoder = new TextEncoder();
    return this.encoder.encode(text);
  }

  // ---------------------------------------------------------------------------------------------
  // Strings

  private pushText(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.pendingBytes > 0) {
      // The stream switched from bytes to strings mid-line: go on in bytes.
      this.pushBytes(this.encode(chunk));
      return;
    }
    let start = 0;
    if (this.discarding) {
      const nl = chunk.indexOf('\n');
      if (nl < 0) return;
      this.discarding = false;
      this.finishSkippedLine();
      start = nl + 1;
    }
    const firstNl = chunk.indexOf('\n', start);
    if (firstNl < 0) {
      this.appendPendingText(chunk.slice(start));
      return;
    }
    if (this.pendingText.length > 0) {
      const part = chunk.slice(start, firstNl);
      const line = this.pendingText + part;
      const bytes = this.pendingTextBytes + utf8Length(part);
      this.pendingText = '';
      this.pendingTextBytes = 0;
      if (bytes > this.maxLineBytes) {
        this.reportTooLong(line);
        this.finishSkippedLine();
      } else {
        this.lineText(line);
      }
      start = firstNl + 1;
    }
    const lastNl = chunk.lastIndexOf('\n');
    if (lastNl >= start) {
      const whole = start === 0 && lastNl === chunk.length - 1;
      this.linesOfText(whole ? chunk : chunk.slice(start, lastNl + 1), false);
    }
    if (lastNl + 1 < chunk.length) this.appendPendingText(chunk.slice(lastNl + 1));
  }

  private appendPendingText(part: string): void {
    if (part.length === 0) return;
    this.pendingText += part;
    this.pendingTextBytes += utf8Length(part);
    if (this.pendingTextBytes > this.maxLineBytes) {
      const head = this.pendingText;
      this.pendingText = '';
      this.pendingTextBytes = 0;
      this.reportTooLong(head);
      this.discarding = true;
    }
  }

  /**
   * Complete lines in `text`. With `fromBytes` the text is a decoded byte region: whole lines
   * without the final newline, none too long (the caller checked). Otherwise `text` is string
   * input ending with a newline, and each line's length is checked here.
   */
  private linesOfText(text: string, fromBytes: boolean): void {
    if (fromBytes && this.wellFormedLines(text)) return;
    let a = 0;
    const n = text.length;
    const stop = fromBytes ? n : n - 1; // string input: text ends with its last newline
    for (;;) {
      let nl = text.indexOf('\n', a);
      if (nl < 0 || nl > stop) nl = stop;
      const line = text.slice(a, nl);
      if (!fromBytes && utf8LengthOver(line, this.maxLineBytes)) {
        this.reportTooLong(line);
        this.finishSkippedLine();
      } else {
        this.line(line);
      }
      if (nl >= stop) break;
      a = nl + 1;
    }
  }

  /**
   * Fast path for a decoded byte region whose lines are all single JSON objects (the normal
   * case): one JSON.parse of the lines joined into an array instead of one call and one string
   * slice per line. Returns false, having changed nothing, when the region is anything else
   * (a blank or bad line, a BOM, a line that is not an object, ...); the caller then reads it
   * line by line, so problems are found and reported exactly as before.
   *
   * Why the array holds exactly one value per line: its values are separated by the commas
   * that stood for the newlines, unless a line held a top-level `}` `,` `{` of its own, which
   * the first test rules out. With every value an object and as many values as lines, each
   * newline comma must be a separator, so value k is line k parsed on its own.
   */
  private wellFormedLines(text: string): boolean {
    if (OBJECT_SEPARATOR.test(text)) return false;
    let values: unknown;
    try {
      values = JSON.parse(`[${text.replaceAll('\n', ',')}]`);
    } catch {
      return false;
    }
    if (!Array.isArray(values)) return false;
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (values.length !== lines) return false;
    for (let k = 0; k < values.length; k++) {
      const v: unknown = values[k];
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    }
    // The region's start, for excerpts of lines that fail validation (found lazily, in order).
    let lineStart = 0;
    let lineIndex = 0;
    for (let k = 0; k < values.length; k++) {
      this.lineCount++;
      this.counters.lines++;
      const result = validateEvent(values[k]);
      if (result.ok) {
        if (result.known) {
          this.counters.events++;
          this.batch.events.push(result.event);
        } else {
          this.counters.unknown++;
          this.batch.unknown.push(result.event);
        }
        continue;
      }
      while (lineIndex < k) {
        lineStart = text.indexOf('\n', lineStart) + 1;
        lineIndex++;
      }
      let end = text.indexOf('\n', lineStart);
      if (end < 0) end = text.length;
      let line = text.slice(lineStart, end);
      if (line.length > 0 && line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
      this.report(this.lineCount, 'schema', result.reason, excerptOf(line));
    }
    return true;
  }

  private lineText(text: string): void {
    if (utf8LengthOver(text, this.maxLineBytes)) {
      this.reportTooLong(text);
      this.finishSkippedLine();
      return;
    }
    this.line(text);
  }

  // ---------------------------------------------------------------------------------------------
  // One decoded line

  private line(raw: string): void {
    this.lineCount++;
    this.counters.lines++;
    let text = raw;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    if (this.lineCount === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // file BOM
    if (text.charCodeAt(0) !== 0x7b /* { */ && text.trim().length === 0) {
      this.counters.blank++;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.report(this.lineCount, 'json', `not valid JSON: ${errorMessage(err)}`, excerptOf(text));
      return;
    }
    const result = validateEvent(value);
    if (!result.ok) {
      this.report(this.lineCount, 'schema', result.reason, excerptOf(text));
    } else if (result.known) {
      this.counters.events++;
      this.batch.events.push(result.event);
    } else {
      this.counters.unknown++;
      this.batch.unknown.push(result.event);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Problems and line bookkeeping

  private report(line: number, kind: ReadProblemKind, message: string, excerpt: string): void {
    this.counters.problems[kind]++;
    this.batch.problems.push({ line, kind, message, excerpt });
  }

  /** Reports the current line as too long (once); `head` is its beginning, for the excerpt. */
  private reportTooLong(head: Uint8Array | string): void {
    let shown = '';
    if (typeof head === 'string') shown = head.slice(0, EXCERPT_CHARS + 1);
    else shown = this.lenient.decode(head.subarray(0, EXCERPT_CHARS * 4));
    this.report(
      this.lineCount + 1,
      'too_long',
      `line is longer than ${this.maxLineBytes} bytes (maxLineBytes); skipped`,
      excerptOf(shown),
    );
  }

  /** The too-long line has ended (or was never buffered): count it. */
  private finishSkippedLine(): void {
    this.lineCount++;
    this.counters.lines++;
  }

  private resetLine(): void {
    this.pendingParts = [];
    this.pendingBytes = 0;
    this.pendingText = '';
    this.pendingTextBytes = 0;
  }
}

/** Reads a whole text (e.g. an events.jsonl file's content) in one go. */
export function parseEventLines(text: string, options?: EventReaderOptions): ReadBatch {
  const reader = new EventReader(options);
  const first = reader.push(text);
  const last = reader.end();
  first.events.push(...last.events);
  first.unknown.push(...last.unknown);
  first.problems.push(...last.problems);
  return first;
}
