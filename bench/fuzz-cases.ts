/**
 * Seeded fuzz cases for the two readers of untrusted text: the protocol reader (events.jsonl,
 * a trainer's stdout) and the CenterFusion text adapter (progress output, log.txt, opt.txt,
 * evaluation printouts, metrics_summary.json). Used by test/unit/reliability.fuzz.test.ts (a
 * few thousand cases) and bench/fuzz.ts (100,000+ of each, with cases/s).
 *
 * A case is an input built from a seed; it fails when a reader throws, reports an internal
 * error, hands out an event that does not pass the protocol check, or (the protocol reader)
 * reads the same bytes differently when they arrive in other chunks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOG_KINDS, adaptText, ConsoleAdapter, type LogKind } from '../src/shared/centerfusion';
import { EventReader, makeEvent, serializeEvent, validateEvent, type EventBody } from '../src/shared/protocol';
import type { RunEvent } from '../src/shared/protocol/types';
import { mulberry32 } from '../src/shared/random';

export type Rnd = () => number;

/** mulberry32 (src/shared/random.ts). */
export const prng = (seed: number): Rnd => mulberry32(seed);

const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n);
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, xs.length)];

const NOW = new Date('2026-11-26T01:00:00.000Z');

/** A plausible run's event lines (every type, odd but valid values). */
export function sampleEventLines(): string[] {
  const bodies: EventBody[] = [
    { type: 'run_start', task: 'ddd', exp_id: 'fuzz', mode: 'train', argv: ['ddd', '--exp_id', 'fuzz'], opts: { lr: 2.5e-4, lr_step: [50] }, save_dir: '/x/exp/ddd/fuzz', backend: 'cpu', pid: 42, num_epochs: 3 },
    { type: 'log', level: 'warning', message: 'arch dla_34 is approximated \u2028 by the tiny network' },
    { type: 'epoch_start', epoch: 1, lr: 0.00025 },
    { type: 'iter', phase: 'train', epoch: 1, iter: 0, num_iters: 4, losses: { tot: 12.5, hm: 9.1, wh: null }, elapsed_s: 0.5, eta_s: 1.5 },
    { type: 'iter', phase: 'val', epoch: 1, iter: 3, num_iters: 4, losses: { tot: 1e-30 } },
    { type: 'epoch_end', epoch: 1, train: { tot: 3.2, hm: 1.1 }, val: null, time_min: 0.02 },
    { type: 'checkpoint', epoch: 1, path: '/x/exp/ddd/fuzz/model_last.ckpt', kind: 'last', size_bytes: 155000 },
    { type: 'lr_change', epoch: 1, lr: 2.5e-5 },
    { type: 'error', error_type: 'RuntimeError', message: 'CUDA out of memory "quoted" \\ back', traceback: 'Traceback (most recent call last):\n  File "main.py"' },
    { type: 'run_end', status: 'killed', exit_code: null, signal: 'SIGKILL' },
  ];
  return bodies.map((b) => serializeEvent(makeEvent('run-fuzz', b, NOW)));
}

const JSON_BITS = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u', '\\ud800', 'null', 'true', '1e999', '-0', 'NaN', '"type"', '"v":1', '"run":"r"', '"epoch":', '\n', '\r', ' ', '\u0000', '\u2028', '\ud83d'];
const TEXT_BITS = ['\r', '\n', '\x1b[K', '\x1b[31m', '|', ' ', 'nan', 'inf', '9'.repeat(40), '1e999', 'ETA:', 'Epoch', 'tot ', ' | ', '{', "'", '\t', '\x00', '\ud83d', 'mAP: ', 'NDS: '];

/** Mutates a string a few times: flips, cuts, deletions, duplications, insertions, long runs. */
export function mutateText(text: string, rnd: Rnd, bits: readonly string[]): string {
  let s = text;
  const pos = (): number => int(rnd, s.length + 1);
  const rounds = 1 + int(rnd, 4);
  for (let r = 0; r < rounds; r++) {
    switch (int(rnd, 8)) {
      case 0: {
        for (let k = 1 + int(rnd, 6); k > 0 && s.length > 0; k--) {
          const p = int(rnd, s.length);
          s = s.slice(0, p) + pick(rnd, bits) + s.slice(p + 1);
        }
        break;
      }
      case 1:
        s = s.slice(0, pos());
        break;
      case 2: {
        const a = pos();
        s = s.slice(0, a) + s.slice(Math.min(s.length, a + int(rnd, 120)));
        break;
      }
      case 3: {
        const a = pos();
        const b = Math.min(s.length, a + int(rnd, 300));
        s = s.slice(0, b) + s.slice(a, b) + s.slice(b);
        break;
      }
      case 4: {
        const p = pos();
        s = s.slice(0, p) + pick(rnd, bits) + s.slice(p);
        break;
      }
      case 5: {
        const p = pos();
        s = s.slice(0, p) + pick(rnd, ['9', ' ', '[', '{', '"', 'a', '\\']).repeat(1 + int(rnd, 2000)) + s.slice(p);
        break;
      }
      case 6: {
        // a number replaced by an unusual one
        const all = [...s.matchAll(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g)];
        if (all.length > 0) {
          const hit = pick(rnd, all);
          const at = hit.index ?? 0;
          s = s.slice(0, at) + pick(rnd, ['1e999', '-1', '0', '1.5', '9007199254740993', 'NaN', 'null', '"1"', '[]', '{}']) + s.slice(at + hit[0].length);
        }
        break;
      }
      default: {
        // swap two lines
        const lines = s.split('\n');
        if (lines.length > 1) {
          const i = int(rnd, lines.length);
          const j = int(rnd, lines.length);
          [lines[i], lines[j]] = [lines[j], lines[i]];
          s = lines.join('\n');
        }
      }
    }
  }
  return s;
}

