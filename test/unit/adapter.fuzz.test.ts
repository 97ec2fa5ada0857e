/**
 * Seeded fuzzing of the CenterFusion readers: mutated fixtures (byte flips, truncations, stray
 * `\r`, ANSI escapes, deletions, duplications, splices, huge numbers) through every kind of
 * reader and through the streaming adapter with random chunking. Nothing may throw, no internal
 * error may be reported, and every event must pass the protocol check.
 *
 *   CF_FUZZ_N      number of mutated inputs (default 5000; e.g. 100000 for a long run)
 *   CF_FUZZ_SEED   seed (default 20261125)
 *   CF_FUZZ_DUMP   a file to write the slowest input to (for a closer look)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ConsoleAdapter, LOG_KINDS, adaptText, detectKind, parseConsoleText, parsePyKwargs, parsePyLiteral } from '../../src/shared/centerfusion';
import type { AdaptResult } from '../../src/shared/centerfusion';
import { makeEvent, serializeEvent, validateEvent } from '../../src/shared/protocol';
import type { EventBody } from '../../src/shared/protocol';
import { mulberry32 as prng } from '../../src/shared/random';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'centerfusion');
const N = Number(process.env.CF_FUZZ_N ?? 5000);
const SEED = Number(process.env.CF_FUZZ_SEED ?? 20261125);
const NOW = new Date('2026-11-25T21:30:00.123Z');


function listFixtures(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) out.push(...listFixtures(p));
    else out.push(p);
  }
  return out.sort();
}

const CORPUS = listFixtures(FIXTURES).map((file) => ({ name: path.basename(file), text: fs.readFileSync(file, 'utf8') }));

const CHARS = [
  '\r', '\n', '\r\n', '\x1b', '|', '[', ']', ':', ' ', '#', '/', '0', '1', '5', '9', '.', '-', 'e', 'E', 'n', 'a', 'N',
  '\t', '\x00', '\x08', '\u00e9', '\ud83d', '{', '}', '(', ')', "'", '"', '\\', 's', 'T', '=', ',', '^', '\u2028',
];
const ESCAPES = ['\x1b[K', '\x1b[?25l', '\x1b[?25h', '\x1b[31m', '\x1b[0m', '\x1b[2J\x1b[H', '\x1b]0;title\x07', '\x1b[', '\x1b', '\x1b[1|'];
const WEIRD = ['nan', 'inf', '-inf', '9'.repeat(30), '1e999', '-0', '0.0000', 'NaN', 'None', '1 day, 23:59:59', '99 days, 0:00:00'];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const pos = (s: string): number => Math.floor(rnd() * (s.length + 1));
  let s = text;
  const rounds = 1 + Math.floor(rnd() * 4);
  for (let r = 0; r < rounds; r++) {
    switch (Math.floor(rnd() * 9)) {
      case 0: {
        // flips
        const k = 1 + Math.floor(rnd() * 8);
        for (let j = 0; j < k && s.length > 0; j++) {
          const p = Math.floor(rnd() * s.length);
          s = s.slice(0, p) + pick(CHARS) + s.slice(p + 1);
        }
        break;
      }
      case 1:
        s = s.slice(0, pos(s));
        break;
      case 2: {
        const k = 1 + Math.floor(rnd() * 6);
        for (let j = 0; j < k; j++) {
          const p = pos(s);
          s = `${s.slice(0, p)}\r${s.slice(p)}`;
        }
        break;
      }
      case 3: {
        const k = 1 + Math.floor(rnd() * 6);
        for (let j = 0; j < k; j++) {
          const p = pos(s);
          s = s.slice(0, p) + pick(ESCAPES) + s.slice(p);
        }
        break;
      }
      case 4: {
        const a = pos(s);
        const b = Math.min(s.length, a + Math.floor(rnd() * 200));
        s = s.slice(0, a) + s.slice(b);
        break;
      }
      case 5: {
        const a = pos(s);
        const b = Math.min(s.length, a + Math.floor(rnd() * 300));
        s = s.slice(0, b) + s.slice(a, b) + s.slice(b);
        break;
      }
      case 6: {
        const other = pick(CORPUS).text;
        const a = pos(other);
        const piece = other.slice(a, a + Math.floor(rnd() * 400));
        const p = pos(s);
        s = s.slice(0, p) + piece + s.slice(p);
        break;
      }
      case 7: {
        // a number replaced by something unusual
        const m = /\d+(?:\.\d+)?/g;
        const all = [...s.matchAll(m)];
        if (all.length > 0) {
          const hit = pick(all);
          const at = hit.index ?? 0;
          s = s.slice(0, at) + pick(WEIRD) + s.slice(at + hit[0].length);
        }
        break;
      }
      default: {
        // a long run of one character (stress for patterns)
        const p = pos(s);
        s = s.slice(0, p) + pick([' ', '#', '|', '[', '9', 'a', '\t']).repeat(1 + Math.floor(rnd() * 3000)) + s.slice(p);
      }
    }
  }
  return s;
}

function checkEvents(events: EventBody[], where: string): void {
  for (const body of events) {
    const line = serializeEvent(makeEvent('fuzz', body, NOW));
    const r = validateEvent(JSON.parse(line));
    if (!r.ok || !r.known) assert.fail(`${where}: invalid event ${line.slice(0, 300)}: ${r.ok ? 'unknown type' : r.reason}`);
  }
}

function checkResult(r: AdaptResult, where: string): number {
  checkEvents(r.events, where);
  if (r.stats !== undefined && r.stats.internal > 0) assert.fail(`${where}: internal error: ${r.problems.join(' | ')}`);
  for (const p of r.problems) if (p.includes('internal error')) assert.fail(`${where}: ${p}`);
  return r.events.length;
}

describe(`fuzz: ${N} mutated inputs (seed ${SEED})`, () => {
  it('never throws, never errs internally, always yields valid events', () => {
    const rnd = prng(SEED);
    let events = 0;
    let chars = 0;
    let slowest = 0;
    let slowestText = '';
    const t0 = Date.now();
    for (let i = 0; i < N; i++) {
      const base = CORPUS[i % CORPUS.length];
      const text = mutate(base.text, rnd);
      chars += text.length;
      const where = `input ${i} (from ${base.name}, seed ${SEED})`;
      const started = Date.now();
      detectKind(base.name, text);
      // Each input through one whole-text reader (in turn) and the console adapter in chunks.
      const kind = LOG_KINDS[Math.floor(i / CORPUS.length) % LOG_KINDS.length];
      events += checkResult(adaptText(kind, text, { epoch: 3 }), `${where} as ${kind}`);
      const a = new ConsoleAdapter({ maxLineLength: 256 + Math.floor(rnd() * 4096) });
      const out: EventBody[] = [];
      let at = 0;
      while (at < text.length) {
        const step = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 2000));
        out.push(...a.push(text.slice(at, at + step)));
        at += step;
      }
      out.push(...a.end());
      checkEvents(out, `${where} chunked`);
      if (a.stats.internal > 0) assert.fail(`${where} chunked: ${a.problems.join(' | ')}`);
      events += out.length;
      const took = Date.now() - started;
      if (took > slowest) {
        slowest = took;
        slowestText = text;
      }
    }
    const ms = Date.now() - t0;
    if (process.env.CF_FUZZ_DUMP) fs.writeFileSync(process.env.CF_FUZZ_DUMP, slowestText);
    // One line for the record: how much was tried.
    console.log(`# fuzz: ${N} inputs, ${(chars / 1e6).toFixed(1)} M chars, ${events} events, ${ms} ms, slowest input ${slowest} ms`);
    assert.ok(slowest < 5000, `an input took ${slowest} ms: a pattern with bad backtracking?`);
  });

  it('the console adapter gives the same events for every split point of a capture', () => {
    const splitEverywhere = (name: string, text: string): number => {
      const whole = JSON.stringify(parseConsoleText(text).events);
      for (let cut = 0; cut <= text.length; cut++) {
        const a = new ConsoleAdapter();
        const events = a.push(text.slice(0, cut));
        for (const e of a.push(text.slice(cut))) events.push(e);
        for (const e of a.end()) events.push(e);
        if (JSON.stringify(events) !== whole) assert.fail(`${name}: different events when split at ${cut}`);
      }
      return text.length + 1;
    };
    const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
    let splits = 0;
    for (const name of ['test-tty.txt', 'centernet-print-iter.txt', 'main-print-iter.txt', 'tracebacks.txt']) {
      splits += splitEverywhere(name, read(name));
    }
    // The training part of main-tty.txt, from "Starting training..." to the end of epoch 2's
    // train bar: `\r`-glued updates, ANSI escapes, the update cut at the terminal width.
    const tty = read('main-tty.txt');
    const from = tty.indexOf('Starting training...');
    const to = tty.indexOf('\n', tty.indexOf('[2][5/6]'));
    assert.ok(from > 0 && to > from);
    splits += splitEverywhere('main-tty.txt (training part)', tty.slice(from, to + 1));
    console.log(`# split points tried: ${splits}`);
  });

  it('the Python literal reader never throws on random token soup', () => {
    const rnd = prng(SEED + 1);
    const tokens = ['[', ']', '(', ')', '{', '}', ',', ':', "'a'", '"b"', "b'\\x00\\n'", '1', '-2.5e-3', 'inf', '-inf', 'nan',
      'True', 'False', 'None', ' ', "'\\", 'x=', 'set()', '0x1F', '1_000', "r'\\d'", "'''", '\\u12', 'name'];
    for (let i = 0; i < Math.max(1000, N / 5); i++) {
      let s = '';
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) s += tokens[Math.floor(rnd() * tokens.length)];
      const r = parsePyLiteral(s);
      assert.equal(typeof r.ok, 'boolean');
      parsePyKwargs(s);
    }
    const deep = parsePyLiteral('['.repeat(100000));
    assert.equal(deep.ok, false);
  });
});
