/**
 * CenterFusion's log.txt (one line per epoch, written by its Logger):
 *
 *   2020-11-20-13-45: epoch: 5 |tot 10.123456 | hm 1.234567 | time 45.500000 | tot 13.315100 | hm 1.179300 | time 2.100000 |
 *
 * The time stamp is when the line was started (minute resolution); then the train averages,
 * ending with `time` (minutes); on validation epochs the validation averages follow with the
 * same names, again ending with `time`. Values are written with `{:8f}` (6 decimals, padded to
 * 8 characters, so `nan` appears as `     nan`). The file is flushed at each line end, so a run
 * killed mid-epoch leaves a last line without its validation part, or without a newline.
 *
 * Pure TypeScript; never throws.
 */

import type { EpochEndEvent, EventBody, Stats } from '../protocol/types';
import { readCommonLogLine } from './logtxtline';
import { ProblemList, excerpt, parsePyNumber, setOwn } from './text';

export interface LogTxtEpoch {
  /** The line's time stamp as written (`YYYY-MM-DD-HH-MM`), or '' when the line had none. */
  time: string;
  epoch: number;
  /** Train averages (without `time`); NaN / inf values are null. */
  train: Stats;
  /** Validation averages, or null when the line has no validation part. */
  val: Stats | null;
  /** Train time in minutes; null when the line was cut before it. */
  time_min: number | null;
  val_time_min?: number;
  /** The line ended with a newline (a killed run's last line may not). */
  complete: boolean;
  /** 1-based line number in the file. */
  line: number;
}

export interface LogTxt {
  epochs: LogTxtEpoch[];
  problems: string[];
}

const LINE = /^(?:(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}): )?epoch: ?(-?\d{1,15}) ?\|(.*)$/;
const PAIR = /^([A-Za-z_][\w.\/-]{0,127})\s+(\S+)$/;

/** Reads one log.txt line (without its newline); null when it is not an epoch line. */
function readLine(
  raw: string,
  lineNo: number,
  complete: boolean,
  problems: ProblemList,
): LogTxtEpoch | null {
  const m = LINE.exec(raw.trim());
  if (m === null) return null;
  const epoch = Number(m[2]);
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    problems.add(`line ${lineNo}: epoch "${m[2].slice(0, 20)}" is not a positive integer`);
    return null;
  }
  const fields = m[3].split('|');
  const train: Stats = {};
  let val: Stats | null = null;
  let timeMin: number | null = null;
  let valTime: number | undefined;
  let part: 'train' | 'val' | 'done' = 'train';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i].trim();
    if (f === '') continue;
    const lastField = i === fields.length - 1;
    // Every pair is written as `name value | `: without the bar after it, the last pair of an
    // unfinished line may be cut in the middle of its number.
    if (lastField && !complete) {
      problems.add(`line ${lineNo}: epoch ${epoch}: last value ${excerpt(f, 40)} cut short (line without newline)`);
      break;
    }
    const p = PAIR.exec(f);
    const v = p === null ? undefined : parsePyNumber(p[2]);
    if (p === null || v === undefined) {
      problems.add(`line ${lineNo}: epoch ${epoch}: cannot read ${excerpt(f, 40)}`);
      continue;
    }
    const name = p[1];
    if (part === 'done') {
      problems.add(`line ${lineNo}: epoch ${epoch}: value after the validation time ignored: ${excerpt(f, 40)}`);
      continue;
    }
    if (name === 'time') {
      if (part === 'train') {
        if (v === null) problems.add(`line ${lineNo}: epoch ${epoch}: train time is not a number`);
        else timeMin = v;
        part = 'val';
      } else {
        if (v !== null) valTime = v;
        else problems.add(`line ${lineNo}: epoch ${epoch}: validation time is not a number`);
        if (val === null) val = {};
        part = 'done';
      }
      continue;
    }
    if (part === 'train') setOwn(train, name, v);
    else {
      if (val === null) val = {};
      setOwn(val, name, v);
    }
  }
  if (part === 'train') problems.add(`line ${lineNo}: epoch ${epoch}: no train time (line cut short?)`);
  else if (part === 'val' && val !== null) problems.add(`line ${lineNo}: epoch ${epoch}: validation part cut short`);
  const entry: LogTxtEpoch = {
    time: m[1] ?? '',
    epoch,
    train,
    val,
    time_min: timeMin,
    complete,
    line: lineNo,
  };
  if (valTime !== undefined) entry.val_time_min = valTime;
  return entry;
}

