/**
 * Rigid transforms between the camera, ego and global frames (nuScenes conventions: quaternions
 * as [w, x, y, z]; camera x right, y down, z forward; ego x forward, y left, z up), and the
 * conversion of a camera-frame box to the global frame that the nuScenes metric compares in
 * (what CenterFusion's convert_eval_format does with cs_record_* and pose_record_*).
 */
import type { SamplePose } from './types';

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export function quatMul(a: readonly number[], b: readonly number[]): Quat {
  const [aw, ax, ay, az] = a;
  const [bw, bx, by, bz] = b;
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}

export function quatNormalize(q: readonly number[]): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** Rotation matrix (row-major 3x3) of a unit quaternion. */
export function quatToMatrix(q: readonly number[]): number[] {
  const [w, x, y, z] = quatNormalize(q);
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Quaternion of a rotation by `angle` around the unit `axis`. */
export function quatAxisAngle(axis: readonly number[], angle: number): Quat {
  const s = Math.sin(angle / 2);
  return [Math.cos(angle / 2), axis[0] * s, axis[1] * s, axis[2] * s];
}

export function rotate(q: readonly number[], v: readonly number[]): Vec3 {
  const m = quatToMatrix(q);
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}

export function rotateInverse(q: readonly number[], v: readonly number[]): Vec3 {
  return rotate([q[0], -q[1], -q[2], -q[3]], v);
}

/** A 4x4 homogeneous matrix (row-major nested, as the converted annotations store them). */
export function transformMatrix(translation: readonly number[], rotation: readonly number[]): number[][] {
  const m = quatToMatrix(rotation);
  return [
    [m[0], m[1], m[2], translation[0]],
    [m[3], m[4], m[5], translation[1]],
    [m[6], m[7], m[8], translation[2]],
    [0, 0, 0, 1],
  ];
}

export function matMul4(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2, 3].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j] + row[3] * b[3][j]));
}

/** A camera-frame point in the global frame. */
export function cameraToGlobal(pose: SamplePose, p: readonly number[]): Vec3 {
  const ego = rotate(pose.camToEgo.rotation, p);
  const e: Vec3 = [ego[0] + pose.camToEgo.translation[0], ego[1] + pose.camToEgo.translation[1], ego[2] + pose.camToEgo.translation[2]];
  const g = rotate(pose.egoToGlobal.rotation, e);
  return [g[0] + pose.egoToGlobal.translation[0], g[1] + pose.egoToGlobal.translation[1], g[2] + pose.egoToGlobal.translation[2]];
}

/** A camera-frame direction (velocity) in the global frame. */
export function cameraDirToGlobal(pose: SamplePose, v: readonly number[]): Vec3 {
  return rotate(pose.egoToGlobal.rotation, rotate(pose.camToEgo.rotation, v));
}

/** A global-frame direction (velocity) in the camera frame. */
export function globalDirToCamera(pose: SamplePose, v: readonly number[]): Vec3 {
  return rotateInverse(pose.camToEgo.rotation, rotateInverse(pose.egoToGlobal.rotation, v));
}

/** Orientation of a box with yaw rotY around the camera's y axis, in the camera frame. */
export function cameraBoxRotation(rotY: number): Quat {
  return quatAxisAngle([0, 1, 0], rotY);
}

export interface GlobalBox {
  translation: Vec3;
  /** [w, l, h], the devkit's size order. */
  size: Vec3;
  rotation: Quat;
  /** Global [vx, vy]. */
  velocity: [number, number];
}

/** A camera-frame box (centre, [h, w, l], rotation_y, camera velocity) in the global frame. */
export function boxToGlobal(pose: SamplePose, center: readonly number[], dim: readonly number[], rotY: number, velocityCam: readonly number[]): GlobalBox {
  const rotation = quatNormalize(quatMul(pose.egoToGlobal.rotation, quatMul(pose.camToEgo.rotation, cameraBoxRotation(rotY))));
  const v = cameraDirToGlobal(pose, velocityCam);
  return { translation: cameraToGlobal(pose, center), size: [dim[1], dim[2], dim[0]], rotation, velocity: [v[0], v[1]] };
}
