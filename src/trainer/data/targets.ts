/**
 * CenterNet's training targets, written from its published description: a Gaussian peak per
 * object on the heatmap of its class (radius from the box size so that a box shifted within it
 * keeps IoU >= 0.7), and the 8-number rotation encoding of CenterNet's ddd task.
 */
import type { RegTarget } from './types';

/**
 * CenterNet's gaussian_radius: the smallest of the three radii from its quadratic cases, with
 * the same (famously not-quite-textbook) arithmetic, so heatmaps match the original's.
 */
export function gaussianRadius(height: number, width: number, minOverlap = 0.7): number {
  const b1 = height + width;
  const c1 = (width * height * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
  const b2 = 2 * (height + width);
  const c2 = (1 - minOverlap) * width * height;
  const r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
  const a3 = 4 * minOverlap;
  const b3 = -2 * minOverlap * (height + width);
  const c3 = (minOverlap - 1) * width * height;
  const r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

/**
 * Draws a Gaussian of the given radius (sigma = diameter / 6) centred on an integer pixel into
 * channel `channel` of an NHWC heatmap [height, width, channels], keeping the maximum.
 */
export function drawGaussian(
  hm: Float32Array,
  height: number,
  width: number,
  channels: number,
  channel: number,
  cx: number,
  cy: number,
  radius: number,
): void {
  const sigma = (2 * radius + 1) / 6;
  const left = Math.min(cx, radius);
  const right = Math.min(width - cx, radius + 1);
  const top = Math.min(cy, radius);
  const bottom = Math.min(height - cy, radius + 1);
  for (let dy = -top; dy < bottom; dy++) {
    for (let dx = -left; dx < right; dx++) {
      const g = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      // numpy's gaussian2D zeroes values below machine epsilon times the maximum.
      const value = g < 2.220446049250313e-16 ? 0 : g;
      const at = ((cy + dy) * width + (cx + dx)) * channels + channel;
      if (value > hm[at]) hm[at] = value;
    }
  }
}

/** Wraps an angle to [-pi, pi). */
export function wrapAngle(a: number): number {
  let x = a;
  while (x >= Math.PI) x -= 2 * Math.PI;
  while (x < -Math.PI) x += 2 * Math.PI;
  return x;
}

/**
 * The ddd rotation target: two overlapping bins (centred at -pi/2 and +pi/2); an observation
 * angle alpha activates each bin it falls in, with the residual to that bin's centre.
 */
export function encodeRotation(alpha: number): { bin: [number, number]; res: [number, number] } {
  const bin: [number, number] = [0, 0];
  const res: [number, number] = [0, 0];
  if (alpha < Math.PI / 6 || alpha > (5 * Math.PI) / 6) {
    bin[0] = 1;
    res[0] = alpha - -0.5 * Math.PI;
  }
  if (alpha > -Math.PI / 6 || alpha < (-5 * Math.PI) / 6) {
    bin[1] = 1;
    res[1] = alpha - 0.5 * Math.PI;
  }
  return { bin, res };
}

/** Decodes the 8 rotation outputs of one object back to alpha (CenterNet's get_alpha). */
export function decodeRotation(rot: ArrayLike<number>): number {
  // CenterNet compares the two bins' "inside" logits.
  const alpha1 = Math.atan2(rot[2], rot[3]) - 0.5 * Math.PI;
  const alpha2 = Math.atan2(rot[6], rot[7]) + 0.5 * Math.PI;
  return rot[1] > rot[5] ? alpha1 : alpha2;
}

/** Channels of each regression target, as CenterFusion's regression_head_dims. */
export const REG_CHANNELS: Readonly<Record<string, number>> = {
  reg: 2, wh: 2, dep: 1, dim: 3, amodel_offset: 2, velocity: 3, ltrb: 4, ltrb_amodal: 4, nuscenes_att: 8,
};

/** Regression targets of one sample: zeroed [maxObjs, channels] target and mask per head. */
export function emptyRegTargets(maxObjs: number, channelsOf: Readonly<Record<string, number>>): Record<string, RegTarget> {
  const reg: Record<string, RegTarget> = {};
  for (const [name, channels] of Object.entries(channelsOf)) {
    reg[name] = { channels, target: new Float32Array(maxObjs * channels), mask: new Float32Array(maxObjs * channels) };
  }
  return reg;
}

/** Writes object slot k of head `name` (mask 1 per channel unless `maskValues` says otherwise). */
export function setRegTarget(
  reg: Record<string, RegTarget>,
  name: string,
  k: number,
  values: readonly number[],
  maskValues?: readonly number[],
): void {
  const t = reg[name];
  for (let c = 0; c < t.channels; c++) {
    t.target[k * t.channels + c] = values[c];
    t.mask[k * t.channels + c] = maskValues ? maskValues[c] : 1;
  }
}
