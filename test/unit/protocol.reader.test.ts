import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  EVENT_TYPES,
  EventReader,
  parseEventLines,
  validateEvent,
  type ReadBatch,
  type ReaderStats,
} from '../../src/shared/protocol';
import { mulberry32 } from '../../src/shared/random';
import { readAll } from './readAll';

const enc = new TextEncoder();
const T = '2026-11-25T21:30:00.123Z';

function ev(type: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, type, run: 'r1', t: T, ...fields });
}


function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function totalProblems(stats: ReaderStats): number {
  const p = stats.problems;
  return p.json + p.schema + p.utf8 + p.too_long;
}

/** Every line is accounted for exactly once. */
function assertBalanced(stats: ReaderStats): void {
  assert.equal(stats.lines, stats.blank + stats.events + stats.unknown + totalProblems(stats), JSON.stringify(stats));
}

// A stream with a bit of everything: multi-byte text (2- and 4-byte UTF-8), CRLF endings, blank
// and whitespace lines, broken JSON, a schema error, an unknown type, and no final newline.
const STREAM_LINES = [
  ev('run_start', {
    task: 'ddd',
    exp_id: 'café',
    mode: 'train',
    argv: ['ddd'],
    opts: {},
    save_dir: 'exp/ddd/café',
    backend: 'wasm',
  }),
  ev('log', { level: 'info', message: 'radar 🚗 ahead, éé' }) + '\r',
  '',
  ev('iter', { phase: 'train', epoch: 1, iter: 0, num_iters: 10, losses: { tot: 1.5, hm: null } }),
  '{"v":1,"type":"log",',
  '   \t ',
  ev('gpu_stats', { util: 0.9, note: '🚗🚗' }),
  ev('checkpoint', { epoch: 1, path: 'm.pth' }) + '\r',
  ev('epoch_end', { epoch: 1, train: { tot: 1.2 }, val: null, time_min: 0.5 }),
  '[1,2,3]',
  ev('run_end', { status: 'completed' }),
];
const STREAM_TEXT = STREAM_LINES.join('\n'); // last line without newline
const STREAM_BYTES = enc.encode(STREAM_TEXT);

