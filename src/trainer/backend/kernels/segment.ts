/**
 * UnsortedSegmentSum (the gradient of gather, e.g. of the losses' gather of head outputs at the
 * object centres) for backends that lack it: one pass in JavaScript over the rows, adding each
 * into its segment. O(rows · row length), exact and in a fixed order; a one-hot matrix product
 * would cost rows · segments · row length (segments = every output pixel for the losses' gathers).
 * Segment ids outside [0, numSegments) are dropped, as TensorFlow drops negative ones.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, input } from './tensors';

export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new Error(`UnsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`);
  const ids = segmentIds.dataSync();
  const rows = ids.length;
  const rest = x.shape.slice(segmentIds.rank);
  const inner = rows === 0 ? rest.reduce((p, d) => p * d, 1) : x.size / rows;
  const values = x.dataSync();
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let i = 0; i < inner; i++) out[dst + i] += values[src + i];
  }
  return tf.tensor(out, [numSegments, ...rest], x.dtype === 'int32' ? 'int32' : 'float32');
}

export function registerSegmentSum(backendName: string): void {
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const xInfo = input(inputs, 'x', 'UnsortedSegmentSum');
      const idsInfo = input(inputs, 'segmentIds', 'UnsortedSegmentSum');
      const x = asTensor(xInfo);
      const ids = asTensor(idsInfo);
      try {
        return unsortedSegmentSum(x, ids, (attrs as { numSegments: number }).numSegments);
      } finally {
        if (x !== xInfo) x.dispose();
        if (ids !== idsInfo) ids.dispose();
      }
    },
  });
}
