/**
 * Shared by the wasm kernel tests: value and input gradients of a loss on the current backend,
 * compared between backends with a tolerance scaled to the expected values, a backend switch, and
 * the setup both backends need.
 */
import assert from 'node:assert/strict';

import { tf } from '../../src/trainer/tf';
import { prepareWasm } from '../../src/trainer/backend/wasm';
import { registerTrainingKernels } from '../../src/trainer/backend/kernels';
import { values } from './lcgValues';

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Value and input gradients of sum(f(xs) · r) for inputs and r drawn from `seed`. */
export function valueAndGrads(shapes: number[][], seed: number, f: (...xs: tf.Tensor[]) => tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const inputs = shapes.map((s, i) => tf.tensor(values(size(s), seed + i), s));
    const loss = (...xs: tf.Tensor[]): tf.Scalar => {
      const y = f(...xs);
      return tf.sum(tf.mul(y, tf.tensor(values(y.size, seed + 99), y.shape))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(loss)(inputs);
    return [value.dataSync() as Float32Array, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

/** Every element within 1e-4 of the largest expected magnitude (at least 1). */
export function assertClose(actual: Float32Array[], expected: Float32Array[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: count`);
  actual.forEach((a, k) => {
    const e = expected[k];
    assert.equal(a.length, e.length, `${what}[${k}]: length`);
    let scale = 1;
    for (const v of e) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < e.length; i++) {
      assert.ok(Math.abs(a[i] - e[i]) <= 1e-4 * scale, `${what} output ${k} [${i}]: ${a[i]} vs ${e[i]} (scale ${scale})`);
    }
  });
}

/** Runs f on backend `name` (set first). */
export async function on<T>(name: string, f: () => T): Promise<T> {
  assert.ok(await tf.setBackend(name), `backend ${name} did not initialise`);
  return f();
}

/** Makes the wasm backend loadable and registers the trainer's kernels on wasm and cpu. */
export async function prepareWasmAndCpu(): Promise<void> {
  assert.ok(prepareWasm(), 'the .wasm binaries are found');
  await import('@tensorflow/tfjs-backend-wasm');
  registerTrainingKernels('wasm');
  registerTrainingKernels('cpu');
}