describe('EventReader on a mixed stream', () => {
  const whole = readAll([STREAM_BYTES]);

  it('reads events, keeps unknown types, and reports bad lines with their line numbers', () => {
    const { batch, stats } = whole;
    assert.deepEqual(
      batch.events.map((e) => e.type),
      ['run_start', 'log', 'iter', 'epoch_end', 'run_end'],
    );
    assert.equal(batch.events[1].message, 'radar 🚗 ahead, éé');
    assert.equal(batch.events[0].exp_id, 'café');
    assert.deepEqual(batch.unknown, [JSON.parse(STREAM_LINES[6])]);
    assert.deepEqual(
      batch.problems.map((p) => [p.line, p.kind]),
      [
        [5, 'json'],
        [8, 'schema'],
        [10, 'schema'],
      ],
    );
    assert.equal(batch.problems[1].message, 'checkpoint: missing required field "kind"');
    assert.equal(batch.problems[1].excerpt, STREAM_LINES[7].slice(0, -1), 'excerpt without the \\r');
    assert.equal(batch.problems[2].message, 'event must be a JSON object, got array');
    assert.match(batch.problems[0].message, /^not valid JSON: /);
    assert.equal(batch.problems[0].excerpt, '{"v":1,"type":"log",');
    assert.deepEqual(stats, {
      lines: 11,
      blank: 2,
      events: 5,
      unknown: 1,
      problems: { json: 1, schema: 2, utf8: 0, too_long: 0 },
    });
    assertBalanced(stats);
  });

  it('gives the same result for every split into two byte chunks (also inside é and 🚗)', () => {
    // Make sure the positions include splits inside multi-byte sequences.
    const firstEmoji = STREAM_BYTES.indexOf(0xf0);
    assert.ok(firstEmoji > 0 && STREAM_BYTES[firstEmoji + 1] >= 0x80);
    for (let k = 0; k <= STREAM_BYTES.length; k++) {
      const r = readAll([STREAM_BYTES.subarray(0, k), STREAM_BYTES.subarray(k)]);
      assert.deepEqual(r, whole, `split at byte ${k}`);
    }
  });

  it('gives the same result fed one byte at a time, and in three chunks at many positions', () => {
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < STREAM_BYTES.length; i++) bytes.push(STREAM_BYTES.subarray(i, i + 1));
    assert.deepEqual(readAll(bytes), whole);
    const n = STREAM_BYTES.length;
    for (let a = 0; a < n; a += 17) {
      for (let b = a; b < n; b += 29) {
        const r = readAll([STREAM_BYTES.subarray(0, a), STREAM_BYTES.subarray(a, b), STREAM_BYTES.subarray(b)]);
        assert.deepEqual(r, whole, `split at ${a}, ${b}`);
      }
    }
  });

  it('gives the same result for string chunks split anywhere (even between surrogate halves)', () => {
    assert.deepEqual(readAll([STREAM_TEXT]), whole);
    for (let k = 0; k <= STREAM_TEXT.length; k++) {
      assert.deepEqual(readAll([STREAM_TEXT.slice(0, k), STREAM_TEXT.slice(k)]), whole, `split at char ${k}`);
    }
    assert.deepEqual(readAll(Array.from(STREAM_TEXT)), whole);
  });

  it('accepts a stream that switches between strings and bytes mid-line', () => {
    for (let k = 0; k < STREAM_TEXT.length; k += 11) {
      const head = STREAM_TEXT.slice(0, k);
      const tail = enc.encode(STREAM_TEXT.slice(k));
      assert.deepEqual(readAll([head, tail.subarray(0, 5), tail.subarray(5)]), whole, `switch at ${k}`);
      const headBytes = enc.encode(head);
      assert.deepEqual(readAll([headBytes, STREAM_TEXT.slice(k)]), whole, `switch back at ${k}`);
    }
  });

  it('parseEventLines reads a whole text the same way', () => {
    assert.deepEqual(parseEventLines(STREAM_TEXT), whole.batch);
  });

  it('returns per-chunk batches: an event comes out with the chunk that completes its line', () => {
    const reader = new EventReader();
    const line = ev('log', { level: 'info', message: 'x' });
    assert.deepEqual(reader.push(line.slice(0, 10)).events, []);
    assert.equal(reader.bufferedBytes, 10);
    const done = reader.push(`${line.slice(10)}\n${line.slice(0, 3)}`);
    assert.equal(done.events.length, 1);
    assert.equal(reader.bufferedBytes, 3);
    assert.equal(reader.end().events.length, 0, 'a 3-character fragment is not an event');
    assert.deepEqual(reader.stats.problems.json, 1);
  });

  it('copies what it keeps: a caller may reuse its chunk buffer after push()', () => {
    const line = enc.encode(`${ev('log', { level: 'info', message: 'kept intact' })}\n`);
    const buffer = new Uint8Array(16);
    const reader = new EventReader();
    const events = [];
    for (let at = 0; at < line.length; at += buffer.length) {
      const part = line.subarray(at, at + buffer.length);
      buffer.set(part);
      events.push(...reader.push(buffer.subarray(0, part.length)).events);
      buffer.fill(0x21); // scribble over it, as a pooled stream buffer would be reused
    }
    assert.deepEqual(reader.stats.problems, { json: 0, schema: 0, utf8: 0, too_long: 0 });
    assert.equal(events[0].message, 'kept intact');
  });

  it('ends a stream whose last line has no newline, and reads nothing twice', () => {
    const reader = new EventReader();
    reader.push(enc.encode(`${ev('log', { level: 'info', message: 'a' })}\n${ev('log', { level: 'info', message: 'b' })}`));
    assert.equal(reader.stats.events, 1);
    assert.equal(reader.end().events[0].message, 'b');
    assert.deepEqual(reader.end(), { events: [], unknown: [], problems: [] });
    assert.equal(reader.stats.lines, 2);
  });
});

