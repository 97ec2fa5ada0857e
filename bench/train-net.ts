/**
 * A small CenterNet-style network and its losses in plain tfjs ops, the same network that
 * bench/torch_train.py builds in PyTorch (so the two can be timed against each other), used by
 * bench/train.ts and by test/unit/trainer.backend.test.ts (repeatability, leaks).
 *
 * Backbone: a 3×3 stride-1 convolution, then one 3×3 stride-2 convolution per further entry of
 * `channels`, each followed by batch normalisation (batch statistics; the trainer's batchNormTrain)
 * and ReLU. Heads (CenterNet's): 3×3 conv to `headConv` channels + ReLU + 1×1 conv. Losses:
 * CenterNet's focal loss on the sigmoid heatmap, masked L1 on the other heads gathered at the
 * object centres.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../src/trainer/model/batchnorm';
import { convRelu } from '../src/trainer/model/layers';

export interface NetConfig {
  inChannels: number;
  height: number;
  width: number;
  batch: number;
  /** Backbone widths: the first layer keeps the resolution, every further one halves it. */
  channels: number[];
  heads: Record<string, number>;
  headConv: number;
  /** Objects per image (gathered regression targets). */
  objects: number;
}

/** The measured configuration: 6×128×128 input (RGB + radar channels), 7 ddd heads. */
export const SMALL_NET: NetConfig = {
  inChannels: 6,
  height: 128,
  width: 128,
  batch: 4,
  channels: [16, 32, 64],
  heads: { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2 },
  headConv: 64,
  objects: 16,
};

export function outputSize(cfg: NetConfig): [number, number] {
  let h = cfg.height;
  let w = cfg.width;
  for (let i = 1; i < cfg.channels.length; i++) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return [h, w];
}

/** A seeded stream in [0, 1) (LCG): the bench and its tests never use tfjs's global RNG. */
export function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Conv {
  w: tf.Variable;
  b?: tf.Variable;
  stride: number;
}

export interface BenchNet {
  params: tf.Variable[];
  forward(images: tf.Tensor4D): Record<string, tf.Tensor4D>;
  dispose(): void;
}

