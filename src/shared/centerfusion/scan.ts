/**
 * Character-level scanning for the fast paths of the text readers (progressline.ts,
 * logtxtline.ts): digits, exact decimal numbers and `H:MM:SS` times read straight from a line
 * by index, without regular expressions or substrings.
 *
 * Every reader here returns NaN when the text is not in the plain shape it knows; the caller
 * then falls back to the general reader, so that the fast path never decides anything the
 * general path would decide differently. Where a value is read, `scanEnd` holds the index just
 * after it (module state, so that no result object is allocated per number).
 *
 * Exactness: a decimal `-?I.F` with at most 15 digits in all is read as `M / 10^k` (M the
 * digits as an integer, k the number of fraction digits). M < 2^53 and 10^k (k <= 22) are both
 * exact doubles and IEEE division is correctly rounded, so the result is the double nearest the
 * decimal value: the same double `Number(text)` gives.
 */

/** Index just after the last value read. */
export let scanEnd = 0;

/** At most this many digits are read exactly (M < 10^15 < 2^53). */
const MAX_DIGITS = 15;
const POW10: readonly number[] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `[A-Za-z0-9_]`, the regular-expression `\w`. */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** `[A-Za-z_]`: the first character of a name. */
export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** `[\w.\/-]`: the other characters of a loss or stat name. */
export function isNameChar(c: number): boolean {
  return isWordChar(c) || c === 46 /* . */ || c === 47 /* / */ || c === 45 /* - */;
}

/** Index of the first character at or after `i` (before `end`) that is not a space. */
export function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) === 32) i++;
  return i;
}

/** True when s[from, end) holds nothing but spaces. */
export function onlySpaces(s: string, from: number, end: number): boolean {
  return skipSpaces(s, from, end) === end;
}

/**
 * An unsigned integer of 1 to `maxDigits` (<= 15) digits at `i`, not followed by another digit;
 * NaN otherwise.
 */
export function readUint(s: string, i: number, end: number, maxDigits: number): number {
  let v = 0;
  let j = i;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    j++;
  }
  const n = j - i;
  if (n === 0 || n > maxDigits || n > MAX_DIGITS) return NaN;
  scanEnd = j;
  return v;
}

/**
 * A decimal at `i`: an optional `-` when `signed`, 1 to `maxInt` digits, optionally `.` and 1
 * to `maxFrac` digits; at most 15 digits in all. NaN when the text there has another shape
 * (a `.` without digits after it, too many digits, ...). Reads exactly what `Number()` reads.
 */
export function readDecimal(s: string, i: number, end: number, signed: boolean, maxInt: number, maxFrac: number): number {
  let j = i;
  let negative = false;
  if (signed && j < end && s.charCodeAt(j) === 45 /* - */) {
    negative = true;
    j++;
  }
  let m = 0;
  const intStart = j;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    m = m * 10 + (c - 48);
    j++;
  }
  const intDigits = j - intStart;
  if (intDigits === 0 || intDigits > maxInt) return NaN;
  let fracDigits = 0;
  if (j < end && s.charCodeAt(j) === 46 /* . */) {
    j++;
    const fracStart = j;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c < 48 || c > 57) break;
      m = m * 10 + (c - 48);
      j++;
    }
    fracDigits = j - fracStart;
    if (fracDigits === 0 || fracDigits > maxFrac) return NaN;
  }
  if (intDigits + fracDigits > MAX_DIGITS) return NaN;
  scanEnd = j;
  const v = fracDigits === 0 ? m : m / POW10[fracDigits];
  return negative ? -v : v;
}

/**
 * Python's `str(timedelta)` without days: `H:MM:SS` or `H:MM:SS.ffffff` (1 to 9 hour digits,
 * 1 to 6 fraction digits), not followed by another digit. Returns the seconds as
 * `parseTimedelta` computes them, -1 when minutes or seconds are over 59 (a time that
 * parseTimedelta rejects: the caller records no value), NaN when the shape differs (days,
 * more digits, ...).
 */
export function readClock(s: string, i: number, end: number): number {
  const h = readUint(s, i, end, 9);
  if (Number.isNaN(h)) return NaN;
  let j = scanEnd;
  if (j + 6 > end || s.charCodeAt(j) !== 58 /* : */ || s.charCodeAt(j + 3) !== 58) return NaN;
  const m1 = s.charCodeAt(j + 1) - 48;
  const m2 = s.charCodeAt(j + 2) - 48;
  const s1 = s.charCodeAt(j + 4) - 48;
  const s2 = s.charCodeAt(j + 5) - 48;
  if (!(m1 >= 0 && m1 <= 9 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return NaN;
  j += 6;
  let frac = 0;
  if (j < end) {
    const c = s.charCodeAt(j);
    if (isDigit(c)) return NaN;
    if (c === 46 /* . */ && j + 1 < end && isDigit(s.charCodeAt(j + 1))) {
      const f = readUint(s, j + 1, end, 6);
      if (Number.isNaN(f)) return NaN;
      frac = f / POW10[scanEnd - j - 1];
      j = scanEnd;
    } else if (c === 46) return NaN;
  }
  scanEnd = j;
  const min = m1 * 10 + m2;
  const sec = s1 * 10 + s2;
  if (min > 59 || sec > 59) return -1;
  // The same expression, in the same order, as parseTimedelta (days = 0).
  const days = 0;
  return days * 86400 + h * 3600 + min * 60 + sec + frac;
}

/**
 * Names seen before, by the position of their field, so that a name repeated on every line is
 * one shared (internalised) string instead of a new substring per line.
 */
export class NameCache {
  private readonly names: string[] = [];

  /** s[from, to) as a string, the cached one when it is the same text. */
  get(s: string, from: number, to: number, slot: number): string {
    const len = to - from;
    if (slot < this.names.length) {
      const cached = this.names[slot];
      if (cached.length === len && s.startsWith(cached, from)) return cached;
    }
    const name = s.slice(from, to);
    if (slot < 64) {
      while (this.names.length < slot) this.names.push('');
      this.names[slot] = name;
    }
    return name;
  }
}
