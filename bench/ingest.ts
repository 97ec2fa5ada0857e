/**
 * Ingest: how fast run events and CenterFusion's text output are read, against a bare
 * JSON.parse-per-line loop over the same bytes, and whether the host's event loop stays
 * responsive while a big events file is ingested.
 *
 *   npm run bench -- ingest            (node out/bench/ingest.js [--lines N] [--repeats R])
 *
 * 1. Protocol events: N lines (default 1 M) as the trainer writes them (mostly `iter`, with the
 *    epoch_start / epoch_end / checkpoint / log events of each epoch), fed to EventReader in
 *    64 KiB byte chunks as the host's file and pipe streams deliver them. Baseline: a bare loop
 *    that decodes the same chunks, splits lines and calls JSON.parse on each (no validation).
 *    The two alternate (A B A B ...) so that both see the same machine load.
 * 2. CenterFusion text: N `--print_iter` progress lines through ConsoleAdapter (decoded 64 KiB
 *    chunks, as the Python run's stdout reaches it) and log.txt lines through logTxtToEvents.
 *    Baseline: the bare JSON.parse loop over the events those lines turn into, serialised as
 *    protocol lines: what reading the same information costs when written as events.
 * 3. Peak memory (RSS) of each reader pass.
 * 4. Event-loop stalls: the longest delay (perf_hooks.monitorEventLoopDelay) while the host's
 *    path (runLoader.readEventsFile + RunStore.load) ingests a big events file from disk;
 *    baseline: the same measurement over an idle loop of the same duration.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ConsoleAdapter, logTxtToEvents } from '../src/shared/centerfusion';
import { EventReader } from '../src/shared/protocol/reader';
import type { EventBody, RunEvent } from '../src/shared/protocol/types';
import { makeEvent, serializeEvent } from '../src/shared/protocol/writer';
import { readEventsFile } from '../src/extension/runs/runLoader';
import { RunStore } from '../src/extension/runs/runStore';
import { type Bench, gc, MiB, runMain, timePair } from './lib';

const CHUNK = 64 * 1024;
const LOSSES = ['tot', 'hm', 'wh', 'reg', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec', 'amodel_offset', 'nuscenes_att', 'velocity'];
const ITERS_PER_EPOCH = 996;

interface Args {
  lines: number;
  logtxtLines: number;
  repeats: number;
  stallLines: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { lines: 1_000_000, logtxtLines: 100_000, repeats: 3, stallLines: 300_000 };
  for (let i = 0; i < argv.length; i++) {
    const next = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${argv[i - 1]} needs a positive integer`);
      return v;
    };
    if (argv[i] === '--lines') a.lines = next();
    else if (argv[i] === '--logtxt-lines') a.logtxtLines = next();
    else if (argv[i] === '--repeats') a.repeats = next();
    else if (argv[i] === '--stall-lines') a.stallLines = next();
    else throw new Error(`unknown argument ${argv[i]} (known: --lines N --logtxt-lines N --repeats N --stall-lines N)`);
  }
  return a;
}

/** mulberry32, seeded: the inputs are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function losses(r: () => number, scale: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of LOSSES) out[name] = Math.round(scale * (0.2 + r()) * 1e4) / 1e4;
  return out;
}

/**
 * `lines` protocol event lines as the trainer writes them, as one buffer. Built with
 * JSON.stringify of the event objects (what serializeEvent writes for finite values; the
 * writer's own checks made generating a million lines take as long as reading them). The first
 * lines go through makeEvent + serializeEvent, and must come out identical.
 */
