/**
 * Per-match error terms of the nuScenes detection metric (float64, no fused multiply-add).
 */
import { pyMod } from './numeric';

/** xy distance between two centres, as sqrt(dx² + dy²) of (a - b). */
export function xyDistance(ax: number, ay: number, bx: number, by: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  return Math.sqrt(dx * dx + dy * dy);
}

/**
 * Yaw (rotation about z) of a [w, x, y, z] quaternion: atan2 of the first column of its
 * rotation matrix. Like the quaternion library the devkit uses, the quaternion is first divided
 * by its norm unless its squared norm is already within 1e-14 of 1.
 */
export function quaternionYaw(q: ArrayLike<number>): number {
  let w = q[0];
  let x = q[1];
  let y = q[2];
  let z = q[3];
  const sq = w * w + x * x + y * y + z * z;
  if (!(Math.abs(1 - sq) < 1e-14)) {
    const n = Math.sqrt(sq);
    if (n > 0) {
      w /= n;
      x /= n;
      y /= n;
      z /= n;
    }
  }
  // First column of the rotation matrix: R00 = w² + x² - y² - z², R10 = 2(xy + wz).
  const r00 = x * x + w * w - z * z - y * y;
  const r10 = y * x + z * w + w * z + x * y;
  return Math.atan2(r10, r00);
}

/**
 * Signed smallest difference from angle b to angle a for the given period: Python's
 * ((a - b + period/2) % period) - period/2 (floored modulo), shifted by -2π when above π.
 */
export function angleDiff(a: number, b: number, period: number): number {
  let diff = pyMod(a - b + period / 2, period) - period / 2;
  if (diff > Math.PI) diff -= 2 * Math.PI;
  return diff;
}

/** |yaw difference|: period π for barriers (heading is ambiguous), 2π for every other class. */
export function yawError(gtRotation: ArrayLike<number>, predRotation: ArrayLike<number>, period: number): number {
  return Math.abs(angleDiff(quaternionYaw(gtRotation), quaternionYaw(predRotation), period));
}

/**
 * IoU of two boxes moved to a common centre and heading: only their sizes count.
 * Sizes must be positive (the caller reports which box broke that).
 */
export function alignedIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const volA = a[0] * a[1] * a[2];
  const volB = b[0] * b[1] * b[2];
  const inter = Math.min(a[0], b[0]) * Math.min(a[1], b[1]) * Math.min(a[2], b[2]);
  const union = volA + volB - inter;
  return inter / union;
}
