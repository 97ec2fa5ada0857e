/**
 * The building blocks of the networks, written with standard tfjs ops so that they run on every
 * backend: convolutions (tf.fused.conv2d, SAME padding, bias and ReLU fused), batch
 * normalisation with a hand-written gradient (./batchnorm.ts) and PyTorch's running statistics,
 * max pooling, nearest-neighbour up-sampling, and a registry that names every parameter
 * (CenterNet's module names) and draws its initial value from a seeded generator.
 *
 * One exception for speed: on tfjs's pure-JavaScript 'cpu' backend, whose own convolution
 * gradient kernels cost seconds per step, convolutions go through the patch-matrix path of
 * ops.ts (same numbers to float32 rounding, same determinism). Every other backend gets
 * tf.fused.conv2d.
 */
import { tf } from '../tf';
import { Rng } from '../prng';
import { conv1x1 as patchConv1x1, convPatches, im2col } from './ops';
import { batchNormTrain } from './batchnorm';

/** How a parameter starts: He-uniform, PyTorch's default conv range, zero, one, the hm prior, the depth prior. */
export type InitKind = 'he' | 'torch' | 'zero' | 'one' | 'prior' | 'depth';

export interface ParamDef {
  name: string;
  shape: number[];
  fanIn: number;
  init: InitKind;
  /** Buffers (batch-norm running statistics) are stored in checkpoints but not trained. */
  trainable: boolean;
}

export interface ConvLayer {
  weight: string;
  bias: string | null;
  kernel: number;
  stride: number;
}

export interface BatchNormLayer {
  weight: string;
  bias: string;
  runningMean: string;
  runningVar: string;
}

/** PyTorch's BatchNorm2d defaults. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Collects parameter definitions while a network plans its layers (pure: no tensors). */
export class ParamPlan {
  readonly defs: ParamDef[] = [];
  private readonly names = new Set<string>();

  private add(def: ParamDef): void {
    if (this.names.has(def.name)) throw new Error(`internal: parameter ${def.name} defined twice`);
    this.names.add(def.name);
    this.defs.push(def);
  }

  /** A k×k convolution [k, k, in, out] with an optional bias. */
  conv(prefix: string, kernel: number, cin: number, cout: number, stride: number, init: InitKind, biasInit: InitKind | null): ConvLayer {
    const fanIn = kernel * kernel * cin;
    this.add({ name: `${prefix}.weight`, shape: [kernel, kernel, cin, cout], fanIn, init, trainable: true });
    if (biasInit !== null) this.add({ name: `${prefix}.bias`, shape: [cout], fanIn, init: biasInit, trainable: true });
    return { weight: `${prefix}.weight`, bias: biasInit !== null ? `${prefix}.bias` : null, kernel, stride };
  }

  /** BatchNorm2d: weight 1, bias 0, running mean 0, running var 1. */
  batchNorm(prefix: string, channels: number): BatchNormLayer {
    this.add({ name: `${prefix}.weight`, shape: [channels], fanIn: channels, init: 'one', trainable: true });
    this.add({ name: `${prefix}.bias`, shape: [channels], fanIn: channels, init: 'zero', trainable: true });
    this.add({ name: `${prefix}.running_mean`, shape: [channels], fanIn: channels, init: 'zero', trainable: false });
    this.add({ name: `${prefix}.running_var`, shape: [channels], fanIn: channels, init: 'one', trainable: false });
    return { weight: `${prefix}.weight`, bias: `${prefix}.bias`, runningMean: `${prefix}.running_mean`, runningVar: `${prefix}.running_var` };
  }
}

/** Initial values of one parameter, drawn from `rng` (PyTorch-like fan-in uniform ranges). */
export function initialValues(def: ParamDef, rng: Rng, priorBias: number, depthBias = 0): Float32Array {
  const size = def.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (def.init === 'zero') return values;
  if (def.init === 'one') return values.fill(1);
  if (def.init === 'prior') return values.fill(priorBias);
  if (def.init === 'depth') return values.fill(depthBias);
  // 'he': uniform with variance 2/fan_in (ReLU gain); 'torch': PyTorch's default conv init,
  // uniform in ±1/sqrt(fan_in).
  const bound = def.init === 'he' ? Math.sqrt(6 / def.fanIn) : 1 / Math.sqrt(def.fanIn);
  for (let i = 0; i < size; i++) values[i] = (rng.next() * 2 - 1) * bound;
  return values;
}

/** The variables of a plan, in definition order: all of them, and the trainable ones. */
export interface ParamSet {
  state: Map<string, tf.Variable>;
  params: Map<string, tf.Variable>;
}

export function createParams(defs: readonly ParamDef[], rng: Rng, priorBias: number, depthBias = 0): ParamSet {
  const state = new Map<string, tf.Variable>();
  const params = new Map<string, tf.Variable>();
  for (const def of defs) {
    const value = tf.tensor(initialValues(def, rng, priorBias, depthBias), def.shape, 'float32');
    // Variable names must be unique in the tfjs engine; two networks may coexist (tests).
    const v = tf.variable(value, def.trainable);
    value.dispose();
    state.set(def.name, v);
    if (def.trainable) params.set(def.name, v);
  }
  return { state, params };
}