export function protocolBytes(lines: number, run = 'bench-run'): Buffer {
  const r = rng(7);
  const parts: Buffer[] = [];
  let pending: string[] = [];
  const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);
  let n = 0;
  const emit = (body: EventBody): void => {
    const time = new Date(t0 + n * 250);
    let line: string;
    if (n < 16) {
      line = serializeEvent(makeEvent(run, body, time));
      const quick = `${JSON.stringify(Object.assign({ v: 1, type: body.type, run, t: time.toISOString() }, body))}\n`;
      if (quick !== line) throw new Error(`generator drifted from the writer:\n${quick}${line}`);
    } else {
      line = `${JSON.stringify(Object.assign({ v: 1, type: body.type, run, t: time.toISOString() }, body))}\n`;
    }
    pending.push(line);
    n++;
    if (pending.length >= 4096) {
      parts.push(Buffer.from(pending.join(''), 'utf8'));
      pending = [];
    }
  };
  for (let epoch = 1; n < lines; epoch++) {
    emit({ type: 'epoch_start', epoch, lr: 1.25e-4 });
    for (let i = 0; i < ITERS_PER_EPOCH && n < lines; i++) {
      emit({
        type: 'iter',
        phase: 'train',
        epoch,
        iter: i,
        num_iters: ITERS_PER_EPOCH,
        losses: losses(r, 10 / epoch),
        elapsed_s: i * 0.4,
        eta_s: (ITERS_PER_EPOCH - i) * 0.4,
        data_s: 0.008,
        net_s: 0.401,
      });
    }
    if (n < lines) emit({ type: 'epoch_end', epoch, train: losses(r, 10 / epoch), val: null, time_min: 6.6 });
    if (n < lines) emit({ type: 'checkpoint', epoch, path: `exp/ddd/bench/model_last.ckpt`, kind: 'last' });
    if (n < lines) emit({ type: 'log', level: 'info', message: `epoch ${epoch} done` });
  }
  parts.push(Buffer.from(pending.join(''), 'utf8'));
  return Buffer.concat(parts);
}

/** `lines` CenterFusion `--print_iter` progress lines. */
function progressText(lines: number): string {
  const r = rng(11);
  const out: string[] = [];
  const perEpoch = 3500;
  for (let n = 0; n < lines; n++) {
    const epoch = 1 + Math.floor(n / perEpoch);
    const iter = n % perEpoch;
    const l = losses(r, 10 / epoch);
    let line = `ddd/centerfusion| train: [${epoch}][${iter}/${perEpoch}]|Tot: 0:${String(Math.floor(iter / 150) % 60).padStart(2, '0')}:${String(iter % 60).padStart(2, '0')} |ETA: 0:00:00 `;
    for (const name of LOSSES) line += `|${name} ${l[name].toFixed(4)} `;
    line += '|Data 0.008s(0.010s) |Net 0.401s\n';
    out.push(line);
  }
  return out.join('');
}

/** `lines` log.txt lines (one per epoch, train and val averages). */
function logTxtText(lines: number): string {
  const r = rng(13);
  const out: string[] = [];
  for (let epoch = 1; epoch <= lines; epoch++) {
    const stamp = `2020-11-${String(1 + (epoch % 28)).padStart(2, '0')}-13-45`;
    let line = `${stamp}: epoch: ${epoch} |`;
    const tr = losses(r, 10 / epoch);
    for (const name of LOSSES) line += `${name} ${tr[name].toFixed(6)} | `;
    line += `time 45.500000 | `;
    if (epoch % 2 === 0) {
      const va = losses(r, 11 / epoch);
      for (const name of LOSSES) line += `${name} ${va[name].toFixed(6)} | `;
      line += `time 2.100000 | `;
    }
    out.push(`${line}\n`);
  }
  return out.join('');
}

export function chunksOf(bytes: Uint8Array, size = CHUNK): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}

/** What the host does with an events stream: EventReader over byte chunks. Returns events read. */
export function readWithEventReader(chunks: readonly Uint8Array[], sampler?: HeapPeak): number {
  const reader = new EventReader();
  let n = 0;
  for (let i = 0; i < chunks.length; i++) {
    const b = reader.push(chunks[i]);
    n += b.events.length + b.unknown.length;
    if (b.problems.length > 0) throw new Error(`unexpected problem: ${b.problems[0].message}`);
    if (sampler !== undefined && (i & 15) === 0) sampler.sample();
  }
  const b = reader.end();
  return n + b.events.length + b.unknown.length;
}

/** The baseline: decode, split, JSON.parse each line; no validation, no error reporting. */
export function readWithBareLoop(chunks: readonly Uint8Array[], sampler?: HeapPeak): number {
  const decoder = new TextDecoder();
  let pending = '';
  let n = 0;
  for (let i = 0; i < chunks.length; i++) {
    const lines = (pending + decoder.decode(chunks[i], { stream: true })).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.length > 0) {
        JSON.parse(line);
        n++;
      }
    }
    if (sampler !== undefined && (i & 15) === 0) sampler.sample();
  }
  if (pending.length > 0) {
    JSON.parse(pending);
    n++;
  }
  return n;
}

/**
 * Samples the V8 heap (used) plus array buffers, on demand inside the measured loops (where no
 * timer can fire). RSS is not used here: it rarely shrinks after a collection, so the growth of
 * one pass after another would read as zero.
 */
