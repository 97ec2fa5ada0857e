/**
 * Batch normalisation in training mode (batch statistics over N, H, W of an NHWC tensor) as one
 * differentiable op with a hand-written gradient. Composed from tf.moments and broadcast ops,
 * tfjs's automatic gradient runs some thirty kernels per layer (each broadcast op's gradient
 * reduces and reshapes); this runs 6 full-size kernels forward and 8 backward:
 *
 *   forward:  xc = x - mean, var = mean(xc²), s = γ / sqrt(var + eps), y = xc·s + β
 *   backward: x̂ = xc / sqrt(var + eps), dβ = Σ dy, dγ = Σ dy·x̂,
 *             dx = dy·s - x̂·(s·dγ/P) - s·dβ/P            (P = N·H·W)
 *
 * Same values as the composition to float32 rounding; sums run in a fixed order (deterministic).
 */
import { tf } from '../tf';

/** The batch's mean and biased variance per channel, for the caller's running statistics. */
export type BatchStatsSink = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

const AXES = [0, 1, 2];

/**
 * y = (x - mean) / sqrt(var + eps) · gamma + beta with the batch's statistics. `onStats` is called
 * during the forward pass with the statistics (they are freed after it returns; it takes no
 * gradient, e.g. to move running averages).
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number, onStats?: BatchStatsSink): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(input, AXES) as tf.Tensor1D;
    const xc = tf.sub(input, mean) as tf.Tensor4D;
    const variance = tf.mean(tf.square(xc), AXES) as tf.Tensor1D;
    const inv = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
    const scale = tf.mul(inv, g) as tf.Tensor1D;
    if (onStats) onStats(mean, variance);
    save([xc, inv, scale]);
    return {
      value: tf.add(tf.mul(xc, scale), b) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sxc, sinv, sscale] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const count = sxc.shape[0] * sxc.shape[1] * sxc.shape[2];
        const xhat = tf.mul(sxc, sinv);
        const dBeta = tf.sum(dy, AXES) as tf.Tensor1D;
        const dGamma = tf.sum(tf.mul(dy, xhat), AXES) as tf.Tensor1D;
        const k1 = tf.mul(sscale, tf.div(dGamma, count));
        const k2 = tf.mul(sscale, tf.div(dBeta, count));
        const dx = tf.sub(tf.mul(dy, sscale), tf.add(tf.mul(xhat, k1), k2));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
