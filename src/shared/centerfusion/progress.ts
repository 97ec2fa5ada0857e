/**
 * ConsoleAdapter: CenterFusion's console output (a Python process's stdout and stderr, merged)
 * to run-event bodies, read as a stream.
 *
 * What it understands (docs/centerfusion-logs.md has the details and examples):
 * - progress-bar updates (`<task>/<exp_id> |####   | train: [3][41/486]|Tot: ... |Net 0.280s`),
 *   `\r`-separated, glued on one line, cut at the terminal width, with ANSI escapes;
 * - `--print_iter` lines (`<task>/<exp_id>| train: [3][40/486]|Tot: ...`, ETA always 0);
 * - test.py updates (`[12/6019]|Tot: ... |tot 0.412s (0.398s) |load ...`);
 * - startup and status lines (`Creating model...`, `loaded <path>, epoch <N>`, `Drop LR to`,
 *   `Namespace(...)`), Python warnings, tracebacks (also headerless or interleaved), the
 *   nuScenes evaluation printout.
 *
 * Pure TypeScript: no node:*, no vscode, no DOM. push() and end() never throw; whatever could
 * not be read is counted in `stats` and described in `problems`.
 */

import type {
  EpochStartEvent,
  ErrorEvent,
  EvalEvent,
  EventBody,
  IterEvent,
  LogEvent,
  LrChangeEvent,
  OptionsEvent,
} from '../protocol/types';
import { EvalBlock, isEvalStart } from './evalprint';
import { parsePyKwargs } from './pyliteral';
import { type Update, readCommonUpdate } from './progressline';
import { ProblemList, excerpt, parseCount, parsePyNumber, parseTimedelta, setOwn, stripAnsi } from './text';

/** CenterFusion's default learning rate (opts.py), used when nothing tells the run's own. */
export const CENTERFUSION_DEFAULT_LR = 1.25e-4;

export interface ConsoleAdapterOptions {
  /**
   * The run's options, when known (config, opt.txt): `lr` and `lr_step` give each epoch's
   * learning rate the way CenterFusion computes it. A `Namespace(...)` line in the output
   * replaces them.
   */
  opts?: Record<string, unknown>;
  /** Longest line kept, in characters (default 65536); the rest of a longer line is dropped. */
  maxLineLength?: number;
  /** How many problem messages are kept (all are counted). Default 200. */
  maxProblems?: number;
  /**
   * Read the common progress-update shape with the fast path (progressline.ts). Default true;
   * false reads every line with the general path (tests compare the two).
   */
  fastPath?: boolean;
}

/** Where an `epoch_start` learning rate came from (the event's extra field `lr_source`). */
export type LrSource = 'printed' | 'schedule' | 'previous' | 'default';

export interface ConsoleStats {
  /** Non-blank lines and `\r`-separated updates looked at. */
  lines: number;
  /** Iteration updates turned into `iter` events. */
  iters: number;
  /** `epoch_start` events. */
  epochs: number;
  /** Startup and status lines turned into `log` info events. */
  markers: number;
  /** `log` warning events (Python warnings, parameters skipped when loading, ...). */
  warnings: number;
  /** `error` events. */
  errors: number;
  /** `eval` events. */
  evals: number;
  /** `lr_change` events. */
  lr_changes: number;
  /** `options` events (from a `Namespace(...)` line). */
  options: number;
  /** Updates cut short (terminal width, end of capture): read as far as they go. */
  truncated: number;
  /** Pieces of a progress bar with no readable numbers (cut short). */
  fragments: number;
  /** The bar's label printed alone when a bar starts (normal; no event). */
  labels: number;
  /** An update identical in phase, epoch and iteration to the one before (skipped). */
  duplicates: number;
  /** Lines none of the above: counted only. */
  unknown: number;
  /** Lines longer than maxLineLength (the excess was dropped). */
  overlong: number;
  /** Lines whose reading failed inside the adapter (a bug: please report). */
  internal: number;
}

