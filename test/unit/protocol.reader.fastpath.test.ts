// The reader's fast path for byte regions (one JSON.parse of the region's lines joined into an
// array) must give exactly what reading line by line gives: the same events, unknown events,
// problems (line numbers, kinds, messages, excerpts) and counters, for well-formed regions and
// for every kind of region it has to hand back to the line-by-line path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { readAll } from './readAll';

const enc = new TextEncoder();
const T = '2026-11-25T21:30:00.123Z';

function ev(type: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, type, run: 'r1', t: T, ...fields });
}

function iter(i: number): string {
  return ev('iter', { phase: 'train', epoch: 1, iter: i, num_iters: 100, losses: { tot: 1.5, hm: 0.5 } });
}

/** The reference: each line pushed as its own string (always the line-by-line path). */
function lineByLine(lines: readonly string[]): ReturnType<typeof readAll> {
  return readAll(lines.map((l) => `${l}\n`));
}

/** The fast path: the whole stream as one byte chunk, and again in odd-sized byte chunks. */
function assertSameAsLineByLine(lines: readonly string[]): void {
  const expected = lineByLine(lines);
  const bytes = enc.encode(lines.map((l) => `${l}\n`).join(''));
  assert.deepEqual(readAll([bytes]), expected, 'one chunk');
  const chunks: Uint8Array[] = [];
  for (let i = 0, size = 7; i < bytes.length; i += size, size = (size * 5) % 97 + 1) chunks.push(bytes.subarray(i, i + size));
  assert.deepEqual(readAll(chunks), expected, 'odd chunks');
}

describe('EventReader fast path (byte regions)', () => {
  it('reads well-formed lines as the line-by-line path does', () => {
    const lines = [ev('run_start', { task: 'ddd', exp_id: 'x', mode: 'train', argv: [], opts: {}, save_dir: 'exp', backend: 'cpu' })];
    for (let i = 0; i < 50; i++) lines.push(iter(i));
    lines.push(ev('epoch_end', { epoch: 1, train: { tot: 1 }, val: null, time_min: 1 }), ev('future_type', { x: 1 }));
    const r = readAll([enc.encode(lines.map((l) => `${l}\n`).join(''))]);
    assert.equal(r.batch.events.length, 52);
    assert.equal(r.batch.unknown.length, 1);
    assertSameAsLineByLine(lines);
  });

  it('reports schema errors inside a well-formed region with their own line numbers and excerpts', () => {
    const lines = [iter(0), ev('iter', { phase: 'train', epoch: 0, iter: 1, num_iters: 2, losses: {} }), iter(2), `${ev('epoch_end', { epoch: 1 })}\r`, iter(3)];
    const r = readAll([enc.encode(lines.map((l) => `${l}\n`).join(''))]);
    assert.deepEqual(
      r.batch.problems.map((p) => [p.line, p.kind]),
      [
        [2, 'schema'],
        [4, 'schema'],
      ],
    );
    assert.ok(!r.batch.problems[1].excerpt.endsWith('\r'), 'the CR of a CRLF line is not in the excerpt');
    assertSameAsLineByLine(lines);
  });

  it('hands back regions whose lines are not one object each', () => {
    const cases: string[][] = [
      // two objects on one line, and one object spread over two lines: as many values as lines
      [iter(0), '{"x":[1', '2]}', `${iter(1)},${iter(2)}`, iter(3)],
      // a string that spans lines, with the count made up by a second object on a line
      [iter(0), '{"m":"x}', '{y"}', `${iter(1)} , ${iter(2)}`],
      // not objects
      [iter(0), '1', iter(1)],
      [iter(0), '[1, 2]', iter(1)],
      [iter(0), '"text"', 'null', 'true'],
      // blank and whitespace lines, a BOM, broken JSON
      [iter(0), '', iter(1), '   ', iter(2)],
      [`\ufeff${iter(0)}`, iter(1)],
      [iter(0), `\ufeff${iter(1)}`],
      [iter(0), '{"v":1,', iter(1)],
      [iter(0), '\f', iter(1)],
      ['', ''],
    ];
    for (const lines of cases) assertSameAsLineByLine(lines);
  });

  it('matches the line-by-line path on random mixtures of good and bad lines', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const kinds = [
      () => iter(Math.floor(rand() * 100)),
      () => ev('epoch_end', { epoch: 1 + Math.floor(rand() * 3), train: { tot: rand() }, val: rand() < 0.5 ? null : { tot: 1 }, time_min: 2 }),
      () => ev('log', { level: 'info', message: 'a},{b' }),
      () => ev('weird', { n: 1 }),
      () => '',
      () => '{"x":',
      () => '[]',
      () => `${iter(1)}, ${iter(2)}`,
      () => ev('iter', { phase: 'nope' }),
      () => '  {"v":1}  ',
    ];
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rand() * 12);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        // Mostly good lines, so that many regions take the fast path.
        const k = rand() < 0.7 ? Math.floor(rand() * 2) : Math.floor(rand() * kinds.length);
        lines.push(kinds[k]());
      }
      assertSameAsLineByLine(lines);
    }
  });
});