describe('EventReader: encodings and odd bytes', () => {
  const good = ev('log', { level: 'info', message: 'ok' });

  it('reports invalid UTF-8 as a utf8 problem for that line only, at every split position', () => {
    const bad = concat([enc.encode('{"v":1,"type":"log","message":"'), Uint8Array.of(0xff, 0xc0, 0xaf), enc.encode('"}')]);
    const stream = concat([enc.encode(`${good}\n`), bad, enc.encode(`\n${good}\n`)]);
    const whole = readAll([stream]);
    assert.equal(whole.batch.events.length, 2);
    assert.deepEqual(
      whole.batch.problems.map((p) => [p.line, p.kind, p.message]),
      [[2, 'utf8', 'line is not valid UTF-8; skipped']],
    );
    assert.match(whole.batch.problems[0].excerpt, /^\{"v":1,"type":"log","message":"\uFFFD/);
    assert.equal(whole.stats.problems.utf8, 1);
    assertBalanced(whole.stats);
    for (let k = 0; k <= stream.length; k++) {
      assert.deepEqual(readAll([stream.subarray(0, k), stream.subarray(k)]), whole, `split at ${k}`);
    }
  });

  it('reports a multi-byte character cut off at the end of the stream', () => {
    const stream = concat([enc.encode(`${good}\n{"message":"`), Uint8Array.of(0xe2, 0x82)]);
    const r = readAll([stream]);
    assert.deepEqual(
      r.batch.problems.map((p) => [p.line, p.kind]),
      [[2, 'utf8']],
    );
  });

  it('accepts a byte-order mark at the start of the stream only', () => {
    const withBom = concat([Uint8Array.of(0xef, 0xbb, 0xbf), enc.encode(`${good}\n\uFEFF${good}\n`)]);
    const r = readAll([withBom]);
    assert.equal(r.batch.events.length, 1);
    assert.deepEqual(
      r.batch.problems.map((p) => [p.line, p.kind]),
      [[2, 'json']],
    );
    assert.equal(readAll([`\uFEFF${good}`]).batch.events.length, 1);
  });

  it('treats \\r\\n and \\n alike, and a lone \\r inside a line as part of it', () => {
    const r = readAll([`${good}\r\n${good}\n\r\n${good}\r`]);
    assert.equal(r.batch.events.length, 3);
    assert.equal(r.stats.blank, 1);
    const broken = readAll([`${good.slice(0, 10)}\r${good.slice(10)}\n`]);
    assert.equal(broken.stats.events + broken.stats.problems.json, 1);
  });

  it('never throws on things that are not chunks', () => {
    const reader = new EventReader();
    assert.doesNotThrow(() => reader.push(undefined as unknown as string));
    assert.doesNotThrow(() => reader.push(42 as unknown as string));
    assert.doesNotThrow(() => reader.push(new Uint8Array(0)));
    assert.doesNotThrow(() => reader.push(''));
    assert.deepEqual(reader.end(), { events: [], unknown: [], problems: [] });
    assert.equal(reader.stats.lines, 0);
  });

  it('cuts excerpts to about 120 characters', () => {
    const long = `{"broken": "${'é'.repeat(500)}`;
    const r = readAll([`${long}\n`]);
    const p = r.batch.problems[0];
    assert.equal(p.kind, 'json');
    assert.ok(p.excerpt.length <= 121, String(p.excerpt.length));
    assert.ok(long.startsWith(p.excerpt.slice(0, -1)));
    const emoji = readAll([`${'🚗'.repeat(200)}\n`]).batch.problems[0].excerpt;
    assert.ok(emoji.length <= 121);
    assert.ok(!/[\uD800-\uDBFF]…?$/.test(emoji.slice(0, -1)), 'no lone high surrogate at the cut');
  });
});

describe('EventReader: line length limit', () => {
  const MiB = 1024 * 1024;
  const before = ev('log', { level: 'info', message: 'before' });
  const after = ev('log', { level: 'info', message: 'after' });

  function hugeLine(bytes: number): Uint8Array {
    const head = enc.encode('{"v":1,"type":"log","run":"r1","t":"' + T + '","level":"info","message":"');
    const line = new Uint8Array(bytes);
    line.fill(0x61); // 'a'
    line.set(head, 0);
    line[bytes - 2] = 0x22; // '"'
    line[bytes - 1] = 0x7d; // '}'
    return line;
  }

  const big = hugeLine(20 * 1024 * 1024);
  // Line 4 is broken JSON: its line number shows that the skipped line was counted.
  const stream = concat([enc.encode(`${before}\n`), big, enc.encode(`\n${after}\n{oops\n`)]);

  function checkResult(batch: ReadBatch, stats: ReaderStats): void {
    assert.deepEqual(
      batch.events.map((e) => e.message),
      ['before', 'after'],
    );
    assert.deepEqual(
      batch.problems.map((p) => [p.line, p.kind]),
      [
        [2, 'too_long'],
        [4, 'json'],
      ],
      'reported once',
    );
    const p = batch.problems[0];
    assert.equal(p.line, 2);
    assert.equal(p.kind, 'too_long');
    assert.equal(p.message, `line is longer than ${MiB} bytes (maxLineBytes); skipped`);
    assert.ok(p.excerpt.startsWith('{"v":1,"type":"log"'));
    assert.ok(p.excerpt.length <= 121);
    assert.equal(stats.lines, 4);
    assert.equal(stats.problems.too_long, 1);
    assertBalanced(stats);
  }

  it('skips a 20 MB line in 64 KiB chunks without holding it, then reads the next line', () => {
    const reader = new EventReader({ maxLineBytes: MiB });
    const batch: ReadBatch = { events: [], unknown: [], problems: [] };
    let peak = 0;
    const step = 64 * 1024;
    for (let at = 0; at < stream.length; at += step) {
      const b = reader.push(stream.subarray(at, at + step));
      batch.events.push(...b.events);
      batch.problems.push(...b.problems);
      peak = Math.max(peak, reader.bufferedBytes);
      assert.ok(reader.bufferedBytes <= MiB, `buffered ${reader.bufferedBytes} bytes at offset ${at}`);
    }
    batch.problems.push(...reader.end().problems);
    assert.ok(peak > MiB - step, 'the line was buffered up to the limit');
    checkResult(batch, reader.stats);
    assert.equal(reader.bufferedBytes, 0);
  });

  it('skips it when it comes in one chunk', () => {
    const r = readAll([stream], MiB);
    checkResult(r.batch, r.stats);
  });

  it('skips it in string input too', () => {
    const text = new TextDecoder().decode(stream);
    const reader = new EventReader({ maxLineBytes: MiB });
    const batch: ReadBatch = { events: [], unknown: [], problems: [] };
    for (let at = 0; at < text.length; at += 100_000) {
      const b = reader.push(text.slice(at, at + 100_000));
      batch.events.push(...b.events);
      batch.problems.push(...b.problems);
      assert.ok(reader.bufferedBytes <= MiB);
    }
    batch.problems.push(...reader.end().problems);
    checkResult(batch, reader.stats);
    const one = readAll([text], MiB);
    checkResult(one.batch, one.stats);
  });

  it('reports a too-long last line without newline once', () => {
    const r = readAll([concat([enc.encode(`${before}\n`), big.subarray(0, 3 * MiB)])], MiB);
    assert.deepEqual(
      r.batch.problems.map((p) => [p.line, p.kind]),
      [[2, 'too_long']],
    );
    assert.equal(r.stats.lines, 2);
  });

  it('accepts a line of exactly maxLineBytes and rejects one byte more, however it is split', () => {
    const line = ev('log', { level: 'info', message: 'x'.repeat(40) });
    const max = enc.encode(line).length;
    const stream2 = enc.encode(`${line}\r\n${line}\n`); // the first line is max + 1 bytes with its \r
    const whole = readAll([stream2], max);
    assert.deepEqual(
      whole.batch.problems.map((p) => [p.line, p.kind]),
      [[1, 'too_long']],
    );
    assert.equal(whole.batch.events.length, 1);
    for (let k = 0; k <= stream2.length; k++) {
      assert.deepEqual(readAll([stream2.subarray(0, k), stream2.subarray(k)], max), whole, `split at ${k}`);
    }
    assert.deepEqual(readAll([`${line}\r\n${line}\n`], max), whole);
    for (let k = 0; k <= line.length; k += 5) {
      assert.deepEqual(readAll([`${line}\r\n${line}`.slice(0, k), `${line}\r\n${line}\n`.slice(k)], max), whole);
    }
  });

  it('counts multi-byte characters in bytes, not characters, for string input', () => {
    const line = ev('log', { level: 'info', message: 'é'.repeat(50) });
    const bytes = enc.encode(line).length;
    assert.equal(readAll([`${line}\n`], bytes).stats.events, 1);
    assert.equal(readAll([`${line}\n`], bytes - 1).stats.problems.too_long, 1);
    assert.equal(readAll([line.slice(0, 30), `${line.slice(30)}\n`], bytes - 1).stats.problems.too_long, 1);
  });
});

describe('EventReader: fuzz', () => {
  const rng = mulberry32;

  const seeds = [
    ev('run_start', { task: 'ddd', exp_id: 'e', mode: 'eval', argv: [], opts: { a: 1 }, save_dir: 's', backend: 'cpu' }),
    ev('iter', { phase: 'val', epoch: 2, iter: 5, num_iters: 9, losses: { tot: 1, dep_sec: null } }),
    ev('epoch_end', { epoch: 2, train: { tot: 1 }, val: { tot: 2 }, time_min: 3 }),
    ev('eval', {
      epoch: 2,
      metrics: { mAP: 0.1, mATE: 1, mASE: 1, mAOE: 1, mAVE: 1, mAAE: 1, NDS: 0.1, per_class: { car: { AP: 1, ATE: 1, ASE: 1, AOE: 1, AVE: null, AAE: 1 } } },
    }),
    ev('log', { level: 'warning', message: 'éàü 🚗 radar' }),
    ev('checkpoint', { epoch: 1, path: 'p', kind: 'epoch' }),
    ev('custom_event', { x: [1, 2] }),
    ev('error', { error_type: null, message: 'boom' }),
  ];
  const seedBytes = seeds.map((s) => enc.encode(s));
  const noise = [0x7b, 0x7d, 0x22, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x20, 0x0d, 0x09, 0x5c, 0xff, 0xc3, 0xa9, 0xf0, 0x9f, 0x80, 0x00];

  function mutate(line: Uint8Array, r: () => number): Uint8Array {
    const bytes = Array.from(line);
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (bytes.length + 1));
      const op = Math.floor(r() * 6);
      if (op === 0) bytes.splice(at, 1);
      else if (op === 1) bytes.splice(at, 0, noise[Math.floor(r() * noise.length)]);
      else if (op === 2 && at < bytes.length) bytes[at] = noise[Math.floor(r() * noise.length)];
      else if (op === 3) bytes.length = Math.min(bytes.length, at);
      else if (op === 4) bytes.splice(at, Math.floor(r() * 8), ...Array.from(enc.encode(['null', '"s"', '-1', '1e999', '{}', '[]', 'NaN'][Math.floor(r() * 7)])));
      // op 5: leave the line alone
    }
    return Uint8Array.from(bytes.filter((b) => b !== 0x0a));
  }

  it('never throws on 2,000 mutated lines and accounts for every non-blank line', () => {
    const r = rng(20261125);
    const lines: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const roll = r();
      if (roll < 0.03) lines.push(enc.encode(roll < 0.015 ? '' : ' \t'));
      else lines.push(mutate(seedBytes[Math.floor(r() * seedBytes.length)], r));
    }
    const parts: Uint8Array[] = [];
    lines.forEach((l, i) => {
      parts.push(l);
      if (i < lines.length - 1) parts.push(Uint8Array.of(0x0a));
    });
    const stream = concat(parts);

    // An independent oracle per line.
    const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let nonBlank = 0;
    const expected = { events: 0, unknown: 0, json: 0, schema: 0, utf8: 0 };
    for (const l of lines) {
      if (lenient.decode(l).trim() === '') continue;
      nonBlank++;
      let text: string;
      try {
        text = strict.decode(l).replace(/\r$/, '');
      } catch {
        expected.utf8++;
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        expected.json++;
        continue;
      }
      const v = validateEvent(value);
      if (!v.ok) expected.schema++;
      else if (v.known) expected.events++;
      else expected.unknown++;
    }
    assert.ok(expected.events > 50 && expected.json > 50 && expected.schema > 20 && expected.utf8 > 20, JSON.stringify(expected));

    // Random chunk sizes, from 1 byte to 4 KiB.
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(r() * (r() < 0.5 ? 16 : 4096));
      chunks.push(stream.subarray(at, at + size));
      at += size;
    }
    let result: ReturnType<typeof readAll> | undefined;
    assert.doesNotThrow(() => {
      result = readAll(chunks);
    });
    assert.ok(result !== undefined);
    const { batch, stats } = result;
    assert.equal(batch.events.length + batch.unknown.length + batch.problems.length, nonBlank);
    assert.equal(stats.lines, lines.length);
    assert.deepEqual(
      { events: stats.events, unknown: stats.unknown, json: stats.problems.json, schema: stats.problems.schema, utf8: stats.problems.utf8 },
      expected,
    );
    assertBalanced(stats);
    for (const p of batch.problems) {
      assert.ok(p.line >= 1 && p.line <= lines.length);
      assert.ok(p.excerpt.length <= 121);
    }
    assert.deepEqual(readAll([stream]), result, 'the same whatever the chunking');
  });
});

describe('docs/protocol.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');

  it('has a worked example that reads without problems', () => {
    const m = /## Worked example[\s\S]*?```jsonl\n([\s\S]*?)```/.exec(doc);
    assert.ok(m, 'worked example block');
    const batch = parseEventLines(m[1]);
    assert.deepEqual(batch.problems, []);
    assert.equal(batch.unknown.length, 0);
    assert.ok(batch.events.length >= 10);
    assert.ok(doc.includes(`this stream gives ${batch.events.length} events`));
  });

  it('lists every event type in the table', () => {
    for (const type of EVENT_TYPES) assert.ok(doc.includes(`| \`${type}\` |`), type);
  });
});
