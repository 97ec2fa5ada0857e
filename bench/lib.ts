/**
 * The common format of the benchmarks: timing with warm-up and repeats (median), peak memory
 * sampling, and one result record per benchmark, printed as figure / baseline / ratio lines and
 * written as JSON to bench/results/<name>.json (atomically: a temp file, then a rename).
 *
 * A benchmark builds a `Bench`, adds figures, and calls `finish()`:
 *
 *   const bench = new Bench('ingest');
 *   bench.figure({ name: 'protocol events, EventReader', value: 1.2e6, unit: 'lines/s', better: 'higher',
 *                  baseline: { name: 'bare JSON.parse loop', value: 1.6e6 }, goal: { op: '>=', value: 1e6 } });
 *   bench.finish();
 *
 * No dependencies beyond node's own modules; scripts/bench.mjs runs each benchmark as a child
 * process and gathers the records into bench/results/latest.json.
 */

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

export type Better = 'higher' | 'lower';

export interface Goal {
  op: '>=' | '<=';
  value: number;
}

export interface Figure {
  /** What was measured, e.g. "protocol events through EventReader". */
  name: string;
  value: number;
  /** 'lines/s', 'ms', 'MB', 'points/s', ... */
  unit: string;
  better: Better;
  /** The same work done the plain way, measured in the same run. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (for 'lower' figures below 1 means faster than the baseline). */
  ratio?: number;
  /** How many times better than the baseline (>1 means better, whichever the direction). */
  advantage?: number;
  goal?: Goal & { met: boolean };
  /** A goal on the ratio (e.g. >= 0.5 of the bare loop). */
  ratioGoal?: Goal & { met: boolean };
  note?: string;
}

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the benchmark started (the machine may be shared). */
  load1: number;
}

export interface BenchResult {
  bench: string;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  date: string;
  machine: Machine;
  durationS: number;
  /** The process's peak resident set size (getrusage), MiB. */
  peakRssMiB: number;
  figures: Figure[];
  notes: string[];
}

export const MiB = 1024 * 1024;

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    load1: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// Timing

export interface Timing {
  /** Median of the repeats, milliseconds. */
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export interface TimeOptions {
  /** Untimed runs first (JIT warm-up). Default 1. */
  warmup?: number;
  /** Timed runs; the median is reported. Default 5. */
  repeats?: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A percentile (0-100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

function timingOf(samples: number[]): Timing {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

/** Times a synchronous function: `warmup` untimed runs, then `repeats` timed ones. */
export function time(fn: () => unknown, options: TimeOptions = {}): Timing {
  const warmup = options.warmup ?? 1;
  const repeats = Math.max(1, options.repeats ?? 5);
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return timingOf(samples);
}

/** Times an asynchronous function the same way. */
export async function timeAsync(fn: () => Promise<unknown>, options: TimeOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const repeats = Math.max(1, options.repeats ?? 5);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return timingOf(samples);
}

/**
 * Alternates two functions (A B A B ...) so that both see the same machine load, which matters
 * on a shared machine; returns the timing of each.
 */
export function timePair(a: () => unknown, b: () => unknown, options: TimeOptions = {}): [Timing, Timing] {
  const warmup = options.warmup ?? 1;
  const repeats = Math.max(1, options.repeats ?? 5);
  for (let i = 0; i < warmup; i++) {
    a();
    b();
  }
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let t0 = performance.now();
    a();
    sa.push(performance.now() - t0);
    t0 = performance.now();
    b();
    sb.push(performance.now() - t0);
  }
  return [timingOf(sa), timingOf(sb)];
}

// ---------------------------------------------------------------------------------------------
// Memory

/**
 * Samples the resident set size on a timer and on demand (`sample()` inside long synchronous
 * loops, where timers cannot fire). `peak` is the largest value seen since `start()`.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peak = 0;

  start(intervalMs = 10): this {
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Stops sampling; returns the peak in MiB. */
  stop(): number {
    this.sample();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak / MiB;
  }
}

/** Runs a full garbage collection when node was started with --expose-gc. */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') g();
}

// ---------------------------------------------------------------------------------------------
// Results

export function resultsDir(): string {
  return process.env['BENCH_RESULTS_DIR'] ?? path.join(process.cwd(), 'bench', 'results');
}

/** Writes JSON atomically (temp file in the same folder, then rename). */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/** A number for humans: 1.23 M, 45.6 k, 0.123. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  if (a >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  if (a >= 100) return value.toFixed(0);
  if (a >= 10) return value.toFixed(1);
  if (a >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function goalMet(goal: Goal, value: number): boolean {
  return goal.op === '>=' ? value >= goal.value : value <= goal.value;
}

export interface FigureInput {
  name: string;
  value: number;
  unit: string;
  better: Better;
  baseline?: { name: string; value: number };
  goal?: Goal;
  ratioGoal?: Goal;
  note?: string;
}

/** One line: `name  value unit  | baseline: name value  | ratio r (n x better)  | goal ...`. */
export function formatFigure(f: Figure): string {
  const parts = [`${f.name}: ${fmt(f.value)} ${f.unit}`];
  if (f.baseline !== undefined) {
    parts.push(`baseline (${f.baseline.name}): ${fmt(f.baseline.value)} ${f.unit}`);
    if (f.ratio !== undefined && f.advantage !== undefined) {
      const how = f.advantage >= 1 ? `${f.advantage.toFixed(2)}x better` : `${(1 / f.advantage).toFixed(2)}x worse`;
      parts.push(`ratio ${f.ratio.toFixed(3)} (${how})`);
    }
  }
  if (f.goal !== undefined) parts.push(`goal ${f.goal.op} ${fmt(f.goal.value)} ${f.unit}: ${f.goal.met ? 'met' : 'NOT met'}`);
  if (f.ratioGoal !== undefined) {
    parts.push(`goal ratio ${f.ratioGoal.op} ${f.ratioGoal.value}: ${f.ratioGoal.met ? 'met' : 'NOT met'}`);
  }
  if (f.note !== undefined) parts.push(f.note);
  return parts.join('  |  ');
}

export class Bench {
  private readonly started = performance.now();
  private readonly figures: Figure[] = [];
  private readonly notes: string[] = [];
  private readonly machineInfo = machine();

