/**
 * Kernels that tfjs 4.22 has but computes wrongly (found by test/unit/trainer.backend.test.ts,
 * which compares wasm with cpu and, for the resize ops, with a basis-vector oracle), replaced by
 * plain JavaScript loops that follow the forward kernels' index rules:
 * - wasm MaxPoolGrad routes the gradient to the wrong element (and to the last of tied maxima;
 *   TensorFlow takes the first);
 * - wasm GatherV2 with batchDims > 0 returns rows of the wrong batch (forward values), so it is
 *   rewritten as a gather on the flattened batch;
 * - cpu ResizeBilinearGrad returns height and width swapped and cpu ResizeNearestNeighborGrad
 *   gives wrong values when the image is not square (wasm's own are right).
 * Each loop is O(output size · window) with a fixed summation order (deterministic).
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, composed, input } from './tensors';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** dx of a max pool: each dy goes to the first maximum of its window. */
export function maxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, filterSize: number | [number, number], strides: number | [number, number], pad: Pad, rounding?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, rounding);
  const [n, h, w, c] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xv = x.dataSync();
  const g = dy.dataSync();
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        for (let d = 0; d < c; d++) {
          let best = -Infinity;
          let at = -1;
          for (let iy = Math.max(0, y0); iy < Math.min(h, y0 + fh); iy++) {
            for (let ix = Math.max(0, x0); ix < Math.min(w, x0 + fw); ix++) {
              const i = ((b * h + iy) * w + ix) * c + d;
              if (xv[i] > best) {
                best = xv[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g[((b * oh + oy) * ow + ox) * c + d];
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

/** The source index rule of the resize kernels in one dimension. */
function ratio(oldSize: number, newSize: number, alignCorners: boolean): number {
  return alignCorners && newSize > 1 ? (oldSize - 1) / (newSize - 1) : oldSize / newSize;
}

export function resizeNearestGrad(images: tf.Tensor4D, dy: tf.Tensor4D, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [, nh, nw] = dy.shape;
  const rh = ratio(h, nh, alignCorners);
  const rw = ratio(w, nw, alignCorners);
  const source = (i: number, r: number, size: number): number => {
    const frac = halfPixelCenters ? r * (i + 0.5) : r * i;
    const s = Math.min(size - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, s) : s;
  };
  const g = dy.dataSync();
  const dx = new Float32Array(n * h * w * c);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < nh; y++) {
      const sy = source(y, rh, h);
      for (let x = 0; x < nw; x++) {
        const base = ((b * h + sy) * w + source(x, rw, w)) * c;
        for (let d = 0; d < c; d++) dx[base + d] += g[k++];
      }
    }
  }
  return tf.tensor4d(dx, images.shape);
}

export function resizeBilinearGrad(images: tf.Tensor4D, dy: tf.Tensor4D, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [, nh, nw] = dy.shape;
  const rh = ratio(h, nh, alignCorners);
  const rw = ratio(w, nw, alignCorners);
  /** floor index, ceil index and fraction, as the forward kernel computes them. */
  const taps = (i: number, r: number, size: number): [number, number, number] => {
    const frac = halfPixelCenters ? r * (i + 0.5) - 0.5 : r * i;
    const lo = Math.max(0, Math.floor(frac));
    return [lo, Math.min(size - 1, Math.ceil(frac)), frac - lo];
  };
  const cols = Array.from({ length: nw }, (_, x) => taps(x, rw, w));
  const g = dy.dataSync();
  const dx = new Float32Array(n * h * w * c);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < nh; y++) {
      const [y0, y1, fy] = taps(y, rh, h);
      const top = (b * h + y0) * w;
      const bot = (b * h + y1) * w;
      for (let x = 0; x < nw; x++) {
        const [x0, x1, fx] = cols[x];
        const tl = (top + x0) * c;
        const tr = (top + x1) * c;
        const bl = (bot + x0) * c;
        const br = (bot + x1) * c;
        for (let d = 0; d < c; d++) {
          const v = g[k++];
          const vTop = v * (1 - fy);
          const vBot = v * fy;
          dx[tl + d] += vTop * (1 - fx);
          dx[tr + d] += vTop * fx;
          dx[bl + d] += vBot * (1 - fx);
          dx[br + d] += vBot * fx;
        }
      }
    }
  }
  return tf.tensor4d(dx, images.shape);
}

/** gather(x, indices, axis = batchDims, batchDims) as a gather on the flattened batch. */
export function batchedGather(x: tf.Tensor, indices: tf.Tensor, batchDims: number): tf.Tensor {
  const batchShape = x.shape.slice(0, batchDims);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const along = x.shape[batchDims];
  const rest = x.shape.slice(batchDims + 1);
  const idxShape = indices.shape.slice(batchDims);
  const perBatch = idxShape.reduce((p, d) => p * d, 1);
  const flatX = tf.reshape(x, [batch * along, ...rest]);
  const offsets = tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(along, 'int32')).reshape([batch, 1]);
  const flatIdx = tf.reshape(tf.add(tf.reshape(indices, [batch, perBatch]), offsets), [-1]);
  return tf.reshape(tf.gather(flatX, flatIdx, 0), [...batchShape, ...idxShape, ...rest]);
}

