/**
 * CenterFusion's frustum association of radar pillars to objects ("pillars" pc_roi_method).
 *
 * 1. Every radar point carries its pillar (a 1.5 m tall, 0.2 m wide box standing on the point,
 *    projected to the output map). The pillars are painted into a 3-channel map (depth, vx, vz),
 *    far points first, so where pillars overlap the nearer point's values remain: this is
 *    CenterFusion's pc_dep map. Unlike CenterFusion, a pillar that rounds to nothing (thinner
 *    than a pixel, common on small maps) still covers the pixel under its point.
 * 2. For each object box (ground truth in training, first-stage detections at inference) the
 *    pixels of that map inside the box whose depth lies in the object's depth frustum
 *    (depth ± half the object's extent along the camera axis, widened by frustumExpansionRatio)
 *    are candidates; the nearest candidate is the object's radar return.
 * 3. Its depth (divided by max_pc_dist with normalize_depth), vx and vz are painted into the
 *    pc_hm in a region around the box centre of hm_to_box_ratio times the box size.
 *
 * Overlapping objects: boxes are painted from the farthest to the nearest (by their depth), so
 * where two objects' regions overlap the nearest object's values win. CenterFusion paints in
 * annotation order (its depth sort is computed but not used); ordering by depth makes the result
 * independent of the order of the boxes.
 *
 * Maps are NHWC: value (y, x, c) is at (y * outW + x) * 3 + c, channels pc_dep, pc_vx, pc_vz.
 */
import type { RadarPoints } from '../data/types';

export interface FrustumBox {
  /** 2D box in output-map pixels. */
  bbox: [number, number, number, number];
  /** Depth of the object centre, metres (not normalised). */
  depth: number;
  /** [height, width, length], metres. */
  dim: [number, number, number];
  /** Yaw around the camera's y axis (rotation_y). */
  rotY: number;
}

export interface PcHmOptions {
  hmToBoxRatio: number;
  frustumExpansionRatio: number;
  maxPcDist: number;
  normalizeDepth: boolean;
}

export const PC_CHANNELS = 3;

/** numpy's round (half to even), which CenterFusion applies to pillar rectangles. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Half the extent along the camera's z axis of a box of `dim` turned by `rotY`: how far in
 * depth a radar return may lie from the object's centre (CenterFusion's get_dist_thresh),
 * widened by `expansionRatio`.
 */
export function frustumThreshold(dim: readonly number[], rotY: number, expansionRatio = 0): number {
  const w = dim[1];
  const l = dim[2];
  const half = (Math.abs(Math.sin(rotY)) * l + Math.abs(Math.cos(rotY)) * w) / 2;
  return half * (1 + expansionRatio);
}

/**
 * The pc_dep map: each point's pillar rectangle (rounded as CenterFusion rounds it) painted
 * with its depth, vx and vz, far points first so the nearest point covers shared pixels.
 */
export function rasterizePillars(radar: RadarPoints, outH: number, outW: number): Float32Array {
  const map = new Float32Array(outH * outW * PC_CHANNELS);
  const order = Array.from({ length: radar.count }, (_, i) => i).sort((a, b) => radar.xyz[3 * b + 2] - radar.xyz[3 * a + 2]);
  for (const i of order) {
    const depth = radar.xyz[3 * i + 2];
    if (!(depth > 0)) continue;
    const x1 = radar.pillar[4 * i];
    const y1 = radar.pillar[4 * i + 1];
    const x2 = radar.pillar[4 * i + 2];
    const y2 = radar.pillar[4 * i + 3];
    let r0 = Math.max(roundHalfEven(Math.max(y1, 0)), 0);
    let r1 = Math.min(roundHalfEven(y2), outH);
    let c0 = Math.max(roundHalfEven(Math.max(x1, 0)), 0);
    let c1 = Math.min(roundHalfEven(Math.min(x2, outW)), outW);
    // A pillar thinner than a pixel would round away (CenterFusion loses such points); keep at
    // least the pixel under the point, so small maps still see their radar.
    if (r1 <= r0) {
      r0 = Math.min(outH - 1, Math.max(0, Math.floor(y2)));
      r1 = r0 + 1;
    }
    if (c1 <= c0) {
      c0 = Math.min(outW - 1, Math.max(0, Math.floor((x1 + x2) / 2)));
      c1 = c0 + 1;
    }
    const vx = radar.vel[2 * i];
    const vz = radar.vel[2 * i + 1];
    for (let y = r0; y < r1; y++) {
      for (let x = c0; x < c1; x++) {
        const at = (y * outW + x) * PC_CHANNELS;
        map[at] = depth;
        map[at + 1] = vx;
        map[at + 2] = vz;
      }
    }
  }
  return map;
}