  constructor(readonly name: string) {
    console.log(`== bench ${name} (node ${this.machineInfo.node}, ${this.machineInfo.cores} x ${this.machineInfo.cpu}, load ${this.machineInfo.load1})`);
  }

  /** Records and prints one figure; the ratio and goals are computed here. */
  figure(input: FigureInput): Figure {
    const f: Figure = { name: input.name, value: input.value, unit: input.unit, better: input.better };
    if (input.baseline !== undefined) {
      f.baseline = input.baseline;
      f.ratio = input.value / input.baseline.value;
      f.advantage = input.better === 'higher' ? f.ratio : 1 / f.ratio;
    }
    if (input.goal !== undefined) f.goal = { ...input.goal, met: goalMet(input.goal, input.value) };
    if (input.ratioGoal !== undefined && f.ratio !== undefined) {
      f.ratioGoal = { ...input.ratioGoal, met: goalMet(input.ratioGoal, f.ratio) };
    }
    if (input.note !== undefined) f.note = input.note;
    this.figures.push(f);
    console.log(`  ${formatFigure(f)}`);
    return f;
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`  note: ${text}`);
  }

  /** Prints the summary line and writes bench/results/<name>.json. */
  finish(status: BenchResult['status'] = 'ok', reason?: string): BenchResult {
    const result: BenchResult = {
      bench: this.name,
      status,
      date: new Date().toISOString(),
      machine: this.machineInfo,
      durationS: Math.round((performance.now() - this.started) / 100) / 10,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      figures: this.figures,
      notes: this.notes,
    };
    if (reason !== undefined) result.reason = reason;
    const file = path.join(resultsDir(), `${this.name}.json`);
    writeJsonAtomic(file, result);
    console.log(`== ${this.name}: ${status}, ${result.durationS} s, peak rss ${result.peakRssMiB} MiB -> ${path.relative(process.cwd(), file)}`);
    return result;
  }
}

/** Runs a benchmark's main; an exception becomes a 'failed' record and exit code 1. */
export function runMain(name: string, main: (bench: Bench) => Promise<void> | void): void {
  const bench = new Bench(name);
  Promise.resolve()
    .then(() => main(bench))
    .then(
      () => bench.finish('ok'),
      (err: unknown) => {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        console.error(message);
        bench.finish('failed', err instanceof Error ? err.message : String(err));
        process.exitCode = 1;
      },
    );
}
