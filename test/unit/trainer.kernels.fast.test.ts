// The speed substitutions of the wasm training step: Sum / Mean over leading axes as a matrix
// product, the convolution input gradient with explicit padding (and the 1×1 case without a
// transposed MatMul), fused convolution + bias + ReLU in the model's layers, and batch
// normalisation with its hand-written gradient. Each is checked, value and gradients, against the
// pure-JavaScript cpu backend running tfjs's own composition, and for repeatability (same bits).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { tf } from '../../src/trainer/tf';
import { leadingAxes } from '../../src/trainer/backend/kernels/reduce';
import { batchNormTrain } from '../../src/trainer/model/batchnorm';
import { batchNorm, conv } from '../../src/trainer/model/layers';
import { values } from './lcgValues';
import { assertClose, on, prepareWasmAndCpu, valueAndGrads } from './gradCheck';


/** tfjs's own composition of training-mode batch normalisation (what batchNormTrain replaces). */
function composedBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

describe('fast training ops on wasm', () => {
  before(prepareWasmAndCpu);

  it('recognises leading-axis reductions only', () => {
    assert.equal(leadingAxes([0, 1, 2], 4), 3);
    assert.equal(leadingAxes([2, 0, 1], 4), 3);
    assert.equal(leadingAxes(0, 2), 1);
    assert.equal(leadingAxes([-4, -3], 4), 2);
    assert.equal(leadingAxes([0, 1, 2, 3], 4), 0, 'a full reduction stays with the backend');
    assert.equal(leadingAxes([1, 2], 4), 0);
    assert.equal(leadingAxes([0, 2], 4), 0);
    assert.equal(leadingAxes(undefined, 4), 0);
    assert.equal(leadingAxes([], 4), 0);
  });

  const reductions: Array<[string, number[], (x: tf.Tensor) => tf.Tensor]> = [
    ['sum over N,H,W', [3, 5, 7, 6], (x) => tf.sum(x, [0, 1, 2])],
    ['sum over N,H,W keepDims', [3, 5, 7, 6], (x) => tf.sum(x, [0, 1, 2], true)],
    ['mean over N,H,W', [3, 5, 7, 6], (x) => tf.mean(x, [0, 1, 2])],
    ['mean over axis 0 keepDims (negative axis)', [4, 9], (x) => tf.mean(x, -2, true)],
    ['sum over H,W (not leading: backend kernel)', [2, 5, 7, 3], (x) => tf.sum(x, [1, 2])],
    ['sum of everything', [2, 5, 7, 3], (x) => tf.sum(x)],
  ];
  for (const [name, shape, f] of reductions) {
    it(`${name}: value and gradient match cpu`, async () => {
      const cpu = await on('cpu', () => valueAndGrads([shape], 11, f));
      const wasm = await on('wasm', () => valueAndGrads([shape], 11, f));
      assertClose(wasm, cpu, name);
      const shapeOf = await on('wasm', () => tf.tidy(() => f(tf.ones(shape)).shape));
      const cpuShape = await on('cpu', () => tf.tidy(() => f(tf.ones(shape)).shape));
      assert.deepEqual(shapeOf, cpuShape, `${name}: output shape`);
    });
  }

  it('sums int32 tensors over leading axes exactly (backend kernel)', async () => {
    const got = await on('wasm', () => tf.tidy(() => Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0).dataSync())));
    assert.deepEqual(got, [9, 12]);
  });

  const convs: Array<[string, number[][], (x: tf.Tensor, w: tf.Tensor) => tf.Tensor]> = [
    ['conv2d 5x5 s1 same', [[2, 9, 8, 3], [5, 5, 3, 4]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')],
    ['conv2d 3x3 s2 same (odd)', [[2, 9, 7, 4], [3, 3, 4, 5]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')],
    ['conv2d 4x4 s1 same (asymmetric padding)', [[1, 7, 6, 2], [4, 4, 2, 3]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')],
    ['conv2d 1x1, in 7 out 3', [[2, 4, 5, 7], [1, 1, 7, 3]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')],
  ];
  for (const [name, shapes, f] of convs) {
    it(`${name}: value and gradients match cpu`, async () => {
      const cpu = await on('cpu', () => valueAndGrads(shapes, 23, f));
      const wasm = await on('wasm', () => valueAndGrads(shapes, 23, f));
      assertClose(wasm, cpu, name);
    });
  }

  for (const [activation, stride, k] of [['relu', 1, 3], ['relu', 2, 3], ['linear', 2, 3], ['relu', 1, 1]] as const) {
    it(`layers.conv ${k}x${k} s${stride} with bias and ${activation} (fused on wasm) matches cpu`, async () => {
      const shapes = [[2, 8, 9, 4], [k, k, 4, 6], [6]];
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => conv(x as tf.Tensor4D, w, b, stride, activation);
      const cpu = await on('cpu', () => valueAndGrads(shapes, 31, f));
      const wasm = await on('wasm', () => valueAndGrads(shapes, 31, f));
      assertClose(wasm, cpu, `conv ${activation}`);
    });
  }

  it('batchNormTrain: value and gradients equal the moments composition (cpu and wasm)', async () => {
    const shapes = [[3, 5, 6, 4], [4], [4]];
    const mine = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => batchNormTrain(x as tf.Tensor4D, g, b, 1e-5);
    const reference = await on('cpu', () => valueAndGrads(shapes, 41, composedBatchNorm));
    assertClose(await on('cpu', () => valueAndGrads(shapes, 41, mine)), reference, 'batchNormTrain on cpu');
    assertClose(await on('wasm', () => valueAndGrads(shapes, 41, mine)), reference, 'batchNormTrain on wasm');
  });

  it('batchNormTrain hands out the batch statistics and leaks nothing', async () => {
    await on('wasm', () => {
      const x = tf.tensor4d(values(2 * 3 * 4 * 2, 5), [2, 3, 4, 2]);
      const before = tf.memory().numTensors;
      let stats: number[][] = [];
      tf.tidy(() => {
        const { grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
          tf.sum(batchNormTrain(xs[0] as tf.Tensor4D, xs[1], xs[2], 1e-5, (m, v) => {
            stats = [Array.from(m.dataSync()), Array.from(v.dataSync())];
          })) as tf.Scalar,
        )([x, tf.ones([2]), tf.zeros([2])]);
        assert.equal(grads.length, 3);
      });
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
      const expected = tf.tidy(() => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return [Array.from(mean.dataSync()), Array.from(variance.dataSync())];
      });
      stats.forEach((row, r) => row.forEach((v, i) => assert.ok(Math.abs(v - expected[r][i]) < 1e-5, `stat ${r}[${i}]: ${v} vs ${expected[r][i]}`)));
      x.dispose();
    });
  });

  it("layers.batchNorm moves the running statistics by PyTorch's rule", async () => {
    await on('wasm', () => {
      const x = tf.tensor4d(values(2 * 3 * 4 * 2, 9), [2, 3, 4, 2]);
      const rm = tf.variable(tf.zeros([2]), false);
      const rv = tf.variable(tf.ones([2]), false);
      tf.tidy(() => batchNorm(x, tf.ones([2]), tf.zeros([2]), rm, rv, true));
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = 24;
      const m = mean.dataSync();
      const v = variance.dataSync();
      const gotM = rm.dataSync();
      const gotV = rv.dataSync();
      for (let c = 0; c < 2; c++) {
        assert.ok(Math.abs(gotM[c] - 0.1 * m[c]) < 1e-6, `running mean ${c}`);
        assert.ok(Math.abs(gotV[c] - (0.9 + 0.1 * v[c] * (n / (n - 1)))) < 1e-6, `running var ${c}`);
      }
      tf.dispose([x, rm, rv, mean, variance]);
    });
  });

  it('a training step of batchNormTrain + fused conv repeats to the same bits', async () => {
    const step = (): Float32Array[] =>
      valueAndGrads([[2, 8, 8, 3], [3, 3, 3, 5], [5], [5], [5]], 51, (x, w, b, g, be) =>
        batchNormTrain(conv(x as tf.Tensor4D, w, b, 1, 'relu'), g, be, 1e-5),
      );
    const a = await on('wasm', step);
    const b = await on('wasm', step);
    a.forEach((arr, k) => assert.deepEqual(Array.from(arr), Array.from(b[k]), `output ${k}`));
  });
});
