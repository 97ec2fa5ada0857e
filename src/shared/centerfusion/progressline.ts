/**
 * The fast path of ConsoleAdapter: one train/val progress update in its common shape,
 *
 *   ddd/centerfusion |####   | train: [3][41/486]|Tot: 0:01:56 |ETA: 0:00:19 |tot 13.3357 |hm 1.1791 ... |Data 0.011s(0.014s) |Net 0.280s
 *
 * (or the `--print_iter` form `ddd/centerfusion| train: ...`), read by index in one pass,
 * without regular expressions, per-field substrings or match arrays.
 *
 * It reads only what it can read exactly as the general path in progress.ts does, and returns
 * null for anything else: several updates glued on one line, a cut-short last field, test.py
 * updates, days in a time, nan/inf or exponent values, text after a value, unusual whitespace...
 * The caller then runs the general path on the same line. test/unit/centerfusion.fastpath.test.ts
 * checks on generated lines that both paths give the same events.
 */

import type { Num, Stats } from '../protocol/types';
import {
  NameCache,
  isNameChar,
  isNameStart,
  isWordChar,
  onlySpaces,
  readClock,
  readDecimal,
  readUint,
  scanEnd,
  skipSpaces,
} from './scan';
import { setOwn } from './text';

/** One progress update as both paths read it. */
export interface Update {
  phase: string;
  /** As printed (0 for `--eval` runs); absent for test.py. */
  epoch: number | null;
  iter: number;
  numIters: number;
  losses: Stats;
  timings: Record<string, [number, number]>;
  elapsed?: number;
  eta?: number;
  dataCur?: number;
  dataAvg?: number;
  net?: number;
  truncated: boolean;
  /** Text after the `Net` field that belongs to another line (output glued to the update). */
  leftover?: string;
}

/** test.py timings are never read here: train/val updates share this empty record. */
const NO_TIMINGS: Record<string, [number, number]> = Object.freeze({}) as Record<string, [number, number]>;

const TOT = '|Tot:';
/** Longest loss name the general path accepts (`[A-Za-z_][\w.\/-]{0,63}`). */
const MAX_NAME = 64;
/** Longest phase name the general anchor accepts (`[A-Za-z_]\w{0,20}`). */
const MAX_PHASE = 21;

const names = new NameCache();

/**
 * The update in `line` (ANSI escapes already removed, not trimmed), or null when the line is not
 * exactly one update of the common shape.
 */
export function readCommonUpdate(line: string): Update | null {
  const tot = line.indexOf(TOT);
  if (tot < 0 || line.indexOf(TOT, tot + TOT.length) >= 0) return null;
  const u = readAnchor(line, tot);
  if (u === null) return null;
  let pos = tot + TOT.length;
  if (line.charCodeAt(pos) === 32) pos++;
  return readFields(line, pos, u) ? u : null;
}

/**
 * `<phase>: [<epoch>][<iter>/<num_iters>]` ending just before `|Tot:` (one space allowed
 * between), read backwards. Only `train` and `val` with a plain epoch; anything else is left to
 * the general path.
 */
function readAnchor(line: string, tot: number): Update | null {
  let i = tot - 1;
  if (i >= 0 && line.charCodeAt(i) === 32) i--;
  if (i < 0 || line.charCodeAt(i) !== 93 /* ] */) return null;
  const numStart = digitsBefore(line, i);
  if (numStart === i || line.charCodeAt(numStart - 1) !== 47 /* / */) return null;
  const iterEnd = numStart - 1;
  const iterStart = digitsBefore(line, iterEnd);
  if (iterStart === iterEnd || line.charCodeAt(iterStart - 1) !== 91 /* [ */) return null;
  // `]` then the epoch: `[<epoch>]`.
  const epochClose = iterStart - 2;
  if (epochClose < 0 || line.charCodeAt(epochClose) !== 93) return null;
  const epochStart = digitsBefore(line, epochClose);
  if (epochStart === epochClose || line.charCodeAt(epochStart - 1) !== 91) return null;
  let j = epochStart - 2;
  if (j >= 0 && line.charCodeAt(j) === 32) j--;
  if (j < 0 || line.charCodeAt(j) !== 58 /* : */) return null;
  // The phase: the whole word before the colon, a name the anchor reads from its first letter.
  let phaseStart = j;
  while (phaseStart > 0 && isWordChar(line.charCodeAt(phaseStart - 1))) phaseStart--;
  const phaseLen = j - phaseStart;
  if (phaseLen === 0 || phaseLen > MAX_PHASE || !isNameStart(line.charCodeAt(phaseStart))) return null;
  let phase: string;
  if (phaseLen === 5 && line.startsWith('train', phaseStart)) phase = 'train';
  else if (phaseLen === 3 && line.startsWith('val', phaseStart)) phase = 'val';
  else return null;
  const epoch = readUint(line, epochStart, epochClose, 15);
  const iter = readUint(line, iterStart, iterEnd, 15);
  const numIters = readUint(line, numStart, i, 15);
  if (Number.isNaN(epoch) || Number.isNaN(iter) || Number.isNaN(numIters)) return null;
  return { phase, epoch, iter, numIters, losses: {}, timings: NO_TIMINGS, truncated: false };
}