/** True when the line holds only whitespace (as `trim() === ''`, without the copy). */
function isBlank(raw: string): boolean {
  if (raw.length === 0) return true;
  const c = raw.charCodeAt(0);
  if (c > 32 && c < 127) return false; // the usual case: a line starting with a digit or a letter
  return raw.trim() === '';
}

/**
 * Reads a whole log.txt. Lines that are not epoch lines are reported in `problems`.
 * `fastPath: false` reads every line with the general reader (tests compare the two).
 */
export function parseLogTxt(text: string, options: { maxProblems?: number; fastPath?: boolean } = {}): LogTxt {
  const fastPath = options.fastPath !== false;
  const problems = new ProblemList(options.maxProblems ?? 200);
  const epochs: LogTxtEpoch[] = [];
  try {
    const src = typeof text === 'string' ? text : String(text);
    const body = src.charCodeAt(0) === 0xfeff ? src.slice(1) : src;
    const lines = body.split('\n');
    const seen = new Set<number>();
    for (let i = 0; i < lines.length; i++) {
      const isLast = i === lines.length - 1;
      let raw = lines[i];
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      if (isBlank(raw)) continue;
      try {
        const complete = !isLast; // the last piece after split has no newline after it
        const entry = (fastPath && complete ? readCommonLogLine(raw, i + 1) : null) ?? readLine(raw, i + 1, complete, problems);
        if (entry === null) {
          problems.add(`line ${i + 1}: not an epoch line: ${excerpt(raw)}`);
          continue;
        }
        if (!complete) problems.add(`line ${i + 1}: epoch ${entry.epoch}: last line without newline (run stopped mid-write?)`);
        if (seen.has(entry.epoch)) problems.add(`line ${i + 1}: epoch ${entry.epoch} appears again (appended runs?)`);
        seen.add(entry.epoch);
        epochs.push(entry);
      } catch (e) {
        problems.add(`line ${i + 1}: internal error (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  } catch (e) {
    problems.add(`internal error (${e instanceof Error ? e.message : String(e)})`);
  }
  return { epochs, problems: problems.list() };
}

/**
 * `epoch_end` event bodies for the epochs of a log.txt (text or parsed). An epoch whose line was
 * cut before its train time cannot make one (time_min is required) and is reported instead.
 * Extra fields: `logged_at` (the line's time stamp) and `complete` (false for an unfinished line).
 */
export function logTxtToEvents(input: string | LogTxt): { events: EventBody[]; problems: string[] } {
  const parsed = typeof input === 'string' ? parseLogTxt(input) : input;
  const events: EventBody[] = [];
  const problems = [...parsed.problems];
  for (const e of parsed.epochs) {
    if (e.time_min === null) {
      problems.push(`epoch ${e.epoch} (line ${e.line}): no epoch_end event without its train time`);
      continue;
    }
    const body: EventBody<EpochEndEvent> = {
      type: 'epoch_end',
      epoch: e.epoch,
      train: e.train,
      val: e.val,
      time_min: e.time_min,
    };
    if (e.val_time_min !== undefined) body.val_time_min = e.val_time_min;
    if (e.time !== '') body.logged_at = e.time;
    if (!e.complete) body.complete = false;
    events.push(body);
  }
  return { events, problems };
}
