/**
 * The convolution gradients for the wasm backend, built from the backend's fast kernels
 * (XNNPACK's Conv2D and MatMul):
 * - Conv2DBackpropFilter, which the backend lacks: the transposed patch matrix of the input
 *   times dy (patches.ts), one GEMM; for patch matrices too large to hold (and other backends), one
 *   convolution of the input (batch and channels swapped) with dy as the filter;
 * - Conv2DBackpropInput (also the forward pass of conv2dTranspose), which the backend has as a
 *   plain loop: a 1×1 filter is dy · Wᵀ (Wᵀ transposed in JavaScript); a strided one on wasm is
 *   dy · Wᵀ added back onto the pixels each patch read (patches.ts foldPatches); otherwise a stride-1
 *   convolution of dy (zeros inserted between its pixels for stride > 1) with the filter rotated
 *   180° and its channel axes swapped, padded by the convolution itself (explicit padding: no
 *   PadV2 copy) so that the output is the input's size. Cases outside NHWC / dilation 1 /
 *   non-negative padding go to the backend's own kernel.
 * Both sum in a fixed order, so results are the same bits run after run.
 */
import * as tf from '@tensorflow/tfjs';
import { composed, input } from './tensors';
import { heapBackend } from './heap';
import { foldPatches, maxPatchValues, patchesT, patchValues, type PatchGeometry } from './patches';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface ConvAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

function convInfo(xShape: Shape4, filterShape: Shape4, a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

/**
 * dW of a convolution, [kh, kw, inC, outC], from NHWC input and dy:
 * dW[ky,kx,ci,co] = Σ_{n,oy,ox} xp[n, oy·s+ky, ox·s+kx, ci] · dy[n,oy,ox,co].
 * On wasm it is Pᵀ · dy with Pᵀ the transposed patch matrix written by JavaScript straight into
 * the wasm heap (patches.ts) and shared by convolutions of the same input. With the strided input
 * gradient below, the shared-data Identity and the heap column sums, the small network's step
 * (bench/train-net.ts, batch 4) went from 409-419 ms to 322-326 ms (2026-11, same machine,
 * interleaved runs); a head's filter gradient from 18 ms to 10 ms. Building the
 * patch matrix from wasm's Slice/Concat, or in a JavaScript array copied into the heap, measured
 * slower than the formulation below, and so did a depthwise convolution with one-hot filters.
 * Otherwise it is a valid convolution of the padded input with channels and batch swapped
 * ([inC, H, W, N]) by dy laid out as a filter ([outH, outW, N, outC]) dilated by the stride,
 * which XNNPACK runs as one GEMM with only the batch as its inner dimension per tap.
 */
export function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, a: ConvAttrs): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, a);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const p = info.padInfo;
  const geometry: PatchGeometry = { kh, kw, sh, sw, top: p.top, left: p.left, outH: oh, outW: ow };
  if (heapBackend() && x.dtype === 'float32' && patchValues(x.shape, geometry) <= maxPatchValues()) {
    // Pᵀ · dy: [kh·kw·inC, M] · [M, outC] is dW laid out as [kh, kw, inC, outC].
    const m = x.shape[0] * oh * ow;
    return tf.reshape(tf.matMul(patchesT(x, geometry), tf.reshape(dy, [m, filterShape[3]])), filterShape);
  }
  const [, h, w] = x.shape;
  // Exactly the rows and columns the windows read: padded before, cropped or padded after.
  const needH = (oh - 1) * sh + kh;
  const needW = (ow - 1) * sw + kw;
  const padBottom = needH - h - p.top;
  const padRight = needW - w - p.left;
  let xp: tf.Tensor4D = x;
  if (padBottom < 0 || padRight < 0) xp = tf.slice(xp, [0, 0, 0, 0], [-1, h + Math.min(0, padBottom), w + Math.min(0, padRight), -1]);
  const input = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  // The padding goes to the convolution (explicit padding), not through a PadV2 copy.
  const pad: tf.backend_util.ExplicitPadding = [[0, 0], [p.top, Math.max(0, padBottom)], [p.left, Math.max(0, padRight)], [0, 0]];
  const out = tf.conv2d(input, filter, 1, pad, 'NHWC', [sh, sw]); // [inC, kh, kw, outC]
  return tf.transpose(out, [1, 2, 0, 3]) as tf.Tensor4D;
}

