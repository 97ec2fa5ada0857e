/**
 * Turning network outputs into 3D detections (CenterFusion's fusion_decode and ddd
 * post-processing): peaks of the class heatmaps after a 3×3 max-pool suppression, the top K over
 * all classes, then the other heads read at each peak: the 2D box (reg, wh), the projected 3D
 * centre (peak + amodel_offset), depth (1/sigmoid - 1; dep_sec replaces dep when present, as in
 * CenterFusion), dimensions, the observation angle alpha from the rotation bins (rot_sec
 * replaces rot) turned into rotation_y, velocity and attributes.
 */
import { tf } from './tf';
import { decodeRotation } from './data/targets';
import { attributeGroupOf, NUSCENES_ATTRIBUTES } from './data/synthetic';
import type { Calib } from './data/types';

export interface Detection3D {
  cls: number;
  score: number;
  /** Box centre in the camera frame (x right, y down, z forward), metres. */
  center: [number, number, number];
  /** [height, width, length] */
  dim: [number, number, number];
  rotY: number;
  velocityCam: [number, number, number];
  /** Attribute name, or null when the head is absent (the caller picks a class default). */
  attribute: string | null;
  /** 2D box [x1, y1, x2, y2] in input pixels (from reg and wh). */
  bbox: [number, number, number, number];
}

export interface DecodeOptions {
  /** CenterFusion's sigmoid_dep_sec: dep_sec is a logit to be turned into a depth. */
  sigmoidDepSec?: boolean;
}

interface Maps {
  height: number;
  width: number;
  data: Record<string, { channels: number; values: Float32Array | Int32Array | Uint8Array }>;
}

function readAt(maps: Maps, head: string, b: number, pix: number): number[] | undefined {
  const m = maps.data[head];
  if (!m) return undefined;
  const base = (b * maps.height * maps.width + pix) * m.channels;
  return Array.from(m.values.subarray(base, base + m.channels));
}

/** CenterNet's depth from a logit. */
export function depthFromLogit(x: number): number {
  return 1 / (1 / (1 + Math.exp(-x)) + 1e-6) - 1;
}

/** Wraps an angle to [-pi, pi] (CenterNet's alpha2rot_y does the same). */
function wrap(a: number): number {
  let x = a;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x < -Math.PI) x += 2 * Math.PI;
  return x;
}

/** rotation_y from the observation angle and the centre's image column (CenterNet's alpha2rot_y). */
export function alphaToRotY(alpha: number, u: number, calib: Calib): number {
  return wrap(alpha + Math.atan2(u - calib.cx, calib.f));
}

export interface Peak {
  cls: number;
  score: number;
  /** Flat output pixel y·W + x. */
  pix: number;
  xs: number;
  ys: number;
}

/**
 * The top-K heatmap peaks per image after 3×3 max-pool suppression (CenterNet's _nms + _topk);
 * with `nms` false the plain top K (CenterFusion's generate_pc_hm picks its boxes that way).
 */
export function topPeaks(hmLogits: tf.Tensor4D, K: number, nms = true): Peak[][] {
  const [B, H, W, C] = hmLogits.shape;
  const k = Math.max(1, Math.min(K, H * W * C));
  const { scores, indices } = tf.tidy(() => {
    const heat = tf.sigmoid(hmLogits);
    const peaks = nms ? tf.mul(heat, tf.cast(tf.equal(heat, tf.maxPool(heat, 3, 1, 'same')), 'float32')) : heat;
    const top = tf.topk(peaks.reshape([B, H * W * C]), k, true);
    return { scores: top.values, indices: top.indices };
  });
  const scoreValues = scores.dataSync();
  const indexValues = indices.dataSync();
  tf.dispose([scores, indices]);
  const out: Peak[][] = [];
  for (let b = 0; b < B; b++) {
    const list: Peak[] = [];
    for (let j = 0; j < k; j++) {
      const flat = indexValues[b * k + j];
      const pix = Math.floor(flat / C);
      list.push({ cls: flat % C, score: scoreValues[b * k + j], pix, xs: pix % W, ys: Math.floor(pix / W) });
    }
    out.push(list);
  }
  return out;
}

/**
 * Detections for each image of a batch. `calibs[b]` is the camera of image b in input pixels;
 * output pixels are scaled by down_ratio.
 */
export function decodeDetections(
  outputs: Record<string, tf.Tensor4D>,
  calibs: readonly Calib[],
  downRatio: number,
  K: number,
  options: DecodeOptions = { sigmoidDepSec: true },
): Detection3D[][] {
  const peaks = topPeaks(outputs.hm, K);
  const [, H, W] = outputs.hm.shape;
  const maps: Maps = { height: H, width: W, data: {} };
  for (const [name, t] of Object.entries(outputs)) {
    if (name === 'hm') continue;
    maps.data[name] = { channels: t.shape[3], values: t.dataSync() };
  }
  return peaks.map((list, b) => {
    const calib = calibs[b];
    return list.map((peak): Detection3D => {
      const { cls, score, pix, xs, ys } = peak;
      const reg = readAt(maps, 'reg', b, pix) ?? [0.5, 0.5];
      const wh = (readAt(maps, 'wh', b, pix) ?? [0, 0]).map((v) => Math.max(0, v));
      const cx2d = xs + reg[0];
      const cy2d = ys + reg[1];
      const bbox: [number, number, number, number] = [
        (cx2d - wh[0] / 2) * downRatio, (cy2d - wh[1] / 2) * downRatio, (cx2d + wh[0] / 2) * downRatio, (cy2d + wh[1] / 2) * downRatio,
      ];
      const amodal = readAt(maps, 'amodel_offset', b, pix);
      const u = amodal ? (xs + amodal[0]) * downRatio : cx2d * downRatio;
      const v = amodal ? (ys + amodal[1]) * downRatio : cy2d * downRatio;
      const depSec = readAt(maps, 'dep_sec', b, pix);
      const dep = readAt(maps, 'dep', b, pix);
      let depth = 10;
      if (depSec) depth = options.sigmoidDepSec === false ? depSec[0] : depthFromLogit(depSec[0]);
      else if (dep) depth = depthFromLogit(dep[0]);
      const dimRaw = readAt(maps, 'dim', b, pix) ?? [1, 1, 1];
      const dim: [number, number, number] = [Math.abs(dimRaw[0]), Math.abs(dimRaw[1]), Math.abs(dimRaw[2])];
      const rot = readAt(maps, 'rot_sec', b, pix) ?? readAt(maps, 'rot', b, pix);
      const alpha = rot ? decodeRotation(rot) : 0;
      const vel = readAt(maps, 'velocity', b, pix);
      const att = readAt(maps, 'nuscenes_att', b, pix);
      let attribute: string | null = null;
      const group = attributeGroupOf(cls);
      if (att && group) {
        let best = group[0];
        for (const a of group) if (att[a] > att[best]) best = a;
        attribute = NUSCENES_ATTRIBUTES[best];
      } else if (att) {
        attribute = '';
      }
      return {
        cls,
        score,
        center: [((u - calib.cx) * depth) / calib.f, ((v - calib.cy) * depth) / calib.f, depth],
        dim,
        rotY: alphaToRotY(alpha, u, calib),
        velocityCam: vel ? [vel[0], vel[1], vel[2]] : [0, 0, 0],
        attribute,
        bbox,
      };
    });
  });
}
