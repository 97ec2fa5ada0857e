/**
 * Schema check for run events (protocol version 1, see docs/protocol.md).
 *
 * Pure TypeScript: no node or DOM APIs, so it bundles for the extension host, the trainer and
 * the webviews alike. The checker never throws; it answers with a result object whose `reason`
 * names the event type, the offending field (dotted path for nested fields) and what was found.
 */

import {
  PROTOCOL_VERSION,
  type CheckpointKind,
  type EventType,
  type LogLevel,
  type Mode,
  type Phase,
  type RunEvent,
  type RunStatus,
  type UnknownEvent,
} from './types';

export type ValidationResult =
  | { ok: true; event: RunEvent; known: true }
  | { ok: true; event: UnknownEvent; known: false }
  | { ok: false; reason: string };

type Obj = Record<string, unknown>;

/** A field problem, or null when the field is fine. */
type Problem = string | null;

export const MODES: readonly Mode[] = ['train', 'eval'];
export const PHASES: readonly Phase[] = ['train', 'val', 'test'];
export const CHECKPOINT_KINDS: readonly CheckpointKind[] = ['last', 'epoch', 'save_point'];
export const RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'stopped', 'killed'];
export const LOG_LEVELS: readonly LogLevel[] = ['info', 'warning'];

/** The nuScenes summary metrics an `eval` event must carry. */
export const EVAL_METRIC_KEYS = ['mAP', 'mATE', 'mASE', 'mAOE', 'mAVE', 'mAAE', 'NDS'] as const;
/** The per-class metrics inside `eval.metrics.per_class.<class>`. */
export const CLASS_METRIC_KEYS = ['AP', 'ATE', 'ASE', 'AOE', 'AVE', 'AAE'] as const;

// ---------------------------------------------------------------------------------------------
// Describing values in messages

/** A short, human-readable name for what a value is ("string", "null", "array", "NaN", ...). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return 'number';
  }
  return typeof value;
}

/** A value quoted for a message, cut short so a message stays one readable line. */
function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  else if (typeof value === 'number') text = String(value);
  else text = describeValue(value);
  return text;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A field is present when it is not undefined. The names asked for are fixed protocol names,
 * none of which Object.prototype defines, so a plain lookup is enough.
 */