export function createBenchNet(cfg: NetConfig, seed: number): BenchNet {
  const rnd = lcg(seed);
  const params: tf.Variable[] = [];
  const variable = (shape: number[], fill: (fanIn: number) => number, fanIn: number): tf.Variable => {
    const n = shape.reduce((p, d) => p * d, 1);
    const v = tf.tidy(() => tf.variable(tf.tensor(Float32Array.from({ length: n }, () => fill(fanIn)), shape)));
    params.push(v);
    return v;
  };
  const heUniform = (fanIn: number): number => (rnd() * 2 - 1) * Math.sqrt(6 / fanIn);
  const conv = (k: number, cin: number, cout: number, stride: number, bias: boolean, biasValue = 0): Conv => ({
    w: variable([k, k, cin, cout], heUniform, k * k * cin),
    b: bias ? variable([cout], () => biasValue, 1) : undefined,
    stride,
  });
  const backbone: { conv: Conv; gamma: tf.Variable; beta: tf.Variable }[] = [];
  let cin = cfg.inChannels;
  cfg.channels.forEach((c, i) => {
    backbone.push({ conv: conv(3, cin, c, i === 0 ? 1 : 2, false), gamma: variable([c], () => 1, 1), beta: variable([c], () => 0, 1) });
    cin = c;
  });
  const heads = Object.entries(cfg.heads).map(([name, out]) => ({
    name,
    hidden: conv(3, cin, cfg.headConv, 1, true),
    out: conv(1, cfg.headConv, out, 1, true, name === 'hm' ? -4.6 : 0),
  }));

  // As the trainer's own layers (src/trainer/model/layers.ts): fused convolution + bias + ReLU
  // forward, batch normalisation with its hand-written gradient, the plain op without a bias.
  const apply = (x: tf.Tensor4D, c: Conv, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D =>
    activation === 'relu'
      ? convRelu(x, c.w as tf.Tensor4D, c.b ?? null, c.stride)
      : c.b
        ? tf.fused.conv2d({ x, filter: c.w as tf.Tensor4D, strides: c.stride, pad: 'same', bias: c.b })
        : tf.conv2d(x, c.w as tf.Tensor4D, c.stride, 'same');
  return {
    params,
    forward(images) {
      let x = images;
      for (const layer of backbone) {
        x = tf.relu(batchNormTrain(apply(x, layer.conv), layer.gamma, layer.beta, 1e-5)) as tf.Tensor4D;
      }
      const out: Record<string, tf.Tensor4D> = {};
      for (const h of heads) out[h.name] = apply(apply(x, h.hidden, 'relu'), h.out);
      return out;
    },
    dispose() {
      for (const p of params) p.dispose();
    },
  };
}

export interface BenchBatch {
  images: tf.Tensor4D;
  /** Heatmap target [B, oh, ow, classes] with exact 1s at the object centres. */
  hm: tf.Tensor4D;
  /** Flat centre indices into [B·oh·ow] (int32), [B·objects]. */
  ind: tf.Tensor1D;
  mask: tf.Tensor2D;
  /** Per regression head, [B·objects, channels]. */
  targets: Record<string, tf.Tensor2D>;
  dispose(): void;
}

/** Random images and targets for `cfg` (output size from its backbone, or `out` for another network). */
export function makeBenchBatch(cfg: NetConfig, seed: number, out?: [number, number]): BenchBatch {
  const rnd = lcg(seed + 1);
  const [oh, ow] = out ?? outputSize(cfg);
  const classes = cfg.heads.hm ?? 1;
  const n = cfg.batch * cfg.objects;
  const t = tf.tidy(() => {
    const images = tf.tensor4d(Float32Array.from({ length: cfg.batch * cfg.height * cfg.width * cfg.inChannels }, () => rnd() * 2 - 1), [cfg.batch, cfg.height, cfg.width, cfg.inChannels]);
    const hmv = Float32Array.from({ length: cfg.batch * oh * ow * classes }, () => rnd() * rnd() * 0.5);
    const ind = new Int32Array(n);
    for (let b = 0; b < cfg.batch; b++) {
      for (let o = 0; o < cfg.objects; o++) {
        const pix = Math.floor(rnd() * oh * ow);
        ind[b * cfg.objects + o] = b * oh * ow + pix;
        hmv[(b * oh * ow + pix) * classes + Math.floor(rnd() * classes)] = 1;
      }
    }
    const targets: Record<string, tf.Tensor2D> = {};
    for (const [name, c] of Object.entries(cfg.heads)) {
      if (name !== 'hm') targets[name] = tf.tensor2d(Float32Array.from({ length: n * c }, () => rnd()), [n, c]);
    }
    return { images, hm: tf.tensor4d(hmv, [cfg.batch, oh, ow, classes]), ind: tf.tensor1d(ind, 'int32'), mask: tf.ones([n, 1]) as tf.Tensor2D, targets };
  });
  return { ...t, dispose: () => tf.dispose([t.images, t.hm, t.ind, t.mask, ...Object.values(t.targets)]) };
}

/** CenterNet's focal loss on the heatmap plus masked L1 of every other head at the centres. */
export function benchLoss(out: Record<string, tf.Tensor4D>, batch: BenchBatch): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(tf.sigmoid(out.hm), 1e-4, 1 - 1e-4);
    const gt = batch.hm;
    const pos = tf.cast(tf.equal(gt, 1), 'float32');
    const neg = tf.sub(1, pos);
    const posLoss = tf.sum(tf.mul(tf.mul(tf.log(p), tf.square(tf.sub(1, p))), pos));
    const negLoss = tf.sum(tf.mul(tf.mul(tf.mul(tf.log(tf.sub(1, p)), tf.square(p)), tf.pow(tf.sub(1, gt), 4)), neg));
    const numPos = tf.maximum(tf.sum(pos), 1);
    let total = tf.div(tf.neg(tf.add(posLoss, negLoss)), numPos) as tf.Scalar;
    const maskSum = tf.add(tf.sum(batch.mask), 1e-4);
    for (const [name, target] of Object.entries(batch.targets)) {
      const o = out[name];
      const flat = tf.reshape(o, [-1, o.shape[3]]);
      const pred = tf.gather(flat, batch.ind);
      const l1 = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(pred, target)), batch.mask)), maskSum);
      total = tf.add(total, l1) as tf.Scalar;
    }
    return total;
  });
}
