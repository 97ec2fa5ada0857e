/**
 * Stacking samples into the tensors one training step needs. Only the object slots that hold an
 * object are kept (CenterNet keeps all max_objs slots and multiplies the empty ones by a zero
 * mask; the losses below account for the empty slots exactly where they matter).
 */
import { tf } from '../tf';
import type { Sample } from './types';

export interface RegBatch {
  /** [objects, channels] */
  target: tf.Tensor2D;
  mask: tf.Tensor2D;
  maskSum: number;
}

export interface Batch {
  size: number;
  samples: Sample[];
  /** [batch, input_h, input_w, 3] */
  image: tf.Tensor4D;
  /** [batch, output_h, output_w, classes] */
  hm: tf.Tensor4D;
  /** Row of each object in the flattened [batch·output_h·output_w, channels] outputs. */
  objRows: Int32Array;
  /** Number of objects in the batch (CenterNet's mask.sum()). */
  numObjects: number;
  /** batch · max_objs: the slots CenterNet's rotation cross-entropy averages over. */
  numSlots: number;
  /** One-hot class per object, [objects, classes]. */
  catOneHot: tf.Tensor2D;
  reg: Record<string, RegBatch>;
  /** Rotation bins per object, [objects·2] (kept in JS: they only select rows). */
  rotbin: Int32Array;
  /** [objects, 2] */
  rotres: tf.Tensor2D;
  /**
   * With --pointcloud: pc_hm [batch, output_h, output_w, 3] (pc_dep, pc_vx, pc_vz) from the
   * samples' ground-truth frustum association.
   */
  pcHm?: tf.Tensor4D;
}

/**
 * Stacks the samples' pc_hm maps (as buildPcHm made them: pc_dep already divided by
 * max_pc_dist under normalize_depth) into one array. A sample without a map contributes zeros
 * (no radar return associated).
 */
export function stackPcHm(maps: ReadonlyArray<Float32Array | undefined>, outputH: number, outputW: number): Float32Array {
  const size = outputH * outputW * 3;
  const out = new Float32Array(maps.length * size);
  maps.forEach((m, b) => {
    if (!m) return;
    if (m.length !== size) throw new Error(`pc_hm of sample ${b} has ${m.length} values, expected ${size} (${outputH}x${outputW}x3)`);
    out.set(m, b * size);
  });
  return out;
}

export interface BatchShape {
  inputH: number;
  inputW: number;
  outputH: number;
  outputW: number;
  numClasses: number;
  maxObjs: number;
}

function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** Builds the batch tensors, for the regression targets in `regHeads` only. */
export function collate(samples: Sample[], shape: BatchShape, regHeads: readonly string[], withPcHm = false): Batch {
  const B = samples.length;
  const M = shape.maxObjs;
  const hw = shape.outputH * shape.outputW;
  const imageSize = shape.inputH * shape.inputW * 3;
  const hmSize = hw * shape.numClasses;

  const image = new Float32Array(B * imageSize);
  const hm = new Float32Array(B * hmSize);
  const slots: Array<[number, number]> = [];
  samples.forEach((s, b) => {
    image.set(s.image, b * imageSize);
    hm.set(s.hm, b * hmSize);
    for (let k = 0; k < M; k++) if (s.mask[k] > 0) slots.push([b, k]);
  });
  const n = slots.length;
  const objRows = new Int32Array(n);
  const cat = new Int32Array(n);
  const rotbin = new Int32Array(n * 2);
  const rotres = new Float32Array(n * 2);
  slots.forEach(([b, k], i) => {
    const s = samples[b];
    objRows[i] = b * hw + s.ind[k];
    cat[i] = s.cat[k];
    rotbin[2 * i] = s.rotbin[2 * k];
    rotbin[2 * i + 1] = s.rotbin[2 * k + 1];
    rotres[2 * i] = s.rotres[2 * k];
    rotres[2 * i + 1] = s.rotres[2 * k + 1];
  });

  const reg: Record<string, RegBatch> = {};
  for (const head of regHeads) {
    const first = samples[0].reg[head];
    if (!first) throw new Error(`the dataset has no targets for head ${head}`);
    const ch = first.channels;
    const target = new Float32Array(n * ch);
    const mask = new Float32Array(n * ch);
    slots.forEach(([b, k], i) => {
      const t = samples[b].reg[head];
      target.set(t.target.subarray(k * ch, (k + 1) * ch), i * ch);
      mask.set(t.mask.subarray(k * ch, (k + 1) * ch), i * ch);
    });
    reg[head] = { target: tf.tensor2d(target, [n, ch]), mask: tf.tensor2d(mask, [n, ch]), maskSum: sumOf(mask) };
  }
  const oneHot = new Float32Array(n * shape.numClasses);
  cat.forEach((c, i) => {
    oneHot[i * shape.numClasses + c] = 1;
  });
  return {
    size: B,
    samples,
    image: tf.tensor4d(image, [B, shape.inputH, shape.inputW, 3]),
    hm: tf.tensor4d(hm, [B, shape.outputH, shape.outputW, shape.numClasses]),
    objRows,
    numObjects: n,
    numSlots: B * M,
    catOneHot: tf.tensor2d(oneHot, [n, shape.numClasses]),
    reg,
    rotbin,
    rotres: tf.tensor2d(rotres, [n, 2]),
    ...(withPcHm
      ? { pcHm: tf.tensor4d(stackPcHm(samples.map((x) => x.pcHm), shape.outputH, shape.outputW), [B, shape.outputH, shape.outputW, 3]) }
      : {}),
  };
}

export function disposeBatch(batch: Batch): void {
  const tensors: tf.Tensor[] = [batch.image, batch.hm, batch.catOneHot, batch.rotres];
  for (const r of Object.values(batch.reg)) tensors.push(r.target, r.mask);
  if (batch.pcHm) tensors.push(batch.pcHm);
  tf.dispose(tensors);
}