/** Byte-level damage: random bytes (invalid UTF-8 included) written over or into the input. */
function mutateBytes(bytes: Buffer, rnd: Rnd): Buffer {
  const out = Buffer.from(bytes);
  for (let k = 1 + int(rnd, 6); k > 0 && out.length > 0; k--) out[int(rnd, out.length)] = int(rnd, 256);
  if (rnd() < 0.3) {
    const p = int(rnd, out.length + 1);
    const junk = Buffer.from(Array.from({ length: 1 + int(rnd, 16) }, () => int(rnd, 256)));
    return Buffer.concat([out.subarray(0, p), junk, out.subarray(p)]);
  }
  return out;
}

/** A random JSON value shaped a little like an event (or not). */
function randomJson(rnd: Rnd, depth = 0): unknown {
  switch (int(rnd, depth > 3 ? 5 : 8)) {
    case 0: return null;
    case 1: return rnd() < 0.5;
    case 2: return pick(rnd, [0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 2, 12]);
    case 3: return pick(rnd, ['', 'ddd', 'run_end', 'iter', 'x'.repeat(int(rnd, 300)), '\u0000', '2026-11-26T01:00:00.000Z', 'completed']);
    case 4: return pick(rnd, ['train', 'val', 'last', 'killed', 'warning']);
    case 5: return Array.from({ length: int(rnd, 4) }, () => randomJson(rnd, depth + 1));
    default: {
      const keys = ['v', 'type', 'run', 't', 'epoch', 'iter', 'num_iters', 'losses', 'phase', 'status', 'path', 'kind', 'train', 'val', 'metrics', 'lr', 'message', '__proto__', 'constructor'];
      const o: Record<string, unknown> = rnd() < 0.6 ? { v: 1, type: pick(rnd, ['run_start', 'iter', 'epoch_end', 'checkpoint', 'eval', 'run_end', 'log', 'error', 'future_type']), run: 'r', t: '2026-11-26T01:00:00.000Z' } : {};
      for (let k = int(rnd, 6); k > 0; k--) o[pick(rnd, keys)] = randomJson(rnd, depth + 1);
      return o;
    }
  }
}

/** The bytes of one protocol-reader case. */
export function readerInput(rnd: Rnd, lines: readonly string[]): Buffer {
  const take = (): string => {
    const start = int(rnd, lines.length);
    return lines.slice(start, start + 1 + int(rnd, 5)).join('');
  };
  switch (int(rnd, 5)) {
    case 0:
      return Buffer.from(mutateText(take(), rnd, JSON_BITS), 'utf8');
    case 1:
      return mutateBytes(Buffer.from(take(), 'utf8'), rnd);
    case 2:
      return Buffer.from(Array.from({ length: int(rnd, 4) + 1 }, () => `${JSON.stringify(randomJson(rnd))}\n`).join(''), 'utf8');
    case 3:
      return Buffer.from(Array.from({ length: int(rnd, 400) }, () => int(rnd, 256)));
    default:
      return Buffer.from(`${take()}${mutateText(take(), rnd, JSON_BITS)}${take()}`, 'utf8');
  }
}

/** Reads bytes in random chunks; returns the events (as JSON) and the problem count. */
function readChunked(bytes: Buffer, rnd: Rnd | undefined, maxLineBytes: number): { events: string[]; unknown: string[]; problems: number } {
  const reader = new EventReader({ maxLineBytes });
  const events: string[] = [];
  const unknown: string[] = [];
  let problems = 0;
  const take = (batch: { events: RunEvent[]; unknown: unknown[]; problems: unknown[] }): void => {
    for (const e of batch.events) {
      const check = validateEvent(JSON.parse(JSON.stringify(e)));
      if (!check.ok || !check.known) throw new Error(`reader returned an event that does not validate: ${JSON.stringify(e).slice(0, 200)}`);
      events.push(JSON.stringify(e));
    }
    // Unknown-type events come in their own list: compared apart from the known ones.
    for (const u of batch.unknown) unknown.push(JSON.stringify(u));
    problems += batch.problems.length;
  };
  let at = 0;
  while (at < bytes.length) {
    const n = rnd === undefined ? bytes.length : 1 + int(rnd, 64);
    take(reader.push(bytes.subarray(at, at + n)));
    at += n;
  }
  take(reader.end());
  return { events, unknown, problems };
}