function has(obj: Obj, key: string): boolean {
  return obj[key] !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Field checks. Each returns null when fine, or the message tail after `field "x" `.

function needString(v: unknown): Problem {
  return typeof v === 'string' ? null : `must be a string, got ${describeValue(v)}`;
}

function needNonEmptyString(v: unknown): Problem {
  if (typeof v !== 'string') return `must be a non-empty string, got ${describeValue(v)}`;
  return v.length > 0 ? null : 'must be a non-empty string, got an empty string';
}

function needStringOrNull(v: unknown): Problem {
  return v === null || typeof v === 'string' ? null : `must be a string or null, got ${describeValue(v)}`;
}

function needNumber(v: unknown): Problem {
  return typeof v === 'number' && Number.isFinite(v) ? null : `must be a number, got ${describeValue(v)}`;
}

function needNumberOrNull(v: unknown): Problem {
  return v === null || (typeof v === 'number' && Number.isFinite(v))
    ? null
    : `must be a number or null, got ${describeValue(v)}`;
}

function needPositiveInt(v: unknown): Problem {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return null;
  return `must be a positive integer, got ${typeof v === 'number' ? quote(v) : describeValue(v)}`;
}

function needPositiveIntOrNull(v: unknown): Problem {
  if (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return null;
  return `must be a positive integer or null, got ${typeof v === 'number' ? quote(v) : describeValue(v)}`;
}

function needNonNegativeInt(v: unknown): Problem {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return null;
  return `must be an integer >= 0, got ${typeof v === 'number' ? quote(v) : describeValue(v)}`;
}

function needObject(v: unknown): Problem {
  return isObject(v) ? null : `must be an object, got ${describeValue(v)}`;
}

function needStringArray(v: unknown): Problem {
  if (!Array.isArray(v)) return `must be an array of strings, got ${describeValue(v)}`;
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string') return `must be an array of strings, got ${describeValue(v[i])} at index ${i}`;
  }
  return null;
}

function needOneOf(allowed: readonly string[]): (v: unknown) => Problem {
  const list = allowed.map((a) => `"${a}"`).join(', ');
  return (v) => {
    if (typeof v === 'string' && allowed.includes(v)) return null;
    return `must be one of ${list}, got ${typeof v === 'string' ? quote(v) : describeValue(v)}`;
  };
}

const needMode = needOneOf(MODES);
const needPhase = needOneOf(PHASES);
const needCheckpointKind = needOneOf(CHECKPOINT_KINDS);
const needRunStatus = needOneOf(RUN_STATUSES);
const needLogLevel = needOneOf(LOG_LEVELS);

// ---------------------------------------------------------------------------------------------
// Per-type checking with field paths

/** Collects the first problem of one event, with its type name as the message prefix. */
class Checker {
  problem: string | null = null;

  constructor(private readonly type: string) {}

  private fail(message: string): void {
    if (this.problem === null) this.problem = `${this.type}: ${message}`;
  }

  /**
   * A required field: present (not undefined) and passing `check`. Callers pass the value read
   * with a literal property access (`o.epoch`), which V8 makes fast for the repeating shapes of
   * parsed events, instead of a lookup by a variable key here.
   */
  req(key: string, value: unknown, check: (v: unknown) => Problem): void {
    if (this.problem !== null) return;
    if (value === undefined) return this.fail(`missing required field "${key}"`);
    const p = check(value);
    if (p !== null) this.fail(`field "${key}" ${p}`);
  }

  /** An optional field: absent, or passing `check`. */
  opt(key: string, value: unknown, check: (v: unknown) => Problem): void {
    if (this.problem !== null || value === undefined) return;
    const p = check(value);
    if (p !== null) this.fail(`field "${key}" ${p}`);
  }

  /** A problem found inside a nested value, at a dotted path. */
  nested(path: string, problem: Problem): void {
    if (problem !== null) this.fail(`field "${path}" ${problem}`);
  }

  /** A nested required field missing. */
  nestedMissing(path: string): void {
    this.fail(`missing required field "${path}"`);
  }
}

/** A record of name -> number|null (losses, epoch averages). */
function checkStats(c: Checker, path: string, value: unknown): void {
  if (!isObject(value)) return; // the caller reports the shape
  for (const key of Object.keys(value)) {
    const p = needNumberOrNull(value[key]);
    if (p !== null) {
      c.nested(`${path}.${key}`, p);
      return;
    }
  }
}

function needStats(v: unknown): Problem {
  return isObject(v) ? null : `must be an object of name -> number or null, got ${describeValue(v)}`;
}

function needStatsOrNull(v: unknown): Problem {
  return v === null || isObject(v)
    ? null
    : `must be an object of name -> number or null, or null, got ${describeValue(v)}`;
}

function needTimings(v: unknown): Problem {
  if (!isObject(v)) return `must be an object of name -> [current, average], got ${describeValue(v)}`;
  for (const key of Object.keys(v)) {
    const pair = v[key];
    if (!Array.isArray(pair) || pair.length !== 2) {
      return `must map each name to [current, average]; "${key}" is ${Array.isArray(pair) ? `an array of ${pair.length}` : describeValue(pair)}`;
    }
    if (needNumber(pair[0]) !== null || needNumber(pair[1]) !== null) {
      return `must map each name to two numbers; "${key}" holds ${describeValue(pair[0])}, ${describeValue(pair[1])}`;
    }
  }
  return null;
}

function checkMetrics(c: Checker, value: unknown): void {
  if (!isObject(value)) return;
  for (const key of EVAL_METRIC_KEYS) {
    if (!has(value, key)) return c.nestedMissing(`metrics.${key}`);
    c.nested(`metrics.${key}`, needNumberOrNull(value[key]));
  }
  if (!has(value, 'per_class')) return c.nestedMissing('metrics.per_class');
  const perClass = value.per_class;
  if (!isObject(perClass)) return c.nested('metrics.per_class', `must be an object, got ${describeValue(perClass)}`);
  for (const cls of Object.keys(perClass)) {
    const entry = perClass[cls];
    if (!isObject(entry)) return c.nested(`metrics.per_class.${cls}`, `must be an object, got ${describeValue(entry)}`);
    for (const key of CLASS_METRIC_KEYS) {
      if (!has(entry, key)) return c.nestedMissing(`metrics.per_class.${cls}.${key}`);
      c.nested(`metrics.per_class.${cls}.${key}`, needNumberOrNull(entry[key]));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fast acceptance of the common well-formed events
//
// `iter` and `epoch_end` are nearly every line of a stream. These checks accept a well-formed one
// without building a Checker; anything they do not accept goes to checkKnown, which finds and
// words the problem. They accept only what checkKnown accepts (for...in visits at least the own
// keys that checkKnown's Object.keys visits), so the result never differs, only its cost.

function isFiniteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function isPositiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function isNonNegativeInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** An object whose values are all finite numbers or null. */
function isStats(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) {
    const x = v[key];
    if (x !== null && !(typeof x === 'number' && Number.isFinite(x))) return false;
  }
  return true;
}

function optionalFinite(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

function iterLooksValid(o: Obj): boolean {
  const phase = o.phase;
  if (phase !== 'train' && phase !== 'val' && phase !== 'test') return false;
  const epoch = o.epoch;
  if (epoch !== null && !isPositiveInt(epoch)) return false;
  if (!isNonNegativeInt(o.iter) || !isNonNegativeInt(o.num_iters) || !isStats(o.losses)) return false;
  if (!optionalFinite(o.elapsed_s) || !optionalFinite(o.eta_s) || !optionalFinite(o.data_s) || !optionalFinite(o.net_s)) return false;
  return o.timings === undefined; // timings (rare): the full check
}

function epochEndLooksValid(o: Obj): boolean {
  if (!isPositiveInt(o.epoch) || !isStats(o.train) || !isFiniteNumber(o.time_min)) return false;
  if (o.val !== null && !isStats(o.val)) return false;
  return optionalFinite(o.val_time_min);
}

/** Checks the type-specific fields of a known type. */
function checkKnown(type: EventType, o: Obj): string | null {
  const c = new Checker(type);
  switch (type) {
    case 'run_start':
      c.req('task', o.task, needNonEmptyString);
      c.req('exp_id', o.exp_id, needString);
      c.req('mode', o.mode, needMode);
      c.req('argv', o.argv, needStringArray);
      c.req('opts', o.opts, needObject);
      c.req('save_dir', o.save_dir, needString);
      c.req('backend', o.backend, needNonEmptyString);
      break;
    case 'options':
      c.req('opts', o.opts, needObject);
      c.opt('argv', o.argv, needStringArray);
      c.opt('commit', o.commit, needString);
      c.opt('torch_version', o.torch_version, needString);
      break;
    case 'epoch_start':
    case 'lr_change':
      c.req('epoch', o.epoch, needPositiveInt);
      c.req('lr', o.lr, needNumber);
      break;
    case 'iter': {
      c.req('phase', o.phase, needPhase);
      c.req('epoch', o.epoch, needPositiveIntOrNull);
      c.req('iter', o.iter, needNonNegativeInt);
      c.req('num_iters', o.num_iters, needNonNegativeInt);
      c.req('losses', o.losses, needStats);
      if (c.problem === null) checkStats(c, 'losses', o.losses);
      c.opt('elapsed_s', o.elapsed_s, needNumber);
      c.opt('eta_s', o.eta_s, needNumber);
      c.opt('data_s', o.data_s, needNumber);
      c.opt('net_s', o.net_s, needNumber);
      c.opt('timings', o.timings, needTimings);
      break;
    }
    case 'epoch_end': {
      c.req('epoch', o.epoch, needPositiveInt);
      c.req('train', o.train, needStats);
      if (c.problem === null) checkStats(c, 'train', o.train);
      c.req('val', o.val, needStatsOrNull);
      if (c.problem === null) checkStats(c, 'val', o.val);
      c.req('time_min', o.time_min, needNumber);
      c.opt('val_time_min', o.val_time_min, needNumber);
      break;
    }
    case 'checkpoint':
      c.req('epoch', o.epoch, needPositiveInt);
      c.req('path', o.path, needNonEmptyString);
      c.req('kind', o.kind, needCheckpointKind);
      break;
    case 'eval': {
      c.req('epoch', o.epoch, needPositiveIntOrNull);
      c.req('metrics', o.metrics, needObject);
      if (c.problem === null) checkMetrics(c, o.metrics);
      c.opt('summary_path', o.summary_path, needString);
      break;
    }
    case 'log':
      c.req('level', o.level, needLogLevel);
      c.req('message', o.message, needString);
      break;
    case 'error':
      c.req('error_type', o.error_type, needStringOrNull);
      c.req('message', o.message, needString);
      c.opt('traceback', o.traceback, needString);
      break;
    case 'run_end':
      c.req('status', o.status, needRunStatus);
      c.opt('exit_code', o.exit_code, (v) =>
        v === null || (typeof v === 'number' && Number.isInteger(v))
          ? null
          : `must be an integer or null, got ${typeof v === 'number' ? quote(v) : describeValue(v)}`,
      );
      c.opt('signal', o.signal, needStringOrNull);
      break;
    default: {
      // Exhaustiveness: a new member of EventType must get a case above.
      const never: never = type;
      return `${String(never)}: no schema`;
    }
  }
  return c.problem;
}

// ---------------------------------------------------------------------------------------------
// Times

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number formed by the decimal digits text[from, to), or -1 if any is not a digit. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * True for `YYYY-MM-DDTHH:MM:SS.fff` (3 to 9 fraction digits) followed by `Z`, `+hh:mm` or
 * `+hhmm` (or `-`), with every component in range (no 31 February, no hour 24). Every such
 * string is one Date.parse accepts; the check is done by hand because it runs once per event
 * read and a regular expression plus Date.parse costs several times more.
 */
export function isIsoTime(value: string): boolean {
  const n = value.length;
  if (n < 24 || n > 35) return false;
  if (value.charCodeAt(4) !== 0x2d || value.charCodeAt(7) !== 0x2d || value.charCodeAt(10) !== 0x54) return false;
  if (value.charCodeAt(13) !== 0x3a || value.charCodeAt(16) !== 0x3a || value.charCodeAt(19) !== 0x2e) return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return false;
  let i = 20;
  while (i < n && i < 29) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i - 20 < 3) return false; // at least milliseconds
  const zone = value.charCodeAt(i);
  if (zone === 0x5a /* Z */) return i + 1 === n;
  if (zone !== 0x2b /* + */ && zone !== 0x2d /* - */) return false;
  const rest = n - i - 1;
  const colon = rest === 5 && value.charCodeAt(i + 3) === 0x3a;
  if (rest !== 4 && !colon) return false;
  const zh = digits(value, i + 1, i + 3);
  const zm = digits(value, colon ? i + 4 : i + 3, n);
  return zh >= 0 && zh <= 23 && zm >= 0 && zm <= 59;
}

// ---------------------------------------------------------------------------------------------
// Entry point

const KNOWN_TYPES: ReadonlySet<string> = new Set<EventType>([
  'run_start',
  'options',
  'epoch_start',
  'iter',
  'epoch_end',
  'lr_change',
  'checkpoint',
  'eval',
  'log',
  'error',
  'run_end',
]);

/** True when `type` is one of the event types of protocol version 1. */
export function isKnownEventType(type: string): type is EventType {
  return KNOWN_TYPES.has(type);
}

/**
 * Checks one parsed JSON value against the protocol. Known types are checked field by field;
 * a value with valid common fields but a type this version does not know is accepted with
 * `known: false` (kept, ignored by consumers). Extra fields are always allowed. Never throws.
 */
export function validateEvent(value: unknown): ValidationResult {
  if (!isObject(value)) return { ok: false, reason: `event must be a JSON object, got ${describeValue(value)}` };
  const o = value;

  // The type first, so that every later message can name it.
  const { type, v, run, t } = o;
  if (type === undefined) return { ok: false, reason: 'event: missing required field "type"' };
  const typeProblem = needNonEmptyString(type);
  if (typeProblem !== null) return { ok: false, reason: `event: field "type" ${typeProblem}` };
  const label = String(type);
  const prefix = label.length > 40 ? `${label.slice(0, 40)}…` : label;

  if (v === undefined) return { ok: false, reason: `${prefix}: missing required field "v"` };
  if (v !== PROTOCOL_VERSION) {
    const got = typeof v === 'number' ? quote(v) : describeValue(v);
    return { ok: false, reason: `${prefix}: field "v" must be ${PROTOCOL_VERSION} (protocol version), got ${got}` };
  }
  if (run === undefined) return { ok: false, reason: `${prefix}: missing required field "run"` };
  const runProblem = needNonEmptyString(run);
  if (runProblem !== null) return { ok: false, reason: `${prefix}: field "run" ${runProblem}` };
  if (t === undefined) return { ok: false, reason: `${prefix}: missing required field "t"` };
  if (typeof t !== 'string') {
    return { ok: false, reason: `${prefix}: field "t" must be an ISO-8601 time string, got ${describeValue(t)}` };
  }
  if (!isIsoTime(t)) {
    return {
      ok: false,
      reason: `${prefix}: field "t" must be an ISO-8601 time with milliseconds and a zone (e.g. 2026-11-25T21:30:00.123Z), got ${quote(t)}`,
    };
  }

  if (!isKnownEventType(label)) {
    // Cast: the common fields were checked just above; the rest is free-form by definition.
    return { ok: true, event: o as UnknownEvent, known: false };
  }
  if ((label === 'iter' && iterLooksValid(o)) || (label === 'epoch_end' && epochEndLooksValid(o))) {
    // Cast: the fast check accepted every field checkKnown would.
    return { ok: true, event: o as RunEvent, known: true };
  }
  const problem = checkKnown(label, o);
  if (problem !== null) return { ok: false, reason: problem };
  // Cast: checkKnown verified every required field of this type and the optional ones present.
  return { ok: true, event: o as RunEvent, known: true };
}