/** Replaces `config`'s kernel (keeping nothing of the old one). */
function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** A kernel computed by `f` on the named inputs as tensors. */
function jsKernel(backendName: string, names: string[], kernelName: string, f: (ts: tf.Tensor[], attrs: tf.NamedAttrMap) => tf.Tensor): void {
  replace({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const infos = names.map((nm) => input(inputs, nm, kernelName));
      const ts = infos.map(asTensor);
      try {
        return f(ts, attrs ?? {});
      } finally {
        ts.forEach((t, i) => {
          if (t !== infos[i]) t.dispose();
        });
      }
    },
  });
}

/** The resize gradients for the cpu backend. */
export function registerResizeGradFixes(backendName: string): void {
  jsKernel(backendName, ['images', 'dy'], 'ResizeNearestNeighborGrad', ([im, dy], a) => resizeNearestGrad(im as tf.Tensor4D, dy as tf.Tensor4D, !!a.alignCorners, !!a.halfPixelCenters));
  jsKernel(backendName, ['images', 'dy'], 'ResizeBilinearGrad', ([im, dy], a) => resizeBilinearGrad(im as tf.Tensor4D, dy as tf.Tensor4D, !!a.alignCorners, !!a.halfPixelCenters));
}

/** MaxPoolGrad and batched GatherV2 for the wasm backend. */
export function registerPoolGatherFixes(backendName: string): void {
  jsKernel(backendName, ['dy', 'input'], 'MaxPoolGrad', ([dy, x], a) =>
    maxPoolGrad(dy as tf.Tensor4D, x as tf.Tensor4D, a.filterSize as [number, number], a.strides as [number, number], a.pad as Pad, a.dimRoundingMode as 'floor' | undefined),
  );

  const ownGather = tf.getKernel('GatherV2', backendName);
  if (ownGather) {
    replace({
      ...ownGather, // keeps the backend's setupFunc (it binds the wasm function the fallback calls)
      kernelFunc: (params) => {
        const { axis, batchDims } = params.attrs as { axis: number; batchDims: number };
        if (!batchDims) return ownGather.kernelFunc(params);
        const x = input(params.inputs, 'x', 'GatherV2');
        const indices = input(params.inputs, 'indices', 'GatherV2');
        const rank = x.shape.length;
        const ax = axis < 0 ? axis + rank : axis;
        const bd = batchDims < 0 ? batchDims + indices.shape.length : batchDims;
        if (ax !== bd) return ownGather.kernelFunc(params); // only axis == batchDims is rewritten
        return composed([x, indices], (xt, it) => batchedGather(xt, it, bd));
      },
    });
  }
}
