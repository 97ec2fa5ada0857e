/**
 * CenterNet's losses as CenterFusion combines them (its GenericLoss), written from their
 * definitions: focal loss on the sigmoid heatmap, L1 on gathered regression outputs weighted by
 * masks, the bin/residual loss for rotation, binary cross-entropy for attributes, and the
 * weighted total.
 */
import { tf } from './tf';
import type { Batch } from './data/batch';

/** CenterFusion's order of the loss statistics (after 'tot'). */
export const LOSS_ORDER = [
  'hm', 'wh', 'reg', 'ltrb', 'hps', 'hm_hp', 'hp_offset', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec',
  'amodel_offset', 'ltrb_amodal', 'tracking', 'nuscenes_att', 'velocity',
] as const;

/** Regression heads and the target each one is compared with. */
const REGRESSION_TARGET: Record<string, string> = {
  reg: 'reg', wh: 'wh', ltrb: 'ltrb', ltrb_amodal: 'ltrb_amodal', dep: 'dep', dep_sec: 'dep', dim: 'dim',
  amodel_offset: 'amodel_offset', velocity: 'velocity', nuscenes_att: 'nuscenes_att',
};

/** The heads the built-in trainer has targets and losses for. */
export const SUPPORTED_HEADS: ReadonlySet<string> = new Set(['hm', 'rot', 'rot_sec', ...Object.keys(REGRESSION_TARGET)]);

/** Loss statistic names for a set of heads: 'tot', then CenterFusion's order restricted to them. */
export function lossNames(heads: Record<string, number>): string[] {
  return ['tot', ...LOSS_ORDER.filter((name) => Object.prototype.hasOwnProperty.call(heads, name))];
}

/** The dataset targets the loss needs for these heads (for collate). */
export function regressionTargetsFor(heads: Record<string, number>): string[] {
  const targets = new Set<string>();
  for (const head of Object.keys(heads)) {
    const t = REGRESSION_TARGET[head];
    if (t !== undefined) targets.add(t);
  }
  return [...targets];
}

/**
 * Rows `rows` of a [n, channels] matrix. The gradient is a scatter-add done in JavaScript: the
 * cpu backend's own gather gradient (UnsortedSegmentSum) costs seconds per step at these sizes.
 */
export function gatherRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor2D;
    const [numRows, channels] = input.shape;
    return {
      value: tf.tidy(() => tf.gather(input, tf.tensor1d(rows, 'int32'))) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D) => {
        const g = dy.dataSync();
        const out = new Float32Array(numRows * channels);
        for (let i = 0; i < rows.length; i++) {
          const at = rows[i] * channels;
          for (let c = 0; c < channels; c++) out[at + c] += g[i * channels + c];
        }
        return tf.tensor2d(out, [numRows, channels]);
      },
    };
  });
  return op(x) as tf.Tensor2D;
}

/** The outputs at the objects' centres: [objects, channels] (CenterNet's _tranpose_and_gather_feat). */
function gatherAtObjects(output: tf.Tensor4D, rows: Int32Array): tf.Tensor2D {
  const channels = output.shape[3];
  return gatherRows(output.reshape([-1, channels]) as tf.Tensor2D, rows);
}

/** CenterNet's sigmoid, clamped to [1e-4, 1 - 1e-4] so that the logs stay finite. */
export function clampedSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.sigmoid(x), 1e-4, 1 - 1e-4);
}

/** Focal loss of CenterNet (alpha 2, beta 4), normalised by the number of objects. */
export function focalLoss(logits: tf.Tensor4D, batch: Batch): tf.Scalar {
  const pred = clampedSigmoid(logits);
  const negWeights = tf.pow(tf.sub(1, batch.hm), 4);
  const negLoss = tf.sum(tf.mul(tf.mul(tf.log(tf.sub(1, pred)), tf.square(pred)), negWeights));
  if (batch.numObjects === 0) return tf.neg(negLoss) as tf.Scalar;
  const atObjects = gatherAtObjects(pred as tf.Tensor4D, batch.objRows);
  const posPred = tf.sum(tf.mul(atObjects, batch.catOneHot), 1);
  const posLoss = tf.sum(tf.mul(tf.log(posPred), tf.square(tf.sub(1, posPred))));
  return tf.div(tf.neg(tf.add(posLoss, negLoss)), batch.numObjects) as tf.Scalar;
}

/** CenterNet's RegWeightedL1Loss: sum |pred - target| over masked entries / (mask sum + 1e-4). */
export function regL1Loss(pred: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D, maskSum: number): tf.Scalar {
  const diff = tf.abs(tf.sub(tf.mul(pred, mask), tf.mul(target, mask)));
  return tf.div(tf.sum(diff), maskSum + 1e-4) as tf.Scalar;
}

/** Weighted binary cross-entropy on logits (CenterFusion's attribute loss). */
export function weightedBceLoss(logits: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D, maskSum: number): tf.Scalar {
  // max(x, 0) - x·y + log(1 + exp(-|x|)), the stable form of BCE with logits.
  const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.div(tf.sum(tf.mul(bce, mask)), maskSum + 1e-4) as tf.Scalar;
}