function newStats(): ConsoleStats {
  return {
    lines: 0,
    iters: 0,
    epochs: 0,
    markers: 0,
    warnings: 0,
    errors: 0,
    evals: 0,
    lr_changes: 0,
    options: 0,
    truncated: 0,
    fragments: 0,
    labels: 0,
    duplicates: 0,
    unknown: 0,
    overlong: 0,
    internal: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Progress updates

/**
 * The fixed part of an update: optional `<phase>: [<epoch>]`, then `[<iter>/<num_iters>]|Tot: `.
 * Found anywhere in a line (the bar and its label come before it): each `|Tot:` is located with
 * indexOf, and the pattern is matched on the few characters before it.
 */
const ANCHOR_TAIL = /(?:([A-Za-z_]\w{0,20}): ?\[(-?\d{1,15})\])?\[(\d{1,15})\/(\d{1,15})\] ?$/;
/** How far before `|Tot:` the rest of the anchor can start. */
const ANCHOR_LOOKBACK = 100;
const TIME_FIELD = /^(?:-?\d{1,9} days?, )?\d{1,9}:\d{2}:\d{2}(?:\.\d{1,6})?/;
const ETA_FIELD = /^ETA: ?((?:-?\d{1,9} days?, )?\d{1,9}:\d{2}:\d{2}(?:\.\d{1,6})?)/;
const DATA_FIELD = /^Data (\d{1,12}(?:\.\d{1,12})?)s ?\((\d{1,12}(?:\.\d{1,12})?)s\)/;
const NET_FIELD = /^Net (\d{1,12}(?:\.\d{1,12})?)s/;
const LOSS_FIELD = /^([A-Za-z_][\w.\/-]{0,63}) +(-?\d{1,20}(?:\.\d{1,20})?(?:[eE][-+]?\d{1,4})?|-?nan|-?inf)(?=\s|$)/;
const TIMING_FIELD = /^([A-Za-z_][\w.\/-]{0,63}) +(\d{1,12}(?:\.\d{1,12})?)s ?\((\d{1,12}(?:\.\d{1,12})?)s\)/;
/** A pending (not yet `\r`/`\n`-ended) update that is already complete. */
const ENDS_WITH_NET = /\|Net \d{1,12}\.\d{3}s$/;
/** The label and bar of an update, or a print_iter label, with nothing after them. */
const FRAGMENT = /^[^\s|]{1,200} ?\|(?:[# ]*(?:\| ?)?)?(?:(?:train|val)(?:: ?(?:\[[\d\][\/]*)?)?)?$/;

/** `<task>/<exp_id>` alone (task may be a comma list such as tracking,ddd). */
const BAR_LABEL = /^[a-z_]+(?:,[a-z_]+)*\/[\w.+-]{1,200}$/;

function finiteNonNegative(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Reads the fields of one update, from just after `|Tot: ` to `end`. `lastInLine` says whether
 * the region runs to the end of the line (then its last field may have been cut short).
 */
function readFields(line: string, from: number, end: number, lastInLine: boolean, u: Update): void {
  const isTest = u.phase === 'test';
  let pos = from;
  for (let i = 0; ; i++) {
    let bar = line.indexOf('|', pos);
    if (bar < 0 || bar > end) bar = end;
    const last = bar >= end;
    const raw = line.slice(pos, bar);
    pos = bar + 1;
    readField(raw, i, last, last && lastInLine, isTest, u);
    if (last) break;
  }
}

/**
 * One `|`-separated field. `mayBeCut`: it ends the line, so it may have been cut short; it is
 * trusted only when a terminator proves it whole.
 */
function readField(raw: string, i: number, last: boolean, mayBeCut: boolean, isTest: boolean, u: Update): void {
  const f = i === 0 ? raw : raw.trimStart();
  if (f.length === 0 || (i === 0 && f.trim().length === 0)) return;
  if (i === 0) {
    const m = TIME_FIELD.exec(f);
    if (m !== null) u.elapsed = finiteNonNegative(parseTimedelta(m[0]));
    else u.truncated = true;
    return;
  }
  let m: RegExpExecArray | null;
  // Dispatch on the first letter: most fields are losses, which match none of these.
  const c = f.charCodeAt(0);
  if (c === 0x45 /* E */ && (m = ETA_FIELD.exec(f)) !== null) {
    u.eta = finiteNonNegative(parseTimedelta(m[1]));
    return;
  }
  if (c === 0x4e /* N */ && (m = NET_FIELD.exec(f)) !== null) {
    u.net = finiteNonNegative(Number(m[1]));
    const rest = f.slice(m[0].length);
    if (mayBeCut && last && rest.trim() !== '') u.leftover = rest;
    return;
  }
  if (c === 0x44 /* D */ && (m = DATA_FIELD.exec(f)) !== null) {
    u.dataCur = finiteNonNegative(Number(m[1]));
    u.dataAvg = finiteNonNegative(Number(m[2]));
    return;
  }
  if (isTest) {
    m = TIMING_FIELD.exec(f);
    if (m !== null) {
      const cur = Number(m[2]);
      const avg = Number(m[3]);
      if (Number.isFinite(cur) && Number.isFinite(avg)) setOwn(u.timings, m[1], [cur, avg]);
      return;
    }
    if (mayBeCut) u.truncated = true;
    return;
  }
  m = LOSS_FIELD.exec(f);
  if (m !== null) {
    // `hm 1.17` at the very end may be `hm 1.1791` cut short: CenterFusion writes a space after
    // every loss value, so a whole value at the end of a line is followed by one.
    if (mayBeCut) {
      const lastChar = raw.charCodeAt(raw.length - 1);
      if (lastChar !== 32 && lastChar !== 9) {
        u.truncated = true;
        return;
      }
    }
    const v = parsePyNumber(m[2]);
    if (v !== undefined) setOwn(u.losses, m[1], v);
    return;
  }
  if (mayBeCut) u.truncated = true;
}

// ---------------------------------------------------------------------------------------------
// Other lines

const TB_HEADER = /^(?:Original )?Traceback \(most recent call last\):?$/;
const TB_CHAIN = /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const TB_FRAME = /^\s+File "[^"]*", line \d+/;
/** The last line of a traceback: `Name: message`, `pkg.Name: message`, or a bare `Name`. */
const TB_ERROR = /^([A-Za-z_][\w.]{0,200})(?::(?: (.*))?)?$/;
/** An error line that stands alone (no traceback before it): the name must look like an exception. */
const LONE_ERROR = /^((?:[A-Za-z_]\w{0,60}\.){0,8}[A-Za-z_]\w{0,60}(?:Error|Exception|Interrupt|Exit|Fault|Failure))(?::(?: (.*))?)?$/;
const CRASH = /^(?:.*\b\d+ )?(Killed|Segmentation fault|Aborted|Bus error|Floating point exception|Illegal instruction)(?: \(core dumped\))?(?:\s+.*)?$/;
const PY_WARNING = /^(.{1,500}?):(\d{1,9}): ([A-Za-z_]\w{0,60}Warning): (.*)$/;
const PLAIN_WARNING = /^(?:[A-Za-z_]\w{0,60}Warning|WARNING|Warning)(?::|!)\s/;
const DROP_LR = /^Drop LR to:?\s+(\S+)$/;
const RESUMED = /^Resumed optimizer with start lr:?\s+(\S+)$/;
const LOADED = /^loaded (.+), epoch (-?\d{1,9})$/;
const NAMESPACE = /^Namespace\((.*)\)$/;
const SAVING_METRICS = /^Saving metrics to:\s*(.+)$/;

const INFO_MARKERS: readonly RegExp[] = [
  /^Creating model\.{0,3}$/,
  /^Setting up (?:(?:train|training|val|validation|test) )?data\.{0,3}$/,
  /^Starting training\.{0,3}$/,
  /^training chunk_sizes:/,
  /^input h w:\s*\d+\s+\d+$/,
  /^heads\s*\{.*\}$/,
  /^weights\s*\{.*\}$/,
  /^head conv\s*\{.*\}$/,
  /^Using tensorboardX$/,
  /^Fix size testing\.?$/,
  /^==> /,
  /^Loaded \S+ \d+ samples\.?$/,
  /^loading annotations into memory\.{0,3}$/i,
  /^Done \(t=[\d.]+s\)$/,
  /^creating index\.{0,3}$/,
  /^index created!$/,
  /^Initializing nuScenes detection evaluation$/,
  /^Loaded results from .+$/,
  /^Loaded ground truth annotations for \d+ samples\.?$/,
  /^Filtering (?:predictions|ground truth annotations)$/,
  /^=> .+$/,
  /^Accumulating metric data\.{0,3}$/,
  /^Calculating metrics\.{0,3}$/,
  /^Rendering PR and TP curves$/,
  /^Loading NuScenes tables for version .+$/,
  /^Done loading in [\d.]+ seconds\.?$/,
  /^Reverse indexing \.{0,3}$/,
  /^Done reverse indexing in [\d.]+ seconds\.?$/,
  /^Loading annotations for \S+ split from nuScenes version: .+$/,
];

const WARNING_MARKERS: readonly RegExp[] = [
  /^Skip loading parameter /,
  /^Drop parameter /,
  /^No param /,
  /^No optimizer parameters in checkpoint\.?$/,
  /^Import DCN failed/,
];

/** Lines and characters kept of one traceback (the rest is counted, not kept). */
const TB_MAX_LINES = 400;
const TB_MAX_CHARS = 64 * 1024;
/** Lines of other output a traceback waits through before it is closed as cut short. */
const TB_MAX_FOREIGN = 50;

type TbPhase = 'frames' | 'after-error' | 'after-blank' | 'nested';

class Traceback {
  readonly lines: string[] = [];
  chars = 0;
  dropped = 0;
  phase: TbPhase;
  errorType: string | null = null;
  message: string | null = null;
  readonly messageLines: string[] = [];
  /** Inside DataLoader's "Original Traceback": later lines are not part of the message. */
  sawOriginal = false;
  foreign = 0;
  frames = 0;
  /** The worker's own error at the end of an "Original Traceback". */
  originalType: string | undefined;
  originalMessage: string | undefined;

  constructor(
    readonly firstLine: number,
    phase: TbPhase,
  ) {
    this.phase = phase;
  }

  add(line: string): void {
    if (this.lines.length < TB_MAX_LINES && this.chars + line.length <= TB_MAX_CHARS) {
      this.lines.push(line);
      this.chars += line.length + 1;
    } else this.dropped++;
  }

  setError(type: string, message: string | undefined): void {
    this.errorType = type;
    this.message = message ?? '';
    this.messageLines.length = 0;
  }
}

/** Reads `lr` and `lr_step` (a list of ints or a comma string) from options. */
function scheduleFrom(opts: Record<string, unknown> | undefined): { lr0?: number; steps: number[] } {
  if (opts === undefined || opts === null || typeof opts !== 'object') return { steps: [] };
  const lrRaw = opts.lr;
  const lr0 = typeof lrRaw === 'number' && Number.isFinite(lrRaw) && lrRaw > 0 ? lrRaw : typeof lrRaw === 'string' ? Number(lrRaw) : undefined;
  const stepsRaw = opts.lr_step;
  let steps: number[] = [];
  if (Array.isArray(stepsRaw)) steps = stepsRaw.map((s) => Number(s));
  else if (typeof stepsRaw === 'string') steps = stepsRaw.split(',').filter((s) => s.trim() !== '').map((s) => Number(s));
  else if (typeof stepsRaw === 'number') steps = [stepsRaw];
  steps = steps.filter((s) => Number.isFinite(s));
  return { lr0: lr0 !== undefined && Number.isFinite(lr0) && lr0 > 0 ? lr0 : undefined, steps };
}

/**
 * Streaming adapter for one process's console output. Feed it text as it arrives with push();
 * call end() when the process exits (it reads a last line without newline and closes an open
 * traceback or evaluation printout). Both return the events found, in order.
 */
export class ConsoleAdapter {
  readonly stats: ConsoleStats = newStats();
  private readonly problemList: ProblemList;
  /** The first few lines nothing understood (for a summary). */
  readonly unknownSamples: string[] = [];

  private readonly maxLine: number;
  private readonly fastPath: boolean;
  private pending = '';
  /** Length of `pending` already read (a complete update read before its `\r` arrived). */
  private pendingDone = 0;
  /** Dropping the rest of an overlong line until the next line break. */
  private skipping = false;
  /** `\n` seen so far; the current line is lineNo + 1. */
  private lineNo = 0;

  private lr0: number | undefined;
  private lrSteps: number[] = [];
  private printedLr: number | undefined;
  private lastLr: number | undefined;
  /** Epoch of the last epoch_start (null before the first). */
  private trainEpoch: number | null = null;
  /** Epoch of the last update seen, any phase (null for --eval and test.py). */
  private lastEpoch: number | null = null;
  /** Phase, epoch (as printed), iteration and count of the last update, to skip repeats. */
  private readonly lastUpdate = { phase: '', epoch: null as number | null, iter: -1, numIters: -1, truncated: false };

  private tb: Traceback | null = null;
  private evalBlock: EvalBlock | null = null;
  private evalLine = 0;
  private summaryPath: string | undefined;
  private afterWarning = false;
  /** Something other than whitespace arrived since the last `\n`. */
  private contentSinceNewline = false;
  /** The piece being read was ended by `\n` (not by `\r` or the end of the output). */
  private segEndsLine = false;

  constructor(options: ConsoleAdapterOptions = {}) {
    const maxLine = Number(options.maxLineLength ?? 65536);
    this.maxLine = Number.isFinite(maxLine) ? Math.max(256, Math.floor(maxLine)) : 65536;
    const maxProblems = Number(options.maxProblems ?? 200);
    this.problemList = new ProblemList(Number.isFinite(maxProblems) ? Math.max(0, maxProblems) : 200);
    this.fastPath = options.fastPath !== false;
    const s = scheduleFrom(options.opts);
    this.lr0 = s.lr0;
    this.lrSteps = s.steps;
  }

  /** Descriptions of what could not be read (capped; `problemCount` has the total). */
  get problems(): string[] {
    return this.problemList.list();
  }

  get problemCount(): number {
    return this.problemList.count;
  }

  /** The epoch the adapter last saw (null before any, and for --eval or test.py runs). */
  get epoch(): number | null {
    return this.lastEpoch;
  }

  /** Feeds more output. Text may be cut anywhere (inside a line, an escape, a `\r\n`). */
  push(text: string): EventBody[] {
    const out: EventBody[] = [];
    try {
      this.feed(typeof text === 'string' ? text : String(text), out);
    } catch (e) {
      this.internal(e);
    }
    return out;
  }

  /** The output ended: reads what is left and closes open blocks. */
  end(): EventBody[] {
    const out: EventBody[] = [];
    try {
      if (!this.skipping && this.pending.length > this.pendingDone) {
        this.segment(this.pending.slice(this.pendingDone), out);
      }
      this.pending = '';
      this.pendingDone = 0;
      this.skipping = false;
      this.closeTraceback(out);
      this.closeEval(out);
    } catch (e) {
      this.internal(e);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Splitting

  private feed(text: string, out: EventBody[]): void {
    let start = 0;
    const n = text.length;
    let nextCr = text.indexOf('\r');
    let nextLf = text.indexOf('\n');
    while (nextCr >= 0 || nextLf >= 0) {
      const i = nextLf < 0 || (nextCr >= 0 && nextCr < nextLf) ? nextCr : nextLf;
      const c = text.charCodeAt(i);
      if (c === 13) nextCr = text.indexOf('\r', i + 1);
      else nextLf = text.indexOf('\n', i + 1);
      if (this.skipping) {
        this.skipping = false;
        this.pending = '';
        this.pendingDone = 0;
      } else {
        const seg = this.pending.length > 0 ? this.pending + text.slice(start, i) : text.slice(start, i);
        const done = this.pendingDone;
        this.pending = '';
        this.pendingDone = 0;
        if (seg.length > this.maxLine) this.overlong(seg.slice(done, Math.max(done, this.maxLine)), out);
        else this.segment(done > 0 ? seg.slice(done) : seg, out, c === 10);
      }
      if (c === 10) {
        this.lineNo++;
        this.contentSinceNewline = false;
      }
      start = i + 1;
    }
    if (start >= n) return;
    if (this.skipping) return;
    this.pending += text.slice(start);
    if (this.pending.length > this.maxLine) {
      this.overlong(this.pending.slice(this.pendingDone, Math.max(this.pendingDone, this.maxLine)), out);
      this.pending = '';
      this.pendingDone = 0;
      this.skipping = true;
      return;
    }
    // A progress update is followed by the next one's `\r`, not by its own line end: read it now
    // when it is visibly complete, instead of one update late.
    if (
      this.pending.length > this.pendingDone &&
      this.pending.charCodeAt(this.pending.length - 1) === 0x73 /* s */ &&
      ENDS_WITH_NET.test(this.pending.slice(Math.max(this.pendingDone, this.pending.length - 48)))
    ) {
      this.segment(this.pending.slice(this.pendingDone), out);
      this.pendingDone = this.pending.length;
    }
  }

  private overlong(kept: string, out: EventBody[]): void {
    this.stats.overlong++;
    this.problemList.add(`line ${this.lineNo + 1}: longer than ${this.maxLine} characters; the rest was dropped`);
    if (kept.length > 0) this.segment(kept, out);
  }

  private internal(e: unknown): void {
    this.stats.internal++;
    this.problemList.add(`line ${this.lineNo + 1}: internal error while reading (${e instanceof Error ? e.message : String(e)})`);
  }

  /**
   * One `\r`- or `\n`-separated piece of text. A blank line is a `\n` with nothing but
   * whitespace since the previous `\n` (so `\r\n` endings and `\r` updates are not blank lines).
   */
  private segment(raw: string, out: EventBody[], endsLine = false): void {
    try {
      const text = raw.length === 0 ? raw : stripAnsi(raw);
      if (text.trim().length === 0) {
        if (endsLine && !this.contentSinceNewline) this.blank(out);
        return;
      }
      this.contentSinceNewline = true;
      this.segEndsLine = endsLine;
      this.line(text, out, 0);
    } catch (e) {
      this.internal(e);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Line dispatch

  private line(text: string, out: EventBody[], depth: number): void {
    // trimEnd, not a /\s+$/ replace: that pattern is quadratic on long lines full of spaces.
    const line = text.trimEnd();
    if (line.trim().length === 0) return;
    this.stats.lines++;
    // The untrimmed text: a space after the last value shows that it was not cut short.
    if (line.includes('Tot:') && this.progress(text, out, depth)) return;
    if (this.tb !== null && this.tracebackLine(line, out)) return;
    if (this.evalBlock !== null) {
      if (this.evalBlock.accept(line)) {
        if (this.evalBlock.complete) this.closeEval(out);
        return;
      }
      this.closeEval(out);
    }
    this.other(line, out);
  }

  private blank(out: EventBody[]): void {
    const tb = this.tb;
    if (tb === null) return;
    if (tb.phase === 'after-error') tb.phase = 'after-blank';
    else if (tb.phase === 'after-blank') this.closeTraceback(out);
  }

  // -------------------------------------------------------------------------------------------
  // Progress

  /** Reads the updates in a line; false when it holds none. */
  private progress(line: string, out: EventBody[], depth: number): boolean {
    // The common shape (one whole train/val update) first; anything else takes the general path.
    const fast = this.fastPath ? readCommonUpdate(line) : null;
    if (fast !== null) {
      this.emitUpdate(fast, out);
      return true;
    }
    const anchors: Array<{ index: number; end: number; m: RegExpExecArray }> = [];
    let from = 0;
    let floor = 0;
    while (anchors.length < 64) {
      const p = line.indexOf('|Tot:', from);
      if (p < 0) break;
      from = p + 5;
      const lookStart = Math.max(floor, p - ANCHOR_LOOKBACK);
      const m = ANCHOR_TAIL.exec(line.slice(lookStart, p));
      if (m === null) continue;
      const end = line.charCodeAt(from) === 32 ? from + 1 : from;
      anchors.push({ index: lookStart + m.index, end, m });
      floor = end;
    }
    if (anchors.length === 0) return false;
    let leftover: string | undefined;
    for (let k = 0; k < anchors.length; k++) {
      const { m: a, end: fieldsFrom } = anchors[k];
      const end = k + 1 < anchors.length ? anchors[k + 1].index : line.length;
      const phase = a[1] === undefined ? 'test' : a[1];
      const iter = parseCount(a[3]);
      const numIters = parseCount(a[4]);
      if (phase !== 'train' && phase !== 'val' && phase !== 'test') {
        this.problemList.add(`line ${this.lineNo + 1}: unknown phase "${phase.slice(0, 20)}" in ${excerpt(line)}`);
        continue;
      }
      const epochNum = a[2] === undefined ? null : Number(a[2]);
      if (iter === undefined || numIters === undefined || (epochNum !== null && (!Number.isSafeInteger(epochNum) || epochNum < 0))) {
        this.problemList.add(`line ${this.lineNo + 1}: numbers out of range in ${excerpt(line)}`);
        continue;
      }
      const u: Update = {
        phase,
        epoch: epochNum,
        iter,
        numIters,
        losses: {},
        timings: {},
        truncated: false,
      };
      readFields(line, fieldsFrom, end, k === anchors.length - 1, u);
      if (u.leftover !== undefined) leftover = u.leftover;
      this.emitUpdate(u, out);
    }
    if (leftover !== undefined && depth < 3) this.line(leftover, out, depth + 1);
    return true;
  }

  private emitUpdate(u: Update, out: EventBody[]): void {
    const phase = u.phase === 'train' || u.phase === 'val' ? u.phase : 'test';
    // `--eval` runs validate as epoch 0; the protocol's epochs start at 1, so that is "none".
    const epoch = phase === 'test' || u.epoch === null || u.epoch < 1 ? null : u.epoch;
    const last = this.lastUpdate;
    if (last.phase === phase && last.epoch === u.epoch && last.iter === u.iter && last.numIters === u.numIters && (u.truncated || !last.truncated)) {
      this.stats.duplicates++;
      return;
    }
    last.phase = phase;
    last.epoch = u.epoch;
    last.iter = u.iter;
    last.numIters = u.numIters;
    last.truncated = u.truncated;
    if (u.truncated) {
      this.stats.truncated++;
      this.problemList.add(`line ${this.lineNo + 1}: ${phase} update ${u.iter}/${u.numIters} cut short; read as far as it goes`);
    }
    if (phase === 'train' && epoch !== null && epoch !== this.trainEpoch) {
      const { lr, source } = this.lrFor(epoch);
      const start: EventBody<EpochStartEvent> = { type: 'epoch_start', epoch, lr, lr_source: source };
      out.push(start);
      this.stats.epochs++;
      this.trainEpoch = epoch;
      this.lastLr = lr;
      this.printedLr = undefined;
    }
    this.lastEpoch = epoch;
    const body: EventBody<IterEvent> = {
      type: 'iter',
      phase,
      epoch,
      iter: u.iter,
      num_iters: u.numIters,
      losses: phase === 'test' ? {} : u.losses,
    };
    if (u.elapsed !== undefined) body.elapsed_s = u.elapsed;
    let eta = u.eta;
    const remaining = u.numIters - u.iter - 1;
    if ((eta === undefined || eta === 0) && u.elapsed !== undefined && remaining > 0) {
      // --print_iter lines always show ETA 0:00:00: estimate it from the pace so far.
      const estimate = (u.elapsed / (u.iter + 1)) * remaining;
      if (Number.isFinite(estimate)) {
        eta = Math.round(estimate * 1000) / 1000;
        body.eta_estimated = true;
      }
    }
    if (eta !== undefined) body.eta_s = eta;
    if (u.dataAvg !== undefined) body.data_s = u.dataAvg;
    if (u.dataCur !== undefined) body.data_cur_s = u.dataCur;
    if (u.net !== undefined) body.net_s = u.net;
    if (phase === 'test' && Object.keys(u.timings).length > 0) body.timings = u.timings;
    if (u.truncated) body.truncated = true;
    out.push(body);
    this.stats.iters++;
  }

  private lrFor(epoch: number): { lr: number; source: LrSource } {
    if (this.printedLr !== undefined) return { lr: this.printedLr, source: 'printed' };
    if (this.lr0 !== undefined) {
      let drops = 0;
      for (const s of this.lrSteps) if (s < epoch) drops++;
      // The same arithmetic as CenterFusion: lr * 0.1 ** (number of steps passed).
      return { lr: this.lr0 * 0.1 ** drops, source: 'schedule' };
    }
    if (this.lastLr !== undefined) return { lr: this.lastLr, source: 'previous' };
    return { lr: CENTERFUSION_DEFAULT_LR, source: 'default' };
  }

  // -------------------------------------------------------------------------------------------
  // Tracebacks

  /** A line while a traceback is open; false when it is not part of it. */
  private tracebackLine(line: string, out: EventBody[]): boolean {
    const tb = this.tb;
    if (tb === null) return false;
    switch (tb.phase) {
      case 'frames':
      case 'nested': {
        if (TB_HEADER.test(line) || TB_CHAIN.test(line) || /^\s/.test(line)) {
          if (TB_FRAME.test(line)) tb.frames++;
          tb.add(line);
          return true;
        }
        const m = TB_ERROR.exec(line);
        if (m !== null) {
          tb.add(line);
          if (tb.phase === 'frames') tb.setError(m[1], m[2]);
          else {
            tb.originalType = m[1];
            tb.originalMessage = m[2] ?? '';
          }
          tb.phase = 'after-error';
          return true;
        }
        tb.foreign++;
        if (tb.foreign > TB_MAX_FOREIGN) this.closeTraceback(out);
        return false;
      }
      case 'after-error': {
        if (/^\s/.test(line)) {
          tb.add(line);
          if (!tb.sawOriginal && tb.messageLines.length < 50) tb.messageLines.push(line);
          return true;
        }
        if (TB_HEADER.test(line) && line.startsWith('Original')) {
          tb.add(line);
          tb.sawOriginal = true;
          tb.phase = 'nested';
          return true;
        }
        this.closeTraceback(out);
        return false;
      }
      case 'after-blank': {
        if (TB_CHAIN.test(line)) {
          tb.add('');
          tb.add(line);
          tb.phase = 'frames';
          return true;
        }
        this.closeTraceback(out);
        return false;
      }
      default:
        return false;
    }
  }

  private openTraceback(phase: TbPhase, out: EventBody[]): Traceback {
    this.closeTraceback(out);
    const tb = new Traceback(this.lineNo + 1, phase);
    this.tb = tb;
    return tb;
  }

  private closeTraceback(out: EventBody[]): void {
    const tb = this.tb;
    if (tb === null) return;
    this.tb = null;
    let message: string;
    if (tb.errorType === null) {
      message = 'traceback without its final error line (the output was cut short?)';
      this.problemList.add(`line ${tb.firstLine}: ${message}`);
    } else {
      const parts = [tb.message ?? ''];
      for (const l of tb.messageLines) parts.push(l);
      message = parts.join('\n').trimEnd();
      if (message === '') message = tb.errorType;
    }
    const body: EventBody<ErrorEvent> = { type: 'error', error_type: tb.errorType, message, source_line: tb.firstLine };
    if (tb.originalType !== undefined) {
      body.original_error_type = tb.originalType;
      body.original_message = tb.originalMessage ?? '';
    }
    if (tb.lines.length > 1 || tb.frames > 0) {
      let trace = tb.lines.join('\n');
      if (tb.dropped > 0) trace += `\n... (${tb.dropped} more lines not kept)`;
      body.traceback = trace;
    }
    out.push(body);
    this.stats.errors++;
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation printout

  private closeEval(out: EventBody[]): void {
    const block = this.evalBlock;
    if (block === null) return;
    this.evalBlock = null;
    for (const p of block.problems) this.problemList.add(`line ${this.evalLine}: ${p}`);
    if (!block.usable) {
      this.problemList.add(`line ${this.evalLine}: an "mAP:" line without the rest of an evaluation printout`);
      return;
    }
    const printout = block.finish();
    if (printout.missing.length > 0) {
      this.problemList.add(`line ${this.evalLine}: evaluation printout without ${printout.missing.join(', ')}`);
    }
    const body: EventBody<EvalEvent> = { type: 'eval', epoch: this.lastEpoch, metrics: printout.metrics, source_line: this.evalLine };
    if (this.summaryPath !== undefined) body.summary_path = this.summaryPath;
    if (printout.eval_time_s !== undefined) body.eval_time_s = printout.eval_time_s;
    this.summaryPath = undefined;
    out.push(body);
    this.stats.evals++;
  }

  // -------------------------------------------------------------------------------------------
  // Everything else

  private log(level: 'info' | 'warning', message: string, out: EventBody[], extra?: Record<string, unknown>): void {
    const body: EventBody<LogEvent> = { type: 'log', level, message, source_line: this.lineNo + 1, ...extra };
    out.push(body);
    if (level === 'info') this.stats.markers++;
    else this.stats.warnings++;
  }

  private other(line: string, out: EventBody[]): void {
    const wasAfterWarning = this.afterWarning;
    this.afterWarning = false;
    // A terminal echoes Ctrl-C as "^C" where the cursor is, before Python's traceback.
    const t = line.trim().replace(/^(?:\^C)+/, '');
    if (t === '') return;

    // The source line Python prints under a warning (`  warnings.warn(...)`).
    if (wasAfterWarning && /^\s/.test(line)) return;

    if (isEvalStart(t)) {
      this.evalBlock = new EvalBlock();
      this.evalLine = this.lineNo + 1;
      this.evalBlock.accept(t);
      return;
    }

    let m = DROP_LR.exec(t);
    if (m !== null) {
      const lr = parsePyNumber(m[1]);
      if (typeof lr !== 'number' || lr < 0) {
        this.problemList.add(`line ${this.lineNo + 1}: "Drop LR to" without a learning rate: ${excerpt(t)}`);
        this.log('info', t, out);
        return;
      }
      this.printedLr = lr;
      if (this.trainEpoch !== null) {
        // Printed after epoch N ends; the new rate applies from epoch N + 1.
        const body: EventBody<LrChangeEvent> = { type: 'lr_change', epoch: this.trainEpoch + 1, lr, source_line: this.lineNo + 1 };
        out.push(body);
        this.stats.lr_changes++;
      } else {
        this.log('info', t, out, { lr });
      }
      return;
    }

    m = RESUMED.exec(t);
    if (m !== null) {
      const lr = parsePyNumber(m[1]);
      if (typeof lr === 'number' && lr >= 0) this.printedLr = lr;
      this.log('info', t, out, typeof lr === 'number' ? { lr } : undefined);
      return;
    }

    m = LOADED.exec(t);
    if (m !== null) {
      this.log('info', t, out, { checkpoint_path: m[1], checkpoint_epoch: Number(m[2]) });
      return;
    }

    m = NAMESPACE.exec(t);
    if (m !== null) {
      const kw = parsePyKwargs(m[1]);
      for (const p of kw.problems.slice(0, 5)) this.problemList.add(`line ${this.lineNo + 1}: Namespace(...): ${p}`);
      const s = scheduleFrom(kw.values);
      if (s.lr0 !== undefined) {
        this.lr0 = s.lr0;
        this.lrSteps = s.steps;
      }
      const body: EventBody<OptionsEvent> = { type: 'options', opts: kw.values, source: 'namespace', source_line: this.lineNo + 1 };
      out.push(body);
      this.stats.options++;
      return;
    }

    m = SAVING_METRICS.exec(t);
    if (m !== null) {
      const dir = m[1].trim();
      this.summaryPath = `${dir.replace(/[\/\\]+$/, '')}/metrics_summary.json`;
      this.log('info', t, out);
      return;
    }

    // Tracebacks: a header, or (headerless) a frame or an error line on its own.
    if (TB_HEADER.test(t) && !t.startsWith('Original')) {
      const tb = this.openTraceback('frames', out);
      tb.add(t);
      return;
    }
    if (TB_FRAME.test(line)) {
      const tb = this.openTraceback('frames', out);
      tb.frames++;
      tb.add(line);
      return;
    }

    m = PY_WARNING.exec(t);
    if (m !== null) {
      this.log('warning', t, out, { warning_type: m[3] });
      this.afterWarning = true;
      return;
    }

    m = LONE_ERROR.exec(t);
    if (m !== null) {
      const tb = this.openTraceback('after-error', out);
      tb.add(t);
      tb.setError(m[1], m[2]);
      return;
    }

    m = CRASH.exec(t);
    if (m !== null) {
      const body: EventBody<ErrorEvent> = { type: 'error', error_type: null, message: t, source_line: this.lineNo + 1 };
      out.push(body);
      this.stats.errors++;
      return;
    }

    if (PLAIN_WARNING.test(t)) {
      this.log('warning', t, out);
      return;
    }
    for (const re of WARNING_MARKERS) {
      if (re.test(t)) {
        this.log('warning', t, out);
        return;
      }
    }
    for (const re of INFO_MARKERS) {
      if (re.test(t)) {
        this.log('info', t, out);
        return;
      }
    }

    if (BAR_LABEL.test(t) || (!this.segEndsLine && /^[\w.,\/+-]{1,200}$/.test(t))) {
      // The progress bar prints its label alone when it starts, before the first update (then
      // a `\r`): `ddd/centerfusion`, or test.py's exp_id.
      this.stats.labels++;
      return;
    }
    if (FRAGMENT.test(t)) {
      this.stats.fragments++;
      this.problemList.add(`line ${this.lineNo + 1}: progress bar without its numbers (cut short): ${excerpt(t)}`);
      return;
    }
    this.stats.unknown++;
    if (this.unknownSamples.length < 10) this.unknownSamples.push(t.length > 200 ? `${t.slice(0, 200)}…` : t);
  }
}

/** Reads a whole console capture at once. */
export function parseConsoleText(
  text: string,
  options: ConsoleAdapterOptions = {},
): { events: EventBody[]; stats: ConsoleStats; problems: string[]; problemCount: number; unknownSamples: string[] } {
  const a = new ConsoleAdapter(options);
  const events = a.push(text);
  for (const e of a.end()) events.push(e);
  return { events, stats: a.stats, problems: a.problems, problemCount: a.problemCount, unknownSamples: a.unknownSamples };
}