/** One protocol-reader case; the failure, or undefined. */
export function readerCase(rnd: Rnd, lines: readonly string[]): string | undefined {
  const bytes = readerInput(rnd, lines);
  // A small line limit now and then, so that the too-long path is exercised too.
  const maxLineBytes = rnd() < 0.1 ? 1 + int(rnd, 200) : 8 * 1024 * 1024;
  try {
    const whole = readChunked(bytes, undefined, maxLineBytes);
    const split = readChunked(bytes, rnd, maxLineBytes);
    if (whole.events.join('\n') !== split.events.join('\n') || whole.unknown.join('\n') !== split.unknown.join('\n') || whole.problems !== split.problems) {
      return `chunking changed the result (${whole.events.length}/${whole.problems} vs ${split.events.length}/${split.problems}) for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`;
    }
    const lineCount = bytes.toString('latin1').split('\n').length;
    const seen = whole.events.length + whole.unknown.length + whole.problems;
    if (seen > lineCount) return `more events and problems (${seen}) than lines (${lineCount})`;
  } catch (err) {
    return `threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)} for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`;
  }
  return undefined;
}

export interface AdapterCorpus {
  texts: { kind: LogKind; text: string }[];
}

/** The CenterFusion fixtures (test/fixtures/centerfusion) with their kinds. */
export function adapterCorpus(repo: string): AdapterCorpus {
  const dir = path.join(repo, 'test', 'fixtures', 'centerfusion');
  const texts: { kind: LogKind; text: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const text = fs.readFileSync(p, 'utf8');
        const kind: LogKind = /metrics_summary/.test(e.name) ? 'metrics' : /^opt/.test(e.name) ? 'opttxt' : /^log/.test(e.name) ? 'logtxt' : /eval/.test(e.name) ? 'eval' : 'progress';
        texts.push({ kind, text });
      }
    }
  };
  walk(dir);
  return { texts };
}

/** One adapter case: a window of a fixture, mutated, read as a random kind; the failure, or undefined. */
export function adapterCase(rnd: Rnd, corpus: AdapterCorpus): string | undefined {
  const src = pick(rnd, corpus.texts);
  const start = int(rnd, Math.max(1, src.text.length - 2000));
  const window = rnd() < 0.03 ? src.text : src.text.slice(start, start + 200 + int(rnd, 2000));
  const text = mutateText(window, rnd, TEXT_BITS);
  const kind: LogKind = rnd() < 0.7 ? src.kind : pick(rnd, LOG_KINDS);
  try {
    const r = adaptText(kind, text, { epoch: rnd() < 0.5 ? 1 + int(rnd, 3) : null });
    const internal = r.problems.find((p) => /internal error/.test(p));
    if (internal) return `${kind}: ${internal} for ${JSON.stringify(text.slice(0, 200))}`;
    for (const body of r.events) {
      const check = validateEvent(JSON.parse(serializeEvent(makeEvent('fuzz', body, NOW))));
      if (!check.ok || !check.known) return `${kind}: an event fails the protocol check (${check.ok ? 'unknown type' : check.reason}): ${JSON.stringify(body).slice(0, 200)}`;
    }
    if (kind === 'progress' && rnd() < 0.3) {
      // Streamed in random pieces, as a pipe delivers it.
      const a = new ConsoleAdapter();
      let at = 0;
      while (at < text.length) {
        const n = 1 + int(rnd, 300);
        a.push(text.slice(at, at + n));
        at += n;
      }
      a.end();
      if (a.problems.some((p) => /internal error/.test(p))) return `streamed: internal error for ${JSON.stringify(text.slice(0, 200))}`;
    }
  } catch (err) {
    return `${kind}: threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)} for ${JSON.stringify(text.slice(0, 200))}`;
  }
  return undefined;
}

export interface FuzzTally {
  cases: number;
  failures: string[];
  ms: number;
}

/** Runs `n` cases of `one` from `seed` (each case its own seed, so a failure can be replayed alone). */
export function runCases(n: number, seed: number, one: (rnd: Rnd) => string | undefined): FuzzTally {
  const failures: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const caseSeed = (seed + Math.imul(i, 0x9e3779b1)) >>> 0;
    const failure = one(prng(caseSeed));
    if (failure !== undefined && failures.length < 20) failures.push(`case ${i} (seed ${caseSeed}): ${failure}`);
    else if (failure !== undefined) failures.push('');
  }
  return { cases: n, failures, ms: performance.now() - t0 };
}