/** Smooth L1 (beta 1) without a comparison op (tfjs has no gradient for those): 0.5·m² + |d| - m, m = min(|d|, 1). */
function smoothL1(diff: tf.Tensor): tf.Tensor {
  const a = tf.abs(diff);
  const m = tf.minimum(a, 1);
  return tf.add(tf.mul(0.5, tf.square(m)), tf.sub(a, m));
}

/** Summed cross-entropy of 2-way logits [n, 2] against 0/1 classes given as a one-hot [n, 2]. */
function crossEntropy2Sum(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot)));
}

/**
 * CenterNet's BinRotLoss: cross-entropy of each bin's in/out logits averaged over every object
 * slot, plus smooth-L1 on sin/cos of the residual for the objects that lie in that bin. The
 * original zeroes the logits of empty slots, so each empty slot adds exactly log(2) to the
 * cross-entropy sum (and nothing to the gradient); that constant is added here directly.
 */
export function binRotLoss(logits: tf.Tensor4D, batch: Batch): tf.Scalar {
  const slots = Math.max(1, batch.numSlots);
  const emptyTerm = (2 * Math.LN2 * (batch.numSlots - batch.numObjects)) / slots;
  const n = batch.numObjects;
  if (n === 0) return tf.scalar(emptyTerm);
  const pred = gatherAtObjects(logits, batch.objRows);
  const bins = batch.rotbin;
  const oneHot = (which: number): tf.Tensor2D => {
    const values = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) values[2 * i + (bins[2 * i + which] === 1 ? 1 : 0)] = 1;
    return tf.tensor2d(values, [n, 2]);
  };
  const ceSum = tf.add(crossEntropy2Sum(pred.slice([0, 0], [n, 2]), oneHot(0)), crossEntropy2Sum(pred.slice([0, 4], [n, 2]), oneHot(1)));
  let loss: tf.Tensor = tf.add(tf.div(ceSum, slots), emptyTerm);
  for (const which of [0, 1]) {
    const select = new Float32Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (bins[2 * i + which] !== 0) {
        select[i] = 1;
        count++;
      }
    }
    if (count === 0) continue;
    const w = tf.tensor1d(select);
    const res = batch.rotres.slice([0, which], [n, 1]).reshape([n]);
    const col = 4 * which + 2;
    const sinPart = tf.div(tf.sum(tf.mul(smoothL1(tf.sub(pred.slice([0, col], [n, 1]).reshape([n]), tf.sin(res))), w)), count);
    const cosPart = tf.div(tf.sum(tf.mul(smoothL1(tf.sub(pred.slice([0, col + 1], [n, 1]).reshape([n]), tf.cos(res))), w)), count);
    loss = tf.add(loss, tf.add(sinPart, cosPart));
  }
  return loss as tf.Scalar;
}

export interface LossResult {
  tot: tf.Scalar;
  /** Per head, in lossNames order (without 'tot'). */
  parts: Record<string, tf.Scalar>;
}

/**
 * Every head's loss and the weighted total (tot = sum of weights[head]·loss[head] over the
 * heads). Call inside tf.tidy or a gradient function.
 */
export interface LossOptions {
  /**
   * CenterFusion's sigmoid_dep_sec (set by --pointcloud): dep_sec goes through 1/sigmoid(x) - 1
   * like dep; without it dep_sec's raw output is compared with the depth.
   */
  sigmoidDepSec?: boolean;
}

/** CenterNet's depth output transform: 1 / (sigmoid(x) + 1e-6) - 1. */
export function depthFromLogits(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.div(1, tf.add(tf.sigmoid(x), 1e-6)), 1);
}

export function computeLosses(
  outputs: Record<string, tf.Tensor4D>,
  batch: Batch,
  heads: Record<string, number>,
  weights: Record<string, number>,
  options: LossOptions = { sigmoidDepSec: true },
): LossResult {
  const parts: Record<string, tf.Scalar> = {};
  for (const name of lossNames(heads).slice(1)) {
    const out = outputs[name];
    if (name === 'hm') {
      parts.hm = focalLoss(out, batch);
    } else if (name === 'rot' || name === 'rot_sec') {
      parts[name] = binRotLoss(out, batch);
    } else if (REGRESSION_TARGET[name] !== undefined) {
      const target = batch.reg[REGRESSION_TARGET[name]];
      let pred = gatherAtObjects(out, batch.objRows);
      if (name === 'nuscenes_att') {
        parts[name] = weightedBceLoss(pred, target.target, target.mask, target.maskSum);
        continue;
      }
      if (name === 'dep' || (name === 'dep_sec' && options.sigmoidDepSec !== false)) pred = depthFromLogits(pred) as tf.Tensor2D;
      parts[name] = regL1Loss(pred, target.target, target.mask, target.maskSum);
    } else {
      throw new Error(`no loss for head ${name}`);
    }
  }
  let tot: tf.Tensor = tf.scalar(0);
  for (const head of Object.keys(heads)) {
    const part = parts[head];
    if (part === undefined) continue;
    tot = tf.add(tot, tf.mul(weights[head] ?? 1, part));
  }
  return { tot: tot as tf.Scalar, parts };
}
