/**
 * Producing run events: stamping bodies with the common fields, serialising them to one line,
 * and a small writer that checks every event it emits against the schema.
 *
 * Pure TypeScript (globalThis.crypto exists in node 20 and browsers).
 */

import { PROTOCOL_VERSION, type EventBody, type RunEvent, type UnknownEvent } from './types';
import { validateEvent } from './validate';

/** Fields the writer owns; a body cannot set them. */
const COMMON = new Set(['v', 'run', 't']);

/**
 * A complete event from a body: `v`, `run` and `t` (now, as toISOString()) are added, then the
 * body's fields in their order. Numbers are left as they are; serializeEvent writes NaN as null.
 */
export function makeEvent<B extends EventBody>(run: string, body: B, now: Date = new Date()): RunEvent {
  const event: Record<string, unknown> = { v: PROTOCOL_VERSION, type: body.type, run, t: now.toISOString() };
  for (const key of Object.keys(body)) {
    if (!COMMON.has(key)) event[key] = (body as Record<string, unknown>)[key];
  }
  // Cast: the body is a typed event body and the common fields were just added.
  return event as unknown as RunEvent;
}

const LINE_SEPARATORS = /[\u2028\u2029]/g;

/**
 * One event as one line of JSON ending in `\n`. NaN and ±Infinity, at any depth, become null
 * (JSON.stringify's rule); the line never holds a raw newline, and U+2028/U+2029 are escaped
 * too, since some editors treat them as line breaks. Throws only for values JSON cannot hold
 * (BigInt, cycles), which are programming errors.
 */
export function serializeEvent(event: RunEvent | UnknownEvent): string {
  let json = JSON.stringify(event);
  if (json.includes('\u2028') || json.includes('\u2029')) {
    json = json.replace(LINE_SEPARATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
  }
  return `${json}\n`;
}

/**
 * Writes one run's events through `sink` (stdout, a file appender, a test array, ...). Every
 * event is checked after serialisation exactly as a reader would see it; an event that does not
 * pass is a bug in its producer, so emit() throws instead of writing it.
 */
export class EventWriter {
  constructor(
    readonly run: string,
    private readonly sink: (line: string) => void,
    private readonly clock: () => Date = () => new Date(),
  ) {
    if (typeof run !== 'string' || run.length === 0) {
      throw new Error('EventWriter: the run id must be a non-empty string');
    }
  }

  /** Stamps, checks, writes and returns the event as readers will read it (NaN -> null). */
  emit<B extends EventBody>(body: B): RunEvent {
    const line = serializeEvent(makeEvent(this.run, body, this.clock()));
    const result = validateEvent(JSON.parse(line));
    if (!result.ok) {
      throw new Error(`EventWriter: refusing to write an invalid event (${result.reason})`);
    }
    if (!result.known) {
      throw new Error(`EventWriter: refusing to write an event of unknown type "${String(body.type)}"`);
    }
    this.sink(line);
    return result.event;
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * A new run id: UTC time to the millisecond then 6 random hex digits, e.g.
 * `20261125-213000-123-a1b2c3`. Ids sort by start time as plain strings.
 */
export function newRunId(date: Date = new Date()): string {
  const random = new Uint8Array(3);
  globalThis.crypto.getRandomValues(random);
  let suffix = '';
  for (const b of random) suffix += b.toString(16).padStart(2, '0');
  const day = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}`;
  const time = `${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}`;
  return `${day}-${time}-${pad(date.getUTCMilliseconds(), 3)}-${suffix}`;
}