/** True where convolutions should go through the patch-matrix path (tfjs's 'cpu' backend). */
export function usePatchConvolutions(): boolean {
  return tf.getBackend() === 'cpu';
}

/** SAME-padded convolution (NHWC, filter [k, k, in, out]) with an optional bias, then the activation. */
export function conv(x: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor | null, stride: number, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  const kernel = weight.shape[0];
  if (usePatchConvolutions()) {
    const zero = bias ?? tf.zeros([weight.shape[weight.shape.length - 1]]);
    const y = kernel === 1 && stride === 1 ? patchConv1x1(x, weight, zero) : convPatches(im2col(x, kernel, stride), weight, zero);
    return activation === 'relu' ? (tf.relu(y) as tf.Tensor4D) : y;
  }
  if (activation === 'relu') return convRelu(x, weight as tf.Tensor4D, bias, stride);
  // Without a bias, the plain op: its gradient computes dx only when something upstream needs it
  // (tf.fused.conv2d's computes both, and the first layer's dx, the image's, is never used).
  if (!bias) return tf.conv2d(x, weight as tf.Tensor4D, stride, 'same');
  // One fused kernel (convolution + bias) forward; its gradient is the same kernels as the
  // separate ops' (Conv2DBackpropInput / Filter, a sum over N, H, W for the bias).
  return tf.fused.conv2d({ x, filter: weight as tf.Tensor4D, strides: stride, pad: 'same', bias: bias ?? undefined });
}

/**
 * relu(conv(x, w) + b) as the backend's one FusedConv2D kernel, with its gradient written out:
 * tfjs's own tf.fused.conv2d falls back to three separate ops whenever a gradient is being
 * recorded and the activation is not linear. Backward: g = dy · [y > 0], then the convolution's
 * input and filter gradients of g and Σ g over N, H, W for the bias. Backends without FusedConv2D
 * get the separate ops.
 */
export function convRelu(x: tf.Tensor4D, weight: tf.Tensor4D, bias: tf.Tensor | null, stride: number): tf.Tensor4D {
  if (!tf.getKernel('FusedConv2D', tf.getBackend())) {
    const y = tf.conv2d(x, weight, stride, 'same');
    return tf.relu(bias ? tf.add(y, bias) : y) as tf.Tensor4D;
  }
  const convAttrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as const;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [input, filter, b] = args.slice(0, -1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor | undefined];
    const inputs: tf.NamedTensorMap = b ? { x: input, filter, bias: b } : { x: input, filter };
    const y = tf.engine().runKernel('FusedConv2D', inputs, { ...convAttrs, activation: 'relu' } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([input, filter, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const g = tf.mul(dy, tf.step(sy)) as tf.Tensor4D;
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter: sw }, { ...convAttrs, inputShape: sx.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: g }, { ...convAttrs, filterShape: sw.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return b ? [dx, dw, tf.sum(g, [0, 1, 2])] : [dx, dw];
      },
    };
  });
  return (bias ? op(x, weight, bias) : op(x, weight)) as tf.Tensor4D;
}

/**
 * Batch normalisation over N, H, W. Training: the batch's mean and (biased) variance normalise,
 * and the running statistics move by BN_MOMENTUM toward the batch's mean and unbiased variance
 * (PyTorch's rule). Evaluation: the running statistics normalise.
 */
export function batchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  runningMean: tf.Variable,
  runningVar: tf.Variable,
  training: boolean,
): tf.Tensor4D {
  if (!training) {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(runningVar, BN_EPS)));
    return tf.add(tf.mul(tf.sub(x, runningMean), scale), beta) as tf.Tensor4D;
  }
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  return batchNormTrain(x, gamma, beta, BN_EPS, (mean, variance) => {
    tf.tidy(() => {
      // assign() is not recorded on the gradient tape: the running statistics take no gradient.
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      runningMean.assign(tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      runningVar.assign(tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    });
  });
}

/** Max pooling, SAME padding (output ceil(size / stride), as the strided convolutions give). */
export function maxPool(x: tf.Tensor4D, size: number, stride: number): tf.Tensor4D {
  return tf.maxPool(x, size, stride, 'same');
}

/**
 * Nearest-neighbour up-sampling by an integer factor, cropped to [height, width] (the finer
 * level's size, which SAME-padded strides may make odd). Broadcasting a multiply keeps the op
 * and its gradient (a sum) standard on every backend.
 */
export function upsample(x: tf.Tensor4D, factor: number, height: number, width: number): tf.Tensor4D {
  if (factor === 1) return x;
  const [b, h, w, c] = x.shape;
  const ones = tf.ones([1, 1, factor, 1, factor, 1]);
  let y = tf.mul(x.reshape([b, h, 1, w, 1, c]), ones).reshape([b, h * factor, w * factor, c]) as tf.Tensor4D;
  if (h * factor !== height || w * factor !== width) y = tf.slice(y, [0, 0, 0, 0], [b, height, width, c]);
  return y;
}
