/**
 * From a converted image's radar_pc (18 rows, camera frame) to the RadarPoints of a sample, as
 * CenterFusion's _load_pc_data / _process_pc / create_pc_pillars do: drop points beyond
 * max_pc_dist, shift by pc_z_offset, keep points that project inside the image (depth > 0, one
 * pixel from the border), sort them by depth, take them through the sample's output transform
 * (flip and crop included) and keep those inside the output map, then give each its pillar: a
 * box of pillar_dims ([h, w, l], standing on the point) projected to the full image, taken to
 * the output map, reduced to [x - w/2, y - h, x + w/2, y] (its corners outside the map do not
 * count; a pillar with at most one corner inside has zero size). At most max_pc points are kept.
 * A horizontal flip mirrors the camera-frame x and vx, so 3D and 2D stay consistent.
 */
import { apply, type Affine } from '../data/affine';
import type { RadarPoints } from '../data/types';

export interface RadarOptions {
  maxPcDist: number;
  pcZOffset: number;
  maxPc: number;
  /** [h, w, l] metres. */
  pillarDims: readonly number[];
}

/** Rows of the 18-field layout that the sample uses. */
const X = 0;
const Y = 1;
const Z = 2;
const VX_COMP = 8;
const VZ_COMP = 9;

function projectPoint(calib: readonly number[], x: number, y: number, z: number): [number, number] {
  const u = calib[0] * x + calib[1] * y + calib[2] * z + calib[3];
  const v = calib[4] * x + calib[5] * y + calib[6] * z + calib[7];
  const w = calib[8] * x + calib[9] * y + calib[10] * z + calib[11];
  return [u / w, v / w];
}

/**
 * `rows` is [18, count] row-major; `calib` the image's 3x4 projection (row-major); `trans`
 * maps full-image pixels to output-map pixels (including the flip when `flipped`).
 */
export function processRadar(
  rows: Float32Array,
  count: number,
  calib: readonly number[],
  imgW: number,
  imgH: number,
  trans: Affine,
  flipped: boolean,
  outW: number,
  outH: number,
  o: RadarOptions,
): RadarPoints {
  const kept: Array<{ i: number; x: number; y: number; z: number; u: number; v: number }> = [];
  for (let i = 0; i < count; i++) {
    const x = rows[X * count + i];
    const y = rows[Y * count + i] - o.pcZOffset;
    const z = rows[Z * count + i];
    if (o.maxPcDist > 0 && !(z <= o.maxPcDist)) continue;
    if (!(z > 0)) continue;
    const [u, v] = projectPoint(calib, x, y, z);
    if (!(u > 1 && u < imgW - 1 && v > 1 && v < imgH - 1)) continue;
    kept.push({ i, x, y, z, u, v });
  }
  kept.sort((a, b) => a.z - b.z);

  const [ph, pw, pl] = o.pillarDims;
  const xyz: number[] = [];
  const vel: number[] = [];
  const pillar: number[] = [];
  for (const p of kept) {
    if (xyz.length / 3 >= o.maxPc) break;
    const [ox, oy] = apply(trans, p.u, p.v);
    if (!(ox > 0 && ox < outW && oy > 0 && oy < outH)) continue;
    // The pillar's corners: x ± l/2, y from the point up by h, z ± w/2 (rotation_y 0).
    let x1 = Infinity;
    let y1 = Infinity;
    let x2 = -Infinity;
    let y2 = -Infinity;
    let inside = 0;
    for (const dx of [pl / 2, -pl / 2]) {
      for (const dy of [0, -ph]) {
        for (const dz of [pw / 2, -pw / 2]) {
          const [cu, cv] = projectPoint(calib, p.x + dx, p.y + dy, p.z + dz);
          const [tx, ty] = apply(trans, cu, cv);
          if (!(tx > 0 && tx < outW && ty > 0 && ty < outH)) continue;
          inside++;
          x1 = Math.min(x1, tx);
          y1 = Math.min(y1, ty);
          x2 = Math.max(x2, tx);
          y2 = Math.max(y2, ty);
        }
      }
    }
    const w = inside > 1 ? x2 - x1 : 0;
    const h = inside > 1 ? y2 - y1 : 0;
    xyz.push(flipped ? -p.x : p.x, p.y, p.z);
    const vx = rows[VX_COMP * count + p.i];
    vel.push(flipped ? -vx : vx, rows[VZ_COMP * count + p.i]);
    pillar.push(ox - w / 2, oy - h, ox + w / 2, oy);
  }
  return { count: xyz.length / 3, xyz: Float32Array.from(xyz), vel: Float32Array.from(vel), pillar: Float32Array.from(pillar) };
}
