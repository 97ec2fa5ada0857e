/**
 * The fast path of the log.txt reader: one whole, clean epoch line,
 *
 *   2020-11-20-13-45: epoch: 5 |tot 10.123456 | hm 1.234567 | time 45.500000 | tot 13.315100 | time 2.100000 |
 *
 * read by index in one pass, without trimming copies, split() or regular expressions.
 *
 * It reads a line only when the general reader (logtxt.ts readLine) would read it without any
 * problem to report, and returns null otherwise (the last line without newline, a value it
 * cannot read, a missing train time, a cut validation part, unusual whitespace...): the caller
 * then reads the line with the general reader, which says what is wrong. Values other than plain
 * decimals (`nan`, `1e-05`) go through the same parsePyNumber as the general reader.
 * test/unit/centerfusion.fastpath.test.ts checks on generated files that both give the same result.
 */

import type { Num, Stats } from '../protocol/types';
import type { LogTxtEpoch } from './logtxt';
import { NameCache, isDigit, isNameChar, isNameStart, readDecimal, readUint, scanEnd, skipSpaces } from './scan';
import { parsePyNumber, setOwn } from './text';

/** Longest stat name the general reader accepts (`[A-Za-z_][\w.\/-]{0,127}`). */
const MAX_NAME = 128;
/** `YYYY-MM-DD-HH-MM`: digits, and dashes at these offsets. */
const STAMP_LENGTH = 16;
const STAMP_DASHES = [4, 7, 10, 13];

const names = new NameCache();

/** The epoch in one complete log.txt line, or null to leave the line to the general reader. */
export function readCommonLogLine(raw: string, lineNo: number): LogTxtEpoch | null {
  const n = raw.length;
  let i = skipSpaces(raw, 0, n);
  let time = '';
  if (i < n && isDigit(raw.charCodeAt(i))) {
    if (!isStamp(raw, i) || raw.charCodeAt(i + STAMP_LENGTH) !== 58 /* : */ || raw.charCodeAt(i + STAMP_LENGTH + 1) !== 32) return null;
    time = raw.slice(i, i + STAMP_LENGTH);
    i += STAMP_LENGTH + 2;
  }
  if (!raw.startsWith('epoch:', i)) return null;
  i += 6;
  if (raw.charCodeAt(i) === 32) i++;
  const epoch = readUint(raw, i, n, 15);
  if (!(epoch >= 1)) return null;
  i = scanEnd;
  if (raw.charCodeAt(i) === 32) i++;
  if (raw.charCodeAt(i) !== 124 /* | */) return null;
  i++;

  const train: Stats = {};
  let val: Stats | null = null;
  let timeMin: number | null = null;
  let valTime: number | undefined;
  let part: 'train' | 'val' | 'done' = 'train';
  for (let slot = 0; i < n; slot++) {
    let bar = raw.indexOf('|', i);
    if (bar < 0) bar = n;
    const from = skipSpaces(raw, i, bar);
    i = bar + 1;
    if (from === bar) continue;
    // `<name> <value>`, then spaces only.
    if (part === 'done' || !isNameStart(raw.charCodeAt(from))) return null;
    let j = from + 1;
    while (j < bar && isNameChar(raw.charCodeAt(j))) j++;
    if (j - from > MAX_NAME || j >= bar || raw.charCodeAt(j) !== 32) return null;
    const nameEnd = j;
    const valueStart = skipSpaces(raw, j, bar);
    let v: Num | undefined = readDecimal(raw, valueStart, bar, true, 15, 15);
    let valueEnd = scanEnd;
    if (Number.isNaN(v) || (valueEnd < bar && raw.charCodeAt(valueEnd) !== 32)) {
      // Not a plain decimal (`nan`, `1e-05`, ...): the general reader's parsePyNumber decides.
      valueEnd = plainRunEnd(raw, valueStart, bar);
      v = valueEnd === valueStart ? undefined : parsePyNumber(raw.slice(valueStart, valueEnd));
    }
    if (v === undefined || skipSpaces(raw, valueEnd, bar) !== bar) return null;
    if (nameEnd - from === 4 && raw.startsWith('time', from)) {
      if (v === null) return null;
      if (part === 'train') {
        timeMin = v;
        part = 'val';
      } else {
        valTime = v;
        if (val === null) val = {};
        part = 'done';
      }
      continue;
    }
    const name = names.get(raw, from, nameEnd, slot);
    if (part === 'train') setOwn<Num>(train, name, v);
    else {
      if (val === null) val = {};
      setOwn<Num>(val, name, v);
    }
  }
  if (part === 'train' || (part === 'val' && val !== null)) return null;
  const entry: LogTxtEpoch = { time, epoch, train, val, time_min: timeMin, complete: true, line: lineNo };
  if (valTime !== undefined) entry.val_time_min = valTime;
  return entry;
}

function isStamp(s: string, at: number): boolean {
  if (at + STAMP_LENGTH > s.length) return false;
  for (let k = 0; k < STAMP_LENGTH; k++) {
    const c = s.charCodeAt(at + k);
    if (STAMP_DASHES.includes(k) ? c !== 45 /* - */ : !isDigit(c)) return false;
  }
  return true;
}

/**
 * The end of the value at `from`: a run of `[A-Za-z0-9.+-]` ended by a space, `|` or `end`;
 * `from` when it holds any other character (left to the general reader).
 */
function plainRunEnd(s: string, from: number, end: number): number {
  let j = from;
  for (; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 32) break;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 46 || c === 43 || c === 45)) return from;
  }
  return j;
}
