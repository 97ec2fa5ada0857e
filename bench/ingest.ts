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
 *    protocol lines: what reading the same information costs when written as events. Both
 *    sides are treated alike: the streaming readers (EventReader, ConsoleAdapter, the bare loop)
 *    count each batch and drop it, as the host does; the whole-file reader (logTxtToEvents)
 *    returns every event, and so does its bare loop (it keeps what JSON.parse returns).
 *    Each pair alternates (A B A B ...) after a warm-up on an eighth of the input; figures
 *    are wall-time medians, and each note gives the ratio in CPU time too (steadier on a
 *    shared machine).
 * 3. Peak heap growth of each reader, sampled during the timed passes.
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
import type { EventBody, IterEvent, RunEvent } from '../src/shared/protocol/types';
import { makeEvent, serializeEvent } from '../src/shared/protocol/writer';
import { readEventsFile } from '../src/extension/runs/runLoader';
import { RunStore } from '../src/extension/runs/runStore';
import { type Bench, gc, median, MiB, runMain } from './lib';

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
 * Lines written straight into UTF-8 buffers as they are made. Keeping a few thousand lines in
 * an array until a join made every line (a rope of template pieces) survive young-generation
 * collections: generating the inputs cost more than reading them.
 */
class ByteSink {
  private static readonly SIZE = 4 * MiB;
  private readonly parts: Buffer[] = [];
  private buf = Buffer.allocUnsafe(ByteSink.SIZE);
  private at = 0;