class HeapPeak {
  private base = 0;
  private peak = 0;
  start(): this {
    gc();
    const m = process.memoryUsage();
    this.base = m.heapUsed + m.arrayBuffers;
    this.peak = this.base;
    return this;
  }
  sample(): void {
    const m = process.memoryUsage();
    const v = m.heapUsed + m.arrayBuffers;
    if (v > this.peak) this.peak = v;
  }
  /** Growth above the start, MiB. */
  stop(): number {
    this.sample();
    return (this.peak - this.base) / MiB;
  }
}

/** Peak heap growth while `fn` runs, MiB. */
function peakOf(fn: (s: HeapPeak) => void): number {
  const s = new HeapPeak().start();
  fn(s);
  return s.stop();
}

function textChunks(text: string): string[] {
  // The adapter receives decoded text; decoding is part of the measured work for both sides.
  return chunksOf(Buffer.from(text, 'utf8')).map((c) => Buffer.from(c).toString('utf8'));
}

function adaptConsole(chunks: readonly string[]): EventBody[] {
  const adapter = new ConsoleAdapter({});
  const out: EventBody[] = [];
  for (const c of chunks) for (const e of adapter.push(c)) out.push(e);
  for (const e of adapter.end()) out.push(e);
  return out;
}

function eventsAsBytes(bodies: readonly EventBody[]): Buffer {
  const t = new Date(Date.UTC(2026, 10, 25));
  return Buffer.from(bodies.map((b) => serializeEvent(makeEvent('bench-run', b, t))).join(''), 'utf8');
}

async function protocolIngest(bench: Bench, args: Args, bytes: Buffer): Promise<void> {
  const chunks = chunksOf(bytes);
  bench.note(`protocol input: ${args.lines} lines, ${(bytes.length / MiB).toFixed(0)} MiB in ${chunks.length} chunks of 64 KiB`);
  let counted = 0;
  const [ours, bare] = timePair(
    () => (counted = readWithEventReader(chunks)),
    () => readWithBareLoop(chunks),
    { warmup: 1, repeats: args.repeats },
  );
  if (counted !== args.lines) throw new Error(`EventReader read ${counted} events of ${args.lines}`);
  const rate = args.lines / (ours.median / 1000);
  const bareRate = args.lines / (bare.median / 1000);
  bench.figure({
    name: `${args.lines} protocol event lines: EventReader (validating, 64 KiB byte chunks)`,
    value: rate,
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare decode+split+JSON.parse loop', value: bareRate },
    goal: { op: '>=', value: 1e6 },
    ratioGoal: { op: '>=', value: 0.5 },
    note: `median of ${args.repeats}: ${(ours.median / 1000).toFixed(2)} s vs ${(bare.median / 1000).toFixed(2)} s`,
  });
  const oursPeak = peakOf((s) => readWithEventReader(chunks, s));
  const barePeak = peakOf((s) => readWithBareLoop(chunks, s));
  bench.figure({
    name: 'protocol events: peak heap growth while reading (input excluded, batches dropped)',
    value: oursPeak,
    unit: 'MiB',
    better: 'lower',
    baseline: { name: 'bare loop', value: barePeak },
  });
}

function textIngest(bench: Bench, args: Args): void {
  const text = progressText(args.lines);
  const chunks = textChunks(text);
  // One pass each (the adapter is the slow side; a warm-up pass on fewer lines first).
  adaptConsole(chunks.slice(0, Math.max(1, chunks.length >> 4)));
  const heap = new HeapPeak().start();
  let t = performance.now();
  const adapter = new ConsoleAdapter({});
  const events: EventBody[] = [];
  for (let i = 0; i < chunks.length; i++) {
    for (const e of adapter.push(chunks[i])) events.push(e);
    if ((i & 15) === 0) heap.sample();
  }
  for (const e of adapter.end()) events.push(e);
  const oursMs = performance.now() - t;
  const grown = heap.stop();
  const iters = events.filter((e) => e.type === 'iter').length;
  if (iters !== args.lines) throw new Error(`ConsoleAdapter made ${iters} iter events of ${args.lines} lines`);
  const asEvents = chunksOf(eventsAsBytes(events));
  readWithBareLoop(chunksOf(eventsAsBytes(events.slice(0, Math.max(1, events.length >> 4))))); // warm-up
  t = performance.now();
  readWithBareLoop(asEvents);
  const bareMs = performance.now() - t;
  bench.figure({
    name: `${args.lines} CenterFusion progress lines: ConsoleAdapter (64 KiB text chunks)`,
    value: args.lines / (oursMs / 1000),
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare JSON.parse loop over the same data as event lines', value: events.length / (bareMs / 1000) },
    note: `peak heap growth ${grown.toFixed(0)} MiB with all ${events.length} events kept`,
  });

  const log = logTxtText(args.logtxtLines);
  const logEvents = logTxtToEvents(log).events;
  if (logEvents.filter((e) => e.type === 'epoch_end').length !== args.logtxtLines) throw new Error('log.txt: an epoch was not read');
  const logAsEvents = chunksOf(eventsAsBytes(logEvents));
  const [lo, lb] = timePair(
    () => logTxtToEvents(log),
    () => readWithBareLoop(logAsEvents),
    { warmup: 0, repeats: Math.max(1, args.repeats - 1) },
  );
  bench.figure({
    name: `${args.logtxtLines} CenterFusion log.txt lines: logTxtToEvents (whole file)`,
    value: args.logtxtLines / (lo.median / 1000),
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare JSON.parse loop over the same data as event lines', value: logEvents.length / (lb.median / 1000) },
  });
}

