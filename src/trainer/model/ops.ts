/**
 * Convolutions for the built-in network, as patch matrices times weight matrices ("im2col").
 * The cpu backend's own conv2d gradient kernels are slow at these sizes (its filter gradient
 * alone costs seconds per step), while its matrix product is reasonably fast; so patches are
 * gathered in plain JavaScript (forward) and scattered back (gradient), and everything else is
 * matMul, whose gradients are matMuls too. One patch matrix can feed several convolutions (every
 * head's first layer reads the same features). Same numbers as tf.conv2d with SAME padding, to
 * float32 rounding, and just as deterministic.
 */
import { tf } from '../tf';

/** TensorFlow's SAME padding in one dimension: output size and padding before the input. */
export function samePadding(inSize: number, kernel: number, stride: number): { out: number; before: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

/** Patches of a SAME-padded k×k convolution: [batch·outH·outW, k·k·channels] plus their layout. */
export interface Patches {
  cols: tf.Tensor2D;
  batch: number;
  outH: number;
  outW: number;
}

/**
 * Gathers the k×k patches of an NHWC tensor (column order ky, kx, channel — the row order of a
 * [k, k, in, out] filter reshaped to [k·k·in, out]). Differentiable: the gradient adds every
 * patch entry back onto the pixel it came from.
 */
export function im2col(x: tf.Tensor4D, kernel: number, stride: number): Patches {
  const [batch, height, width, channels] = x.shape;
  const ph = samePadding(height, kernel, stride);
  const pw = samePadding(width, kernel, stride);
  const outH = ph.out;
  const outW = pw.out;
  const k = kernel * kernel * channels;
  const rows = batch * outH * outW;

  /** Visits every (row, column) <-> (pixel) pair of the patch matrix. */
  const walk = (visit: (colBase: number, srcBase: number) => void): void => {
    let row = 0;
    for (let b = 0; b < batch; b++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const base = row * k;
          for (let ky = 0; ky < kernel; ky++) {
            const iy = oy * stride + ky - ph.before;
            if (iy < 0 || iy >= height) continue;
            for (let kx = 0; kx < kernel; kx++) {
              const ix = ox * stride + kx - pw.before;
              if (ix < 0 || ix >= width) continue;
              visit(base + (ky * kernel + kx) * channels, ((b * height + iy) * width + ix) * channels);
            }
          }
          row++;
        }
      }
    }
  };

  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor4D;
    const xv = input.dataSync();
    const cols = new Float32Array(rows * k);
    walk((dst, src) => {
      for (let c = 0; c < channels; c++) cols[dst + c] = xv[src + c];
    });
    return {
      value: tf.tensor2d(cols, [rows, k]),
      gradFunc: (dy: tf.Tensor2D) => {
        const g = dy.dataSync();
        const dx = new Float32Array(batch * height * width * channels);
        walk((src, dst) => {
          for (let c = 0; c < channels; c++) dx[dst + c] += g[src + c];
        });
        return tf.tensor4d(dx, [batch, height, width, channels]);
      },
    };
  });
  return { cols: op(x) as tf.Tensor2D, batch, outH, outW };
}

/**
 * a·b for [m, k]·[k, n] matrices. The forward product is a plain row-times-matrix loop, which
 * for the narrow matrices of this network (n of 2 to 16) runs about twice as fast as the cpu
 * backend's general blocked kernel; the gradients use tf.matMul.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor2D;
    const w = args[1] as tf.Tensor2D;
    (args[2] as tf.GradSaveFunc)([x, w]);
    const [m, k] = x.shape;
    const n = w.shape[1];
    const av = x.dataSync();
    const bv = w.dataSync();
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      const row = i * k;
      const o = i * n;
      for (let j = 0; j < k; j++) {
        const v = av[row + j];
        if (v === 0) continue;
        const bj = j * n;
        for (let c = 0; c < n; c++) out[o + c] += v * bv[bj + c];
      }
    }
    return {
      value: tf.tensor2d(out, [m, n]),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, sw, false, true), tf.matMul(sx, dy, true, false)];
      },
    };
  });
  return op(a, b) as tf.Tensor2D;
}

/** Convolution from patches: [k, k, in, out] weights and [out] bias -> NHWC output. */
export function convPatches(p: Patches, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const out = weight.shape[weight.shape.length - 1];
  const w = weight.reshape([-1, out]) as tf.Tensor2D;
  return tf.add(matMul(p.cols, w), bias).reshape([p.batch, p.outH, p.outW, out]) as tf.Tensor4D;
}

/** SAME-padded k×k convolution with bias (NHWC). */
export function conv2d(x: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor, stride: number): tf.Tensor4D {
  const kernel = weight.shape[0];
  if (kernel === 1 && stride === 1) return conv1x1(x, weight, bias);
  return convPatches(im2col(x, kernel, stride), weight, bias);
}

/** A 1×1 convolution with bias as a matrix product. */
export function conv1x1(x: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const out = weight.shape[weight.shape.length - 1];
  return tf.add(matMul(x.reshape([b * h * w, c]) as tf.Tensor2D, weight.reshape([c, out]) as tf.Tensor2D), bias).reshape([b, h, w, out]) as tf.Tensor4D;
}