  write(text: string): void {
    if (this.at + text.length * 3 > this.buf.length) {
      this.flush();
      if (text.length * 3 > this.buf.length) {
        this.parts.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  bytes(): Buffer {
    this.flush();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }

  private flush(): void {
    if (this.at > 0) this.parts.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(ByteSink.SIZE);
    this.at = 0;
  }
}

/**
 * `lines` protocol event lines as the trainer writes them, as one buffer. Built with
 * JSON.stringify of the event objects (what serializeEvent writes for finite values; the
 * writer's own checks made generating a million lines take as long as reading them). The first
 * lines go through makeEvent + serializeEvent, and must come out identical.
 */
export function protocolBytes(lines: number, run = 'bench-run'): Buffer {
  const r = rng(7);
  const sink = new ByteSink();
  const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);
  let n = 0;
  const emit = (body: EventBody): void => {
    const time = new Date(t0 + n * 250);
    let line: string;
    if (n < 16) {
      line = serializeEvent(makeEvent(run, body, time));
      const quick = `${JSON.stringify(Object.assign({ v: 1, type: body.type, run, t: time.toISOString() }, body))}\n`;
      if (quick !== line) throw new Error(`generator drifted from the writer:\n${quick}${line}`);
    } else if (body.type === 'iter' && n >= 4096) {
      line = iterLine(run, time.toISOString(), body as EventBody<IterEvent>);
    } else {
      line = `${JSON.stringify(Object.assign({ v: 1, type: body.type, run, t: time.toISOString() }, body))}\n`;
      if (body.type === 'iter' && iterLine(run, time.toISOString(), body as EventBody<IterEvent>) !== line) {
        throw new Error(`iterLine drifted from JSON.stringify:\n${line}`);
      }
    }
    sink.write(line);
    n++;
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
  return sink.bytes();
}

/**
 * An `iter` line as JSON.stringify writes it (same keys, same order; String() of a finite number
 * is its JSON), built from a template: generating a million lines took longer than reading them.
 * The generator checks it against JSON.stringify on its first 4096 lines.
 */
function iterLine(run: string, t: string, b: EventBody<IterEvent>): string {
  const losses = JSON.stringify(b.losses);
  return (
    `{"v":1,"type":"iter","run":${JSON.stringify(run)},"t":"${t}","phase":"${b.phase}","epoch":${b.epoch},"iter":${b.iter},` +
    `"num_iters":${b.num_iters},"losses":${losses},"elapsed_s":${b.elapsed_s},"eta_s":${b.eta_s},"data_s":${b.data_s},"net_s":${b.net_s}}\n`
  );
}

/** `lines` CenterFusion `--print_iter` progress lines, as UTF-8. */
function progressBytes(lines: number): Buffer {
  const r = rng(11);
  const out = new ByteSink();
  const perEpoch = 3500;
  for (let n = 0; n < lines; n++) {
    const epoch = 1 + Math.floor(n / perEpoch);
    const iter = n % perEpoch;
    const l = losses(r, 10 / epoch);
    let line = `ddd/centerfusion| train: [${epoch}][${iter}/${perEpoch}]|Tot: 0:${String(Math.floor(iter / 150) % 60).padStart(2, '0')}:${String(iter % 60).padStart(2, '0')} |ETA: 0:00:00 `;
    for (const name of LOSSES) line += `|${name} ${l[name].toFixed(4)} `;
    line += '|Data 0.008s(0.010s) |Net 0.401s\n';
    out.write(line);
  }
  return out.bytes();
}

/** `lines` log.txt lines (one per epoch, train and val averages). */
function logTxtText(lines: number): string {
  const r = rng(13);
  const out = new ByteSink();
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
    out.write(`${line}\n`);
  }
  return out.bytes().toString('utf8');
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

/**
 * The baseline: decode, split, JSON.parse each line; no validation, no error reporting. With
 * `kept`, every parsed object is pushed there (the whole-file case); otherwise it is dropped.
 */
export function readWithBareLoop(chunks: readonly Uint8Array[], sampler?: HeapPeak, kept?: unknown[]): number {
  const decoder = new TextDecoder();
  let pending = '';
  let n = 0;
  for (let i = 0; i < chunks.length; i++) {
    const lines = (pending + decoder.decode(chunks[i], { stream: true })).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.length > 0) {
        const v: unknown = JSON.parse(line);
        if (kept !== undefined) kept.push(v);
        n++;
      }
    }
    if (sampler !== undefined && (i & 15) === 0) sampler.sample();
  }
  if (pending.length > 0) {
    const v: unknown = JSON.parse(pending);
    if (kept !== undefined) kept.push(v);
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

/** Peak heap growth while `fn` runs, MiB (after a full collection; never inside timed passes). */
function peakOf(fn: (s: HeapPeak) => void): number {
  const s = new HeapPeak().start();
  fn(s);
  return s.stop();
}

/** One side of a timed pair: wall and CPU medians, ms. */
interface Side {
  wall: number;
  cpu: number;
}

/**
 * Alternates two readers (A B A B ...) so that both see the same machine load: first both on a
 * warm-up input (JIT), then `repeats` timed passes each over the full input. No forced
 * collection between passes: one made the next passes' times erratic (heap regrowth).
 */
function pairOf(a: () => unknown, b: () => unknown, warmup: { a: () => unknown; b: () => unknown }, repeats: number): [Side, Side] {
  warmup.a();
  warmup.b();
  const samples = [
    { wall: [] as number[], cpu: [] as number[] },
    { wall: [] as number[], cpu: [] as number[] },
  ];
  for (let r = 0; r < repeats; r++) {
    [a, b].forEach((fn, k) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn();
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      samples[k].wall.push(wall);
      samples[k].cpu.push((c.user + c.system) / 1000);
    });
  }
  const side = (x: (typeof samples)[number]): Side => ({ wall: median(x.wall), cpu: median(x.cpu) });
  return [side(samples[0]), side(samples[1])];
}

/** CPU seconds since `c0`, as text. */
function cpuSince(c0: NodeJS.CpuUsage): string {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1e6).toFixed(1);
}

/** `median of R: 1.23 s vs 0.98 s wall; CPU-time ratio 0.81`. */
function pairNote(repeats: number, ours: Side, bare: Side, oursWork = 1, bareWork = 1): string {
  const cpuRatio = oursWork / ours.cpu / (bareWork / bare.cpu);
  return `median of ${repeats}: ${(ours.wall / 1000).toFixed(2)} s vs ${(bare.wall / 1000).toFixed(2)} s wall, ${(ours.cpu / 1000).toFixed(2)} s vs ${(bare.cpu / 1000).toFixed(2)} s CPU (CPU-time ratio ${cpuRatio.toFixed(3)})`;
}

/** The first 1/`parts` of a list of chunks (at least one); an eighth is the warm-up input. */
function warmupPart<T>(chunks: readonly T[], parts = 8): T[] {
  return chunks.slice(0, Math.max(1, Math.floor(chunks.length / parts)));
}

/** The same for byte chunks of event lines, cut after the last whole line. */
function firstLines(chunks: readonly Uint8Array[], parts: number): Uint8Array[] {
  const part = warmupPart(chunks, parts);
  const last = part[part.length - 1];
  const end = Buffer.from(last.buffer, last.byteOffset, last.byteLength).lastIndexOf(0x0a);
  part[part.length - 1] = last.subarray(0, end + 1);
  return part;
}

function textChunks(bytes: Buffer): string[] {
  // The adapter receives decoded text; decoding is part of the measured work for both sides.
  return chunksOf(bytes).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8'));
}

/** ConsoleAdapter over text chunks, as the host feeds it; each batch is counted and dropped. */
function adaptConsole(chunks: readonly string[], sampler?: HeapPeak, each?: (batch: EventBody[]) => void): number {
  const adapter = new ConsoleAdapter({});
  let n = 0;
  for (let i = 0; i < chunks.length; i++) {
    const batch = adapter.push(chunks[i]);
    n += batch.length;
    if (each !== undefined) each(batch);
    if (sampler !== undefined && (i & 15) === 0) sampler.sample();
  }
  const last = adapter.end();
  if (each !== undefined) each(last);
  return n + last.length;
}

/**
 * Protocol lines of event bodies as the writer writes them (JSON.stringify of the event: what
 * serializeEvent writes for finite values, checked on the first lines, without the writer's
 * validation, which would make building the baseline's input cost more than the measurement).
 */
class EventLines {
  private readonly sink = new ByteSink();
  private checked = 0;
  count = 0;
  private readonly time = new Date(Date.UTC(2026, 10, 25));
  private readonly stamp = this.time.toISOString();