/** dx of a convolution, NHWC [N, H, W, inC], from dy and the filter; undefined when not handled. */
export function inputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: Shape4, a: ConvAttrs): tf.Tensor4D | undefined {
  const info = convInfo(inputShape, filter.shape, a);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
  const p = info.padInfo;
  const outC = filter.shape[3];
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && p.top === 0 && p.left === 0 && oh === h && ow === w) {
    // dy · Wᵀ with Wᵀ transposed in JavaScript: wasm's MatMul with a transposed operand measured
    // 2–4× slower than without.
    const dx = tf.matMul(tf.reshape(dy, [-1, outC]), tf.reshape(rotateSwap(filter), [outC, filter.shape[2]]));
    return tf.reshape(dx, inputShape);
  }
  if ((sh > 1 || sw > 1) && heapBackend() && dy.dtype === 'float32' && patchValues(inputShape, { kh, kw, sh, sw, top: p.top, left: p.left, outH: oh, outW: ow }) <= maxPatchValues()) {
    // Strided: dy · Wᵀ gives each output pixel's gradient for its patch ([M, kh·kw·inC]), added
    // back onto the pixels the patch read (foldPatches); no multiplications by inserted zeros.
    const cols = tf.matMul(tf.reshape(dy, [-1, outC]), transposedFilter(filter));
    return foldPatches(cols as tf.Tensor2D, inputShape, { kh, kw, sh, sw, top: p.top, left: p.left, outH: oh, outW: ow });
  }
  // Zero-inserted dy has (oh-1)·sh+1 rows; pad it to h+kh-1 rows so a valid kh-row convolution gives h.
  const before = [kh - 1 - p.top, kw - 1 - p.left];
  const after = [h + kh - 1 - ((oh - 1) * sh + 1) - before[0], w + kw - 1 - ((ow - 1) * sw + 1) - before[1]];
  if (before[0] < 0 || before[1] < 0 || after[0] < 0 || after[1] < 0) return undefined;
  let z: tf.Tensor4D = dy;
  if (sh > 1 || sw > 1) {
    // [N, oh, 1, ow, 1, C] padded to [N, oh, sh, ow, sw, C] puts sh-1 / sw-1 zeros after every pixel.
    const n = dy.shape[0];
    const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, outC]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    z = tf.reshape(spread, [n, oh * sh, ow * sw, outC]);
    after[0] -= sh - 1; // the trailing zeros of the last pixel are already there
    after[1] -= sw - 1;
  }
  if (after[0] < 0 || after[1] < 0) {
    z = tf.slice(z, [0, 0, 0, 0], [-1, z.shape[1] + Math.min(0, after[0]), z.shape[2] + Math.min(0, after[1]), -1]);
    after[0] = Math.max(0, after[0]);
    after[1] = Math.max(0, after[1]);
  }
  // The padding goes to the convolution itself (explicit padding), not through a PadV2 copy.
  const pad: tf.backend_util.ExplicitPadding = [[0, 0], [before[0], after[0]], [before[1], after[1]], [0, 0]];
  return tf.conv2d(z, rotateSwap(filter), 1, pad);
}

/** The filter [kh, kw, in, out] as the matrix Wᵀ [out, kh·kw·in] (one JavaScript pass). */
export function transposedFilter(filter: tf.Tensor4D): tf.Tensor2D {
  const [kh, kw, cin, cout] = filter.shape;
  const rows = kh * kw * cin;
  const src = filter.dataSync();
  const dst = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) {
    for (let co = 0; co < cout; co++) dst[co * rows + r] = src[r * cout + co];
  }
  return tf.tensor2d(dst, [cout, rows]);
}

/**
 * The filter turned 180° in its two spatial axes with its channel axes swapped,
 * [kh, kw, in, out] -> [kh, kw, out, in], in one JavaScript pass over its values: wasm's Reverse
 * measured about half of a DLA-34 step and its Gather still a quarter, against a few
 * milliseconds for this copy.
 */
export function rotateSwap(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const taps = kh * kw;
  const src = filter.dataSync();
  const dst = new Float32Array(src.length);
  for (let t = 0; t < taps; t++) {
    const from = (taps - 1 - t) * cin * cout;
    const to = t * cout * cin;
    for (let ci = 0; ci < cin; ci++) {
      const row = from + ci * cout;
      for (let co = 0; co < cout; co++) dst[to + co * cin + ci] = src[row + co];
    }
  }
  return tf.tensor4d(dst, [kh, kw, cout, cin]);
}

const toNhwc = (t: tf.Tensor4D): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1]);
const toNchw = (t: tf.Tensor4D): tf.Tensor4D => tf.transpose(t, [0, 3, 1, 2]);
const nhwcShape = (s: Shape4, format: 'NHWC' | 'NCHW'): Shape4 => (format === 'NCHW' ? [s[0], s[2], s[3], s[1]] : s);

/** Registers both kernels for `backendName`, keeping the backend's own Conv2DBackpropInput as the fallback. */
export function registerConvGradients(backendName: string): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
      return composed([input(inputs, 'x', 'Conv2DBackpropFilter'), input(inputs, 'dy', 'Conv2DBackpropFilter')], (x, dy) => {
        const nchw = a.dataFormat === 'NCHW';
        const x4 = nchw ? toNhwc(x as tf.Tensor4D) : (x as tf.Tensor4D);
        const dy4 = nchw ? toNhwc(dy as tf.Tensor4D) : (dy as tf.Tensor4D);
        return filterGradient(x4, dy4, a.filterShape, a);
      });
    },
  });

  const own = tf.getKernel('Conv2DBackpropInput', backendName);
  if (own) tf.unregisterKernel('Conv2DBackpropInput', backendName);
  tf.registerKernel({
    ...own, // keeps the backend's setupFunc, which binds the wasm function the fallback calls
    kernelName: 'Conv2DBackpropInput',
    backendName,
    kernelFunc: (params) => {
      const a = params.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
      const dy = input(params.inputs, 'dy', 'Conv2DBackpropInput');
      const filter = input(params.inputs, 'filter', 'Conv2DBackpropInput');
      const dilations = (params.attrs as { dilations?: number | [number, number] }).dilations;
      const dilated = dilations !== undefined && (Array.isArray(dilations) ? dilations.some((d) => d !== 1) : dilations !== 1);
      const nchw = a.dataFormat === 'NCHW';
      const fast = dilated
        ? undefined
        : composed<tf.Tensor4D | undefined>([dy, filter], (d, f) => {
            const dy4 = nchw ? toNhwc(d as tf.Tensor4D) : (d as tf.Tensor4D);
            const dx = inputGradient(dy4, f as tf.Tensor4D, nhwcShape(a.inputShape, a.dataFormat), a);
            return dx && nchw ? toNchw(dx) : dx;
          });
      if (fast) return fast;
      if (!own) throw new Error(`Conv2DBackpropInput: no ${backendName} kernel for this case (dilation or negative padding)`);
      return own.kernelFunc(params);
    },
  });
}
