// The wasm convolution gradients built on patch matrices (src/trainer/backend/kernels/patches.ts):
// the patch gather against a direct reading of its definition, its fold as the exact adjoint (dot
// product test), filter and strided input gradients against the cpu backend, the matrix shared by
// convolutions of one input (built once, freed when the task ends), the fallback above the size
// limit, and the shared-data Identity that makes the sharing possible.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { tf } from '../../src/trainer/tf';
import { addPatches, fillPatchesT, MAX_PATCH_VALUES, patchMatricesBuilt, setMaxPatchValues, type PatchGeometry } from '../../src/trainer/backend/kernels/patches';
import { values } from './lcgValues';
import { assertClose, on, prepareWasmAndCpu, valueAndGrads } from './gradCheck';

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** The geometry tfjs computes for a convolution of `xShape` by a k×k filter. */
function geometry(xShape: number[], k: number, stride: number, pad: 'same' | 'valid' | number): PatchGeometry {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], [k, k, xShape[3], 1], stride, 1, pad, undefined, false, 'channelsLast');
  return { kh: k, kw: k, sh: stride, sw: stride, top: info.padInfo.top, left: info.padInfo.left, outH: info.outHeight, outW: info.outWidth };
}

/** Pᵀ by its definition, one element at a time. */
function referencePatchesT(x: Float32Array, [n, h, w, c]: number[], g: PatchGeometry): Float32Array {
  const m = n * g.outH * g.outW;
  const out = new Float32Array(g.kh * g.kw * c * m);
  for (let ky = 0; ky < g.kh; ky++)
    for (let kx = 0; kx < g.kw; kx++)
      for (let ch = 0; ch < c; ch++)
        for (let b = 0; b < n; b++)
          for (let oy = 0; oy < g.outH; oy++)
            for (let ox = 0; ox < g.outW; ox++) {
              const iy = oy * g.sh + ky - g.top;
              const ix = ox * g.sw + kx - g.left;
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              out[((ky * g.kw + kx) * c + ch) * m + (b * g.outH + oy) * g.outW + ox] = inside ? x[((b * h + iy) * w + ix) * c + ch] : 0;
            }
  return out;
}

const GEOMETRIES: Array<[string, number[], number, number, 'same' | 'valid' | number]> = [
  ['3x3 s1 same', [2, 5, 6, 3], 3, 1, 'same'],
  ['3x3 s2 same, even size', [2, 8, 6, 2], 3, 2, 'same'],
  ['3x3 s2 same, odd size', [1, 7, 9, 4], 3, 2, 'same'],
  ['3x3 s2 valid', [2, 9, 10, 3], 3, 2, 'valid'],
  ['7x7 s2 explicit 3', [1, 11, 12, 3], 7, 2, 3],
  ['1x1 s1', [2, 4, 5, 6], 1, 1, 'valid'],
  ['1x1 s2', [2, 6, 7, 5], 1, 2, 'same'],
  ['4x4 s1 same (asymmetric padding)', [1, 7, 6, 2], 4, 1, 'same'],
];

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('patch matrices (pure loops)', () => {
  for (const [name, shape, k, stride, pad] of GEOMETRIES) {
    it(`${name}: Pᵀ equals its definition`, () => {
      const g = geometry(shape, k, stride, pad);
      const x = values(size(shape), 3);
      const out = new Float32Array(k * k * shape[3] * shape[0] * g.outH * g.outW).fill(NaN); // every element must be written
      fillPatchesT(out, x, shape, g);
      assert.deepEqual(Array.from(out), Array.from(referencePatchesT(x, shape, g)));
    });

    it(`${name}: the fold is the adjoint of the gather (<P x, C> = <x, fold C>)`, () => {
      const g = geometry(shape, k, stride, pad);
      const m = shape[0] * g.outH * g.outW;
      const cols = k * k * shape[3];
      const x = values(size(shape), 5);
      const pT = new Float32Array(cols * m);
      fillPatchesT(pT, x, shape, g);
      const c = values(m * cols, 7); // [M, kh·kw·C], the layout addPatches reads
      let lhs = 0;
      for (let r = 0; r < cols; r++) for (let j = 0; j < m; j++) lhs += pT[r * m + j] * c[j * cols + r];
      const folded = new Float32Array(size(shape));
      addPatches(folded, c, shape, g);
      let rhs = 0;
      for (let i = 0; i < x.length; i++) rhs += x[i] * folded[i];
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
    });
  }
});

