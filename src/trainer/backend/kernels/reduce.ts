/**
 * Sum and Mean over the leading axes (e.g. [0, 1, 2] of an NHWC tensor: a bias's gradient, batch
 * statistics) for the wasm backend. Its own kernels reduce only innermost axes, so they first
 * transpose the whole tensor (wasm's Transpose is slow: it was most of the cost of every bias
 * gradient). Here the columns are summed by one JavaScript loop over x where it lies in the wasm
 * heap (float64 accumulators): a fresh [65536, 16] tensor measured 1.7 ms against 4.6 ms for the
 * matrix product ones[1, P] · x[P, C] used before (XNNPACK packs all of x as its weights on every
 * call), [4096, 64] 0.48 against 0.87 ms. Other reductions, and int32 inputs, go to the backend's
 * own kernel. Both sum in a fixed order, so results are the same bits run after run.
 */
import * as tf from '@tensorflow/tfjs';
import { composed, input } from './tensors';
import { heapBackend, heapF32 } from './heap';

/** The number of leading axes `axes` covers when it is exactly 0..k-1 with k < rank, else 0. */
export function leadingAxes(axis: number | number[] | undefined, rank: number): number {
  if (axis === undefined) return 0;
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  const sorted = [...new Set(list)].sort((p, q) => p - q);
  if (sorted.length === 0 || sorted.length >= rank) return 0;
  return sorted.every((a, i) => a === i) ? sorted.length : 0;
}

/** Column sums of a row-major [rows, cols] array, accumulated in float64 row by row. */
export function columnSums(v: Float32Array, cols: number): Float64Array {
  const sum = new Float64Array(cols);
  for (let i = 0; i < v.length; i += cols) {
    for (let c = 0; c < cols; c++) sum[c] += v[i + c];
  }
  return sum;
}

/**
 * Σ (or the mean) of x over its first k axes; keepDims keeps them as 1s. On wasm one loop over
 * x where it lies in the wasm heap; elsewhere the matrix product ones[1, P] · x[P, C].
 */
export function sumLeading(x: tf.Tensor, k: number, keepDims: boolean, mean: boolean): tf.Tensor {
  const lead = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((p, d) => p * d, 1);
  const shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
  const be = heapBackend();
  if (be && x.dtype === 'float32') {
    const sums = columnSums(heapF32(be, x), cols);
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = mean ? sums[c] / lead : sums[c];
    return tf.tensor(out, shape, 'float32');
  }
  let s: tf.Tensor = tf.matMul(tf.ones([1, lead]), tf.reshape(x, [lead, cols]));
  if (mean) s = tf.div(s, tf.scalar(lead));
  return tf.reshape(s, shape);
}

function replaceReduction(kernelName: 'Sum' | 'Mean', backendName: string): void {
  const own = tf.getKernel(kernelName, backendName);
  if (!own) return;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    ...own, // keeps the backend's setupFunc (it binds the wasm function the fallback calls)
    kernelFunc: (params) => {
      const x = input(params.inputs, 'x', kernelName);
      const { axis, keepDims } = params.attrs as { axis?: number | number[]; keepDims?: boolean };
      const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : 0;
      if (k === 0) return own.kernelFunc(params);
      return composed([x], (t) => sumLeading(t, k, !!keepDims, kernelName === 'Mean'));
    },
  });
}

export function registerLeadingReductions(backendName: string): void {
  replaceReduction('Sum', backendName);
  replaceReduction('Mean', backendName);
}