/** Index of the first of the digits that end just before `end`. */
function digitsBefore(s: string, end: number): number {
  let i = end;
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    if (c < 48 || c > 57) break;
    i--;
  }
  return i;
}

/**
 * The `|`-separated fields from `pos` to the end of the line, as the general readFields reads
 * them. False (give up) at the first field of another shape. The last field must be `Net ...s`
 * or blank: anything else there may have been cut short, which the general path judges.
 */
function readFields(line: string, pos: number, u: Update): boolean {
  const n = line.length;
  for (let i = 0; ; i++) {
    let bar = line.indexOf('|', pos);
    if (bar < 0) bar = n;
    const last = bar >= n;
    const from = skipSpaces(line, pos, bar);
    if (from < bar && !(i === 0 ? readTime(line, from, bar, pos, u) : readField(line, from, bar, last, i, u))) return false;
    if (last) return true;
    pos = bar + 1;
  }
}

/** The elapsed time right after `Tot: ` (the general path does not skip spaces there). */
function readTime(line: string, from: number, end: number, fieldStart: number, u: Update): boolean {
  if (from !== fieldStart || end >= line.length) return false;
  const t = readClock(line, from, end);
  if (Number.isNaN(t) || !onlySpaces(line, scanEnd, end)) return false;
  if (t >= 0) u.elapsed = t;
  return true;
}

function readField(line: string, from: number, end: number, last: boolean, slot: number, u: Update): boolean {
  const c = line.charCodeAt(from);
  if (c === 0x4e /* N */ && line.startsWith('Net ', from)) {
    const v = readDecimal(line, from + 4, end, false, 12, 12);
    if (Number.isNaN(v) || line.charCodeAt(scanEnd) !== 0x73 /* s */ || scanEnd >= end || !onlySpaces(line, scanEnd + 1, end)) return false;
    u.net = v;
    return true;
  }
  if (last) return false;
  if (c === 0x45 /* E */ && line.startsWith('ETA:', from)) {
    let j = from + 4;
    if (line.charCodeAt(j) === 32) j++;
    const t = readClock(line, j, end);
    if (Number.isNaN(t) || !onlySpaces(line, scanEnd, end)) return false;
    if (t >= 0) u.eta = t;
    return true;
  }
  if (c === 0x44 /* D */ && line.startsWith('Data ', from)) {
    const cur = readDecimal(line, from + 5, end, false, 12, 12);
    if (Number.isNaN(cur)) return false;
    let j = scanEnd;
    if (line.charCodeAt(j) !== 0x73 /* s */) return false;
    j++;
    if (line.charCodeAt(j) === 32) j++;
    if (line.charCodeAt(j) !== 40 /* ( */) return false;
    const avg = readDecimal(line, j + 1, end, false, 12, 12);
    if (Number.isNaN(avg)) return false;
    j = scanEnd;
    if (j + 2 > end || line.charCodeAt(j) !== 0x73 || line.charCodeAt(j + 1) !== 41 /* ) */ || !onlySpaces(line, j + 2, end)) return false;
    u.dataCur = cur;
    u.dataAvg = avg;
    return true;
  }
  return readLoss(line, from, end, slot, u);
}

/** `<name> <value>` followed by spaces only, the value a plain decimal. */
function readLoss(line: string, from: number, end: number, slot: number, u: Update): boolean {
  if (!isNameStart(line.charCodeAt(from))) return false;
  let j = from + 1;
  while (j < end && isNameChar(line.charCodeAt(j))) j++;
  const nameEnd = j;
  if (nameEnd - from > MAX_NAME || j >= end || line.charCodeAt(j) !== 32) return false;
  j = skipSpaces(line, j, end);
  const v = readDecimal(line, j, end, true, 15, 15);
  if (Number.isNaN(v) || !onlySpaces(line, scanEnd, end)) return false;
  setOwn<Num>(u.losses, names.get(line, from, nameEnd, slot), v);
  return true;
}
