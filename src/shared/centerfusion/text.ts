/**
 * Small text helpers shared by the CenterFusion readers: terminal escapes, Python number text,
 * `datetime.timedelta` text and a capped list of problems. Pure TypeScript.
 */

import type { Num } from '../protocol/types';

/**
 * ANSI / VT100 escapes: CSI (`ESC [ ... final`, e.g. `\x1b[K`, `\x1b[?25l`, colours), OSC
 * (`ESC ] ... BEL` or `ESC ] ... ESC \`), and two-character escapes. A lone ESC at the end of a
 * line (an escape cut short) is removed too.
 */
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -~])?/g;
/** C0 control characters other than tab (backspace, bell, NUL, ...) and DEL. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const NEEDS_CLEANING = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/** The text with terminal escapes and control characters (except tab) removed. */
export function stripAnsi(text: string): string {
  if (!NEEDS_CLEANING.test(text)) return text;
  return text.replace(ANSI, '').replace(CONTROL, '');
}

const FIXED = /^-?\d{1,15}\.\d{1,15}$/;

/**
 * A number as Python prints it (`13.3357`, `1e-05`, `-0.5`), or null for `nan`, `inf`, `-inf`
 * and values too large to be finite. Returns undefined when the text is not a number at all.
 */
export function parsePyNumber(text: string): Num | undefined {
  if (FIXED.test(text)) return Number(text); // the common case: `13.3357`
  const t = text.trim();
  if (t === '') return undefined;
  const lower = t.toLowerCase();
  if (lower === 'nan' || lower === '-nan' || lower === 'inf' || lower === '-inf' || lower === '+inf') return null;
  if (lower === 'infinity' || lower === '-infinity') return null;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return undefined;
  const v = Number(t);
  if (Number.isNaN(v)) return undefined;
  return Number.isFinite(v) ? v : null;
}

/**
 * Seconds from Python's `str(timedelta)`: `H:MM:SS`, `N day, H:MM:SS`, `N days, H:MM:SS`,
 * optionally with `.ffffff`. Undefined when the text does not have that exact shape.
 */
export function parseTimedelta(text: string): number | undefined {
  const m = /^(?:(-?\d{1,9}) days?, )?(\d{1,9}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const days = m[1] === undefined ? 0 : Number(m[1]);
  const h = Number(m[2]);
  const min = Number(m[3]);
  const sec = Number(m[4]);
  if (min > 59 || sec > 59) return undefined;
  const frac = m[5] === undefined ? 0 : Number(`0.${m[5]}`);
  const total = days * 86400 + h * 3600 + min * 60 + sec + frac;
  return Number.isFinite(total) ? total : undefined;
}

/** A positive safe integer from a digit string, or undefined. */
export function parseCount(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A short quotation of a line for a problem message. */
export function excerpt(text: string, max = 80): string {
  const oneLine = text.replace(/[\r\n\t]/g, ' ');
  return JSON.stringify(oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine);
}

/**
 * A list of problem messages that stops growing after `max` entries but keeps counting, so a
 * file with a million bad lines does not hold a million messages.
 */
export class ProblemList {
  readonly messages: string[] = [];
  count = 0;

  constructor(readonly max = 200) {}

  add(message: string): void {
    this.count++;
    if (this.messages.length < this.max) this.messages.push(message);
  }

  /** The messages, with a closing "... and N more" line when some were left out. */
  list(): string[] {
    const left = this.count - this.messages.length;
    return left > 0 ? [...this.messages, `... and ${left} more`] : [...this.messages];
  }
}

/** Sets a key as an own property, `__proto__` included (a name read from a file is just a name). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