/** The radar return associated with one box, or null: the nearest pillar pixel in box and frustum. */
export function associate(
  pcDep: Float32Array,
  outH: number,
  outW: number,
  box: FrustumBox,
  expansionRatio: number,
): { depth: number; vx: number; vz: number } | null {
  const thresh = frustumThreshold(box.dim, box.rotY, expansionRatio);
  const lo = Math.max(0, box.depth - thresh);
  const hi = box.depth + thresh;
  const x0 = Math.max(0, Math.floor(box.bbox[0]));
  const y0 = Math.max(0, Math.floor(box.bbox[1]));
  const x1 = Math.min(outW - 1, Math.ceil(box.bbox[2]));
  const y1 = Math.min(outH - 1, Math.ceil(box.bbox[3]));
  let best = -1;
  let bestDepth = Infinity;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const at = (y * outW + x) * PC_CHANNELS;
      const d = pcDep[at];
      if (d === 0 || !(d < hi && d > lo)) continue;
      if (d < bestDepth) {
        bestDepth = d;
        best = at;
      }
    }
  }
  return best < 0 ? null : { depth: bestDepth, vx: pcDep[best + 1], vz: pcDep[best + 2] };
}

/** Writes one association into pc_hm around the box centre (CenterFusion's pc_dep_to_hm region). */
function paintRegion(pcHm: Float32Array, outH: number, outW: number, box: FrustumBox, values: [number, number, number], ratio: number): void {
  const [bx1, by1, bx2, by2] = box.bbox;
  const ctx = (bx1 + bx2) / 2;
  const cty = (by1 + by2) / 2;
  const wi = ratio * (bx2 - bx1);
  const hi = ratio * (by2 - by1);
  // Python's int() truncates toward zero; the column range ends one past w_max, as in the original.
  const c0 = Math.max(0, Math.trunc(ctx - wi / 2));
  const c1 = Math.min(outW - 1, Math.trunc(ctx + wi / 2) + 1);
  const r0 = Math.max(0, Math.trunc(cty - hi / 2));
  const r1 = Math.min(outH - 1, Math.trunc(cty + hi / 2));
  for (let y = r0; y <= r1; y++) {
    for (let x = c0; x <= c1; x++) {
      const at = (y * outW + x) * PC_CHANNELS;
      pcHm[at] = values[0];
      pcHm[at + 1] = values[1];
      pcHm[at + 2] = values[2];
    }
  }
}

/**
 * The pc_hm [outH, outW, 3] (pc_dep, pc_vx, pc_vz) of a set of boxes: zero except around the
 * centre of each box that has a radar return in its frustum. Pure: the inputs are not changed.
 */
export function buildPcHm(
  boxes: readonly FrustumBox[],
  radar: RadarPoints,
  outH: number,
  outW: number,
  opts: PcHmOptions,
): Float32Array {
  const pcHm = new Float32Array(outH * outW * PC_CHANNELS);
  if (radar.count === 0 || boxes.length === 0) return pcHm;
  const pcDep = rasterizePillars(radar, outH, outW);
  // Farthest first, so the nearest object's region is painted last (ties keep the given order).
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[b].depth - boxes[a].depth || a - b);
  for (const i of order) {
    const box = boxes[i];
    if (!(box.bbox[2] > box.bbox[0] && box.bbox[3] > box.bbox[1]) || !Number.isFinite(box.depth)) continue;
    const hit = associate(pcDep, outH, outW, box, opts.frustumExpansionRatio);
    if (!hit) continue;
    const depth = opts.normalizeDepth ? hit.depth / opts.maxPcDist : hit.depth;
    paintRegion(pcHm, outH, outW, box, [depth, hit.vx, hit.vz], opts.hmToBoxRatio);
  }
  return pcHm;
}