describe('convolution gradients through patch matrices on wasm', () => {
  before(prepareWasmAndCpu);
  after(() => setMaxPatchValues(MAX_PATCH_VALUES));

  for (const [name, shape, k, stride, pad] of GEOMETRIES) {
    it(`${name}: value, input and filter gradients match cpu`, async () => {
      const shapes = [shape, [k, k, shape[3], 4]];
      const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      const cpu = await on('cpu', () => valueAndGrads(shapes, 61, f));
      const built = patchMatricesBuilt();
      const wasm = await on('wasm', () => valueAndGrads(shapes, 61, f));
      assert.ok(patchMatricesBuilt() > built, 'the wasm filter gradient went through a patch matrix');
      assertClose(wasm, cpu, name);
    });
  }

  it('heads that read one input build its patch matrix once and free it when the task ends', async () => {
    // Three 3x3 heads and a 1x1 head on one feature map, as CenterNet's heads on the backbone.
    const shapes = [[2, 6, 7, 5], [3, 3, 5, 4], [3, 3, 5, 3], [3, 3, 5, 2], [1, 1, 5, 2]];
    const f = (x: tf.Tensor, ...ws: tf.Tensor[]): tf.Tensor => {
      const features = tf.relu(x) as tf.Tensor4D;
      return tf.concat(ws.map((w) => tf.conv2d(features, w as tf.Tensor4D, 1, 'same')), 3);
    };
    const cpu = await on('cpu', () => valueAndGrads(shapes, 71, f));
    await on('wasm', () => undefined);
    await tick();
    const tensors = tf.memory().numTensors;
    const built = patchMatricesBuilt();
    const wasm = valueAndGrads(shapes, 71, f);
    assert.equal(patchMatricesBuilt() - built, 2, 'one shared 3x3 matrix for the three 3x3 heads, one for the 1x1 head');
    assertClose(wasm, cpu, 'heads');
    assert.equal(tf.memory().numTensors, tensors + 1, 'the shared matrix lives until the task ends');
    await tick();
    assert.equal(tf.memory().numTensors, tensors, 'and is freed then');
  });

  it('above the size limit the gradients take the convolution formulation, with the same values', async () => {
    const shapes = [[2, 9, 7, 4], [3, 3, 4, 5]];
    const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same');
    const cpu = await on('cpu', () => valueAndGrads(shapes, 81, f));
    setMaxPatchValues(10);
    try {
      const built = patchMatricesBuilt();
      const wasm = await on('wasm', () => valueAndGrads(shapes, 81, f));
      assert.equal(patchMatricesBuilt(), built, 'no patch matrix above the limit');
      assertClose(wasm, cpu, 'fallback');
    } finally {
      setMaxPatchValues(MAX_PATCH_VALUES);
    }
  });

  it('a training step through the patch paths repeats to the same bits', async () => {
    const step = (): Float32Array[] =>
      valueAndGrads([[2, 8, 8, 3], [3, 3, 3, 6], [3, 3, 6, 4]], 91, (x, w1, w2) =>
        tf.conv2d(tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same')) as tf.Tensor4D, w2 as tf.Tensor4D, 1, 'same'),
      );
    const a = await on('wasm', step);
    await tick();
    const b = await on('wasm', step);
    a.forEach((arr, k) => assert.deepEqual(Array.from(arr), Array.from(b[k]), `output ${k}`));
  });

  it('clone() shares the data on wasm, and each reference frees it once', async () => {
    await on('wasm', async () => {
      await tick();
      const before = tf.memory();
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const y = x.clone();
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const ids = backend.numDataIds();
      assert.equal(y.dataId, x.dataId, 'same data, no copy');
      assert.equal(tf.memory().numDataBuffers, before.numDataBuffers + 1, 'the values are held once');
      x.dispose();
      assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4], 'the clone still reads them');
      assert.equal(backend.numDataIds(), ids, 'still allocated while the clone lives');
      y.dispose();
      assert.equal(backend.numDataIds(), ids - 1, 'freed with the last reference');
      assert.equal(tf.memory().numTensors, before.numTensors);
      assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    });
  });
});
