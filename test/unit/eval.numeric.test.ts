/**
 * The float64 primitives that must reproduce numpy / Python bit for bit. Expected values were
 * produced by numpy 2.4 and CPython 3.11 and are pinned here as literals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { interp, linspace, RECALL_GRID, pyFloatRepr, pyFormatFixed } from '../../src/shared/eval';
import { cumulativeMean, npMean, npNanMean, npSum, pyMod, pyRound } from '../../src/shared/eval/numeric';
import { angleDiff, quaternionYaw } from '../../src/shared/eval/geometry';
import { visitingOrder } from '../../src/shared/eval/evaluate';

describe('eval numeric: numpy.linspace(0, 1, 101)', () => {
  it('is i * 0.01 with an exact 1.0 at the end, not i / 100', () => {
    const differ = [];
    for (let i = 0; i <= 100; i++) if (RECALL_GRID[i] !== i / 100) differ.push(i);
    assert.deepEqual(differ, [35, 41, 47, 57, 69, 70, 82, 83, 94, 95]);
    assert.equal(RECALL_GRID[35], 0.35000000000000003);
    assert.equal(RECALL_GRID[100], 1);
    assert.equal(RECALL_GRID.length, 101);
  });

  it('handles other ranges like numpy', () => {
    assert.deepEqual(Array.from(linspace(2, 3, 5)), [2, 2.25, 2.5, 2.75, 3]);
    assert.deepEqual(Array.from(linspace(5, 5, 1)), [5]);
  });
});

describe('eval numeric: numpy.interp', () => {
  it('takes the last of repeated xs, the first y below and `right` above', () => {
    // numpy: np.interp([0,0.25,0.5,0.75,1,1.5], [0.25,0.5,0.5,1], [3,2,7,5], right=0)
    const r = interp([0, 0.25, 0.5, 0.75, 1, 1.5], [0.25, 0.5, 0.5, 1], [3, 2, 7, 5], undefined, 0);
    assert.deepEqual(Array.from(r), [3, 3, 7, 6, 5, 0]);
  });

  it('defaults left/right to the end values and handles one point', () => {
    assert.deepEqual(Array.from(interp([-1, 2], [0, 1], [3, 4])), [3, 4]);
    assert.deepEqual(Array.from(interp([0.5, 1, 2], [1], [2], 9, 8)), [9, 2, 8]);
    assert.ok(Number.isNaN(interp([NaN], [0, 1], [0, 1])[0]));
  });
});

describe('eval numeric: numpy reductions', () => {
  it('sums pairwise like numpy, not left to right', () => {
    // np.sum([0.1]*10) == 1.0 while sum([0.1]*10) == 0.9999999999999999.
    assert.equal(npSum(new Array<number>(10).fill(0.1)), 1.0);
    const a = Array.from({ length: 20 }, (_, k) => 0.1 * (k + 1) + 1e-3 * (k + 1) * (k + 1));
    assert.equal(npSum(a), 23.869999999999997);
    const b = Array.from({ length: 300 }, (_, k) => 1 / (k + 1));
    assert.equal(npSum(b), 6.282663880299504);
  });

  it('computes mean and nanmean', () => {
    assert.equal(npMean([0.3, 0.1, 0.2, 0.7]), 0.325);
    assert.equal(npNanMean([0.5, NaN, 0.25, NaN, 1.0]), 0.5833333333333334);
    assert.ok(Number.isNaN(npMean([])));
  });

  it('runs a NaN-aware cumulative mean, all-NaN giving ones', () => {
    assert.deepEqual(Array.from(cumulativeMean([NaN, 2, NaN, 4])), [0, 2, 2, 3]);
    assert.deepEqual(Array.from(cumulativeMean([NaN, NaN])), [1, 1]);
  });
});

describe('eval numeric: Python arithmetic', () => {
  it('has a floored modulo', () => {
    assert.equal(pyMod(-7.5, 2), 0.5);
    assert.equal(pyMod(7.5, -2), -0.5);
    assert.ok(Object.is(pyMod(-0, 2), 0));
  });

  it('rounds halves to even', () => {
    assert.equal(pyRound(2.5), 2);
    assert.equal(pyRound(3.5), 4);
    assert.equal(pyRound(100 * 0.1), 10);
  });

  it('writes floats as repr does', () => {
    const cases: [number, string][] = [
      [0, '0.0'],
      [-0, '-0.0'],
      [1, '1.0'],
      [0.5, '0.5'],
      [0.35000000000000003, '0.35000000000000003'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [1e-5, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [0.0001, '0.0001'],
      [123456789012345678, '1.2345678901234568e+17'],
      [1e300, '1e+300'],
      [-2.5, '-2.5'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ];
    for (const [x, s] of cases) assert.equal(pyFloatRepr(x), s, String(x));
  });

  it("formats '%.Nf' with ties to even and nan", () => {
    assert.equal(pyFormatFixed(0.125, 2), '0.12');
    assert.equal(pyFormatFixed(0.375, 2), '0.38');
    assert.equal(pyFormatFixed(0.03125, 4), '0.0312');
    assert.equal(pyFormatFixed(2.0625, 3), '2.062');
    assert.equal(pyFormatFixed(0.25, 1), '0.2');
    assert.equal(pyFormatFixed(0.33204, 4), '0.3320');
    assert.equal(pyFormatFixed(-0, 4), '-0.0000');
    assert.equal(pyFormatFixed(1e-5, 4), '0.0000');
    assert.equal(pyFormatFixed(NaN, 3), 'nan');
    assert.equal(pyFormatFixed(Infinity, 3), 'inf');
  });
});

describe('eval numeric: geometry', () => {
  it('reads yaw from [w, x, y, z]', () => {
    assert.ok(Math.abs(quaternionYaw([Math.cos(0.35), 0, 0, Math.sin(0.35)]) - 0.7) < 1e-15);
    assert.equal(quaternionYaw([1, 0, 0, 0]), 0);
    assert.ok(Math.abs(quaternionYaw([0, 0, 0, 1]) - Math.PI) < 1e-15);
  });

  it('wraps angle differences to (-π, π] or (-π/2, π/2]', () => {
    assert.ok(Math.abs(angleDiff(0.1, 2 * Math.PI - 0.1, 2 * Math.PI) - 0.2) < 1e-12);
    assert.ok(Math.abs(angleDiff(0, Math.PI, Math.PI)) < 1e-15);
    assert.ok(Math.abs(angleDiff(3, -3, 2 * Math.PI) - (6 - 2 * Math.PI)) < 1e-12);
  });
});

describe('eval numeric: prediction order', () => {
  it('is descending score, equal scores by descending index, like sorted((s, i))[::-1]', () => {
    const scores = [0.5, 0.9, 0.5, -0, 0.9, 0.1, 0, 0.5];
    // Python: [i for (v, i) in sorted((v, i) for (i, v) in enumerate(scores))][::-1]
    assert.deepEqual(Array.from(visitingOrder(Float64Array.from(scores))), [4, 1, 7, 2, 0, 5, 6, 3]);
    assert.deepEqual(Array.from(visitingOrder(new Float64Array(0))), []);
  });

  it('agrees with a reference sort on random input with many ties', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const scores = Float64Array.from({ length: 5000 }, () => Math.floor(next() * 20) / 20);
    const expected = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || a - b).reverse();
    assert.deepEqual(Array.from(visitingOrder(scores)), expected);
  });
});