  add(bodies: readonly EventBody[]): void {
    for (const b of bodies) {
      const line = `${JSON.stringify(Object.assign({ v: 1, type: b.type, run: 'bench-run', t: this.stamp }, b))}\n`;
      if (this.checked < 16) {
        const written = serializeEvent(makeEvent('bench-run', b, this.time));
        if (written !== line) throw new Error(`baseline input drifted from the writer:\n${line}${written}`);
        this.checked++;
      }
      this.sink.write(line);
      this.count++;
    }
  }

  bytes(): Buffer {
    return this.sink.bytes();
  }
}

function eventsAsBytes(bodies: readonly EventBody[]): Buffer {
  const lines = new EventLines();
  lines.add(bodies);
  return lines.bytes();
}

async function protocolIngest(bench: Bench, args: Args, bytes: Buffer): Promise<void> {
  const chunks = chunksOf(bytes);
  bench.note(`protocol input: ${args.lines} lines, ${(bytes.length / MiB).toFixed(0)} MiB in ${chunks.length} chunks of 64 KiB`);
  let counted = 0;
  const warm = firstLines(chunks, 8);
  const [ours, bare] = pairOf(
    () => (counted = readWithEventReader(chunks)),
    () => readWithBareLoop(chunks),
    { a: () => readWithEventReader(warm), b: () => readWithBareLoop(warm) },
    args.repeats,
  );
  if (counted !== args.lines) throw new Error(`EventReader read ${counted} events of ${args.lines}`);
  bench.figure({
    name: `${args.lines} protocol event lines: EventReader (validating, 64 KiB byte chunks)`,
    value: args.lines / (ours.wall / 1000),
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare decode+split+JSON.parse loop', value: args.lines / (bare.wall / 1000) },
    goal: { op: '>=', value: 1e6 },
    ratioGoal: { op: '>=', value: 0.5 },
    note: pairNote(args.repeats, ours, bare),
  });
  // A streaming reader's peak does not grow with its input (batches are dropped): measured
  // over the first quarter, which keeps two more full passes out of the run.
  const quarter = firstLines(chunks, 4);
  bench.figure({
    name: 'protocol events: peak heap growth while reading (input excluded, batches dropped; first quarter)',
    value: peakOf((h) => readWithEventReader(quarter, h)),
    unit: 'MiB',
    better: 'lower',
    baseline: { name: 'bare loop', value: peakOf((h) => readWithBareLoop(quarter, h)) },
  });
}

function textIngest(bench: Bench, args: Args): void {
  let t = performance.now();
  let cpu0 = process.cpuUsage();
  const chunks = textChunks(progressBytes(args.lines));
  const generated = performance.now() - t;
  // The baseline's input: the adapter's events as protocol lines (this untimed pass is also
  // the adapter's warm-up).
  const lines = new EventLines();
  let iters = 0;
  adaptConsole(chunks, undefined, (batch) => {
    for (const e of batch) if (e.type === 'iter') iters++;
    lines.add(batch);
  });
  if (iters !== args.lines) throw new Error(`ConsoleAdapter made ${iters} iter events of ${args.lines} lines`);
  const events = lines.count;
  const asEvents = chunksOf(lines.bytes());
  bench.note(`progress input: ${args.lines} lines, ${(chunks.reduce((n, c) => n + c.length, 0) / MiB).toFixed(0)} Mi characters, ${events} events; built in ${((performance.now() - t) / 1000).toFixed(1)} s (text ${(generated / 1000).toFixed(1)} s), ${cpuSince(cpu0)} s CPU`);
  let made = 0;
  const [ours, bare] = pairOf(
    () => (made = adaptConsole(chunks)),
    () => readWithBareLoop(asEvents),
    { a: () => adaptConsole(warmupPart(chunks)), b: () => readWithBareLoop(firstLines(asEvents, 8)) },
    args.repeats,
  );
  if (made !== events) throw new Error(`ConsoleAdapter made ${made} events, ${events} before`);
  bench.figure({
    name: `${args.lines} CenterFusion progress lines: ConsoleAdapter (64 KiB text chunks)`,
    value: args.lines / (ours.wall / 1000),
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare JSON.parse loop over the same data as event lines', value: events / (bare.wall / 1000) },
    ratioGoal: { op: '>=', value: 0.5 },
    note: `${pairNote(args.repeats, ours, bare, args.lines, events)}; peak heap growth ${peakOf((h) => adaptConsole(warmupPart(chunks, 4), h)).toFixed(0)} MiB vs ${peakOf((h) => readWithBareLoop(firstLines(asEvents, 4), h)).toFixed(0)} MiB (batches dropped; first quarter)`,
  });

  t = performance.now();
  cpu0 = process.cpuUsage();
  const log = logTxtText(args.logtxtLines);
  const logEvents = logTxtToEvents(log).events;
  if (logEvents.filter((e) => e.type === 'epoch_end').length !== args.logtxtLines) throw new Error('log.txt: an epoch was not read');
  const logAsEvents = chunksOf(eventsAsBytes(logEvents));
  bench.note(`log.txt input: ${args.logtxtLines} lines, ${(log.length / MiB).toFixed(0)} Mi characters; built in ${((performance.now() - t) / 1000).toFixed(1)} s, ${cpuSince(cpu0)} s CPU`);
  const logWarm = logTxtText(Math.max(1, args.logtxtLines >> 3));
  const [lo, lb] = pairOf(
    () => logTxtToEvents(log),
    () => readWithBareLoop(logAsEvents, undefined, []),
    { a: () => logTxtToEvents(logWarm), b: () => readWithBareLoop(firstLines(logAsEvents, 8), undefined, []) },
    args.repeats,
  );
  bench.figure({
    name: `${args.logtxtLines} CenterFusion log.txt lines: logTxtToEvents (whole file)`,
    value: args.logtxtLines / (lo.wall / 1000),
    unit: 'lines/s',
    better: 'higher',
    baseline: { name: 'bare JSON.parse loop over the same data as event lines, keeping every event', value: logEvents.length / (lb.wall / 1000) },
    ratioGoal: { op: '>=', value: 0.5 },
    note: pairNote(args.repeats, lo, lb, args.logtxtLines, logEvents.length),
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
    const c0 = process.cpuUsage();
    let bytes: Buffer | undefined = protocolBytes(Math.max(args.lines, args.stallLines));
    bench.note(`generated ${Math.max(args.lines, args.stallLines)} protocol lines in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${cpuSince(c0)} s CPU`);
    // The stall first, while the heap is as small as the host's (the input is off-heap bytes).
    await stalls(bench, args.stallLines >= args.lines ? bytes : bytes.subarray(0, lineEnd(bytes, args.stallLines)), args.stallLines);
    await protocolIngest(bench, args, args.lines >= args.stallLines ? bytes : bytes.subarray(0, lineEnd(bytes, args.lines)));
    bytes = undefined; // its 370 MiB are not needed any more
    gc();
    textIngest(bench, args);
  });
}

/** The byte offset just after the n-th newline. */
function lineEnd(bytes: Buffer, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = bytes.indexOf(0x0a, at + 1);
  return at + 1;
}
