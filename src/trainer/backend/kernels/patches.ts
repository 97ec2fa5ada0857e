/**
 * The patch matrix of a convolution ("im2col"), transposed: row (ky·kw + kx)·C + c, column
 * m = (n·outH + oy)·outW + ox holds the input value that tap (ky, kx) of channel c sees at output
 * pixel (n, oy, ox), zero where the tap falls in the padding:
 *
 *   Pᵀ[(ky·kw + kx)·C + c, m] = x[n, oy·sh + ky - top, ox·sw + kx - left, c]
 *
 * With it a filter gradient is one matrix product, dW[kh·kw·C, outC] = Pᵀ · dy[M, outC], which
 * XNNPACK runs at the speed of a forward convolution (the convolution formulation of the filter
 * gradient has only the batch as its inner dimension per tap and ran at half that speed).
 * Built by a JavaScript loop straight into the wasm heap; rows are written in order.
 *
 * Convolutions that share their input (CenterNet's heads all read the backbone's output) share
 * the matrix: the last one built is kept until the current synchronous task ends, so the
 * backward pass of one training step builds it once.
 */
import * as tf from '@tensorflow/tfjs';
import { heapTensor } from './heap';

export interface PatchGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  outH: number;
  outW: number;
}

/** Patch matrices larger than this many values (64 MiB) are not built: the caller falls back. */
export const MAX_PATCH_VALUES = 16 * 1024 * 1024;
let maxValues = MAX_PATCH_VALUES;
/** The limit in force (tests lower it to reach the fallback with small tensors). */
export function maxPatchValues(): number {
  return maxValues;
}
export function setMaxPatchValues(n: number): void {
  maxValues = n;
}

let built = 0;
/** How many patch matrices have been built so far (tests: the shared one is built once). */
export function patchMatricesBuilt(): number {
  return built;
}

export function patchValues(xShape: readonly number[], g: PatchGeometry): number {
  return g.kh * g.kw * xShape[3] * xShape[0] * g.outH * g.outW;
}

/** Fills `out` ([kh·kw·C, N·outH·outW]) from the NHWC values `x` of shape [n, h, w, c]. */
export function fillPatchesT(out: Float32Array, x: Float32Array, [n, h, w, c]: readonly number[], g: PatchGeometry): void {
  built++;
  const { kh, kw, sh, sw, top, left, outH, outW } = g;
  const m = n * outH * outW;
  const stride = sw * c;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const tapRow = (ky * kw + kx) * c;
      // Output columns whose tap lands inside the image: 0 <= ox·sw + kx - left < w.
      const ox0 = Math.min(outW, Math.max(0, Math.ceil((left - kx) / sw)));
      const ox1 = Math.max(ox0, Math.min(outW, Math.floor((w - 1 + left - kx) / sw) + 1));
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < outH; oy++) {
          const m0 = (b * outH + oy) * outW;
          const iy = oy * sh + ky - top;
          if (iy < 0 || iy >= h) {
            for (let ch = 0; ch < c; ch++) {
              const o = (tapRow + ch) * m + m0;
              out.fill(0, o, o + outW);
            }
            continue;
          }
          const first = ((b * h + iy) * w + ox0 * sw + kx - left) * c;
          for (let ch = 0; ch < c; ch++) {
            const o = (tapRow + ch) * m + m0;
            if (ox0 > 0) out.fill(0, o, o + ox0);
            let src = first + ch;
            for (let ox = ox0; ox < ox1; ox++, src += stride) out[o + ox] = x[src];
            if (ox1 < outW) out.fill(0, o + ox1, o + outW);
          }
        }
      }
    }
  }
}

interface Cached {
  dataId: object;
  key: string;
  patches: tf.Tensor2D;
}
let cached: Cached | undefined;

function release(): void {
  cached?.patches.dispose();
  cached = undefined;
}

/**
 * Pᵀ for NHWC `x` on the wasm backend, [kh·kw·C, N·outH·outW]. For filters larger than 1×1 the
 * same tensor again (kept: the caller must not dispose it, its tf.tidy leaves it alone) while `x`'s
 * data and the geometry repeat within one synchronous task.
 */
export function patchesT(x: tf.Tensor4D, g: PatchGeometry): tf.Tensor2D {
  if (g.kh * g.kw === 1) {
    // A 1×1 filter's patch matrix is xᵀ: cheap to build, and not shared (CenterNet's 1×1 output
    // convolutions each read their own head's hidden layer), so it does not displace the cache.
    return heapTensor([x.shape[3], x.shape[0] * g.outH * g.outW], [x], (out, xv) => fillPatchesT(out, xv, x.shape, g)) as tf.Tensor2D;
  }
  const key = `${g.kh},${g.kw},${g.sh},${g.sw},${g.top},${g.left},${g.outH},${g.outW}`;
  if (cached && cached.dataId === x.dataId && cached.key === key) return cached.patches;
  const wasEmpty = cached === undefined;
  release();
  const shape = [g.kh * g.kw * x.shape[3], x.shape[0] * g.outH * g.outW];
  const patches = tf.keep(heapTensor(shape, [x], (out, xv) => fillPatchesT(out, xv, x.shape, g))) as tf.Tensor2D;
  cached = { dataId: x.dataId, key, patches };
  // Freed once the current step's synchronous backward pass is over.
  if (wasEmpty) queueMicrotask(release);
  return patches;
}

/**
 * The transpose of the patch gather ("col2im"): adds each row of `cols` ([N·outH·outW, kh·kw·C],
 * the gradient with respect to the patch matrix, dy · Wᵀ) back onto the input pixels its taps
 * read. `out` ([n, h, w, c], NHWC) must be zeroed. Sums in a fixed order (output pixel, then tap).
 */
export function addPatches(out: Float32Array, cols: Float32Array, [n, h, w, c]: readonly number[], g: PatchGeometry): void {
  const { kh, kw, sh, sw, top, left, outH, outW } = g;
  const rowLen = kh * kw * c;
  let src = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, src += rowLen) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx - left;
            if (ix < 0 || ix >= w) continue;
            const from = src + (ky * kw + kx) * c;
            const to = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) out[to + ch] += cols[from + ch];
          }
        }
      }
    }
  }
}

/** dx [n, h, w, c] of a convolution from cols = dy · Wᵀ ([N·outH·outW, kh·kw·C]), on wasm. */
export function foldPatches(cols: tf.Tensor2D, inputShape: readonly number[], g: PatchGeometry): tf.Tensor4D {
  return heapTensor([...inputShape], [cols], (out, cv) => {
    out.fill(0);
    addPatches(out, cv, inputShape, g);
  }) as tf.Tensor4D;
}