/** The longest event-loop stall while the host's loader ingests a big events file. */
/**
 * Wraps a method so that the CPU time (user + system) of each call is recorded: the work one
 * synchronous step does, which on a loaded machine is steadier than its wall time.
 */
function cpuTimed<T extends object>(proto: T, name: keyof T & string, longest: { ms: number; what: string }): () => void {
  const original = proto[name] as unknown as (...a: unknown[]) => unknown;
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]): unknown {
    const c0 = process.cpuUsage();
    const r = original.apply(this, a);
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    if (ms > longest.ms) {
      longest.ms = ms;
      longest.what = name;
    }
    return r;
  };
  return () => {
    (proto as Record<string, unknown>)[name] = original;
  };
}

/**
 * The longest event-loop stall (monitorEventLoopDelay) while the host's loader ingests a big
 * events file, and the longest synchronous step in CPU time (EventReader.push/end per chunk,
 * RunStore.load): on a shared machine the first also counts the time the OS gave other
 * processes, the second only our own blocking work.
 */
async function stalls(bench: Bench, bytes: Buffer, lines: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-ingest-'));
  const longest = { ms: 0, what: '' };
  const restore = [
    cpuTimed(EventReader.prototype, 'push', longest),
    cpuTimed(EventReader.prototype, 'end', longest),
    cpuTimed(RunStore.prototype, 'load', longest),
  ];
  try {
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, bytes);
    gc();
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const { events, problems } = await readEventsFile(file);
    const store = new RunStore();
    const run = store.load('bench-run', { status: 'completed' }, events as RunEvent[], problems.length);
    const ms = performance.now() - t0;
    h.disable();
    if (run.epochs.size === 0) throw new Error('the loaded run has no epochs');
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5000)));
    idle.disable();
    const what = `runLoader.readEventsFile + RunStore.load of ${lines} lines (${(bytes.length / MiB).toFixed(0)} MiB)`;
    bench.figure({
      name: `longest event-loop stall, ${what}`,
      value: h.max / 1e6,
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'idle event loop, same duration', value: Math.max(idle.max / 1e6, 0.001) },
      goal: { op: '<=', value: 50 },
      note: `ingest took ${(ms / 1000).toFixed(2)} s (${((lines / ms) * 1000 / 1e6).toFixed(2)} M lines/s from disk), p99 delay ${(h.percentile(99) / 1e6).toFixed(1)} ms`,
    });
    bench.figure({
      name: `longest synchronous step in CPU time, ${what}`,
      value: longest.ms,
      unit: 'ms',
      better: 'lower',
      goal: { op: '<=', value: 50 },
      note: `in ${longest.what}`,
    });
  } finally {
    for (const r of restore) r();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runMain('ingest', async (bench) => {
    const args = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    const bytes = protocolBytes(Math.max(args.lines, args.stallLines));
    bench.note(`generated ${Math.max(args.lines, args.stallLines)} protocol lines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The stall first, while the heap is as small as the host's (the input is off-heap bytes).
    await stalls(bench, args.stallLines >= args.lines ? bytes : bytes.subarray(0, lineEnd(bytes, args.stallLines)), args.stallLines);
    await protocolIngest(bench, args, args.lines >= args.stallLines ? bytes : bytes.subarray(0, lineEnd(bytes, args.lines)));
    textIngest(bench, args);
  });
}

/** The byte offset just after the n-th newline. */
function lineEnd(bytes: Buffer, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = bytes.indexOf(0x0a, at + 1);
  return at + 1;
}
