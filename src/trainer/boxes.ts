/**
 * Camera-frame boxes to nuScenes boxes in the global frame: camera -> ego (the camera's
 * calibrated extrinsics) -> global (the ego pose), as CenterFusion's nuScenes result conversion
 * does with the devkit's Box.rotate/translate. Quaternions are [w, x, y, z].
 *
 * Camera frame: x right, y down, z forward. A box with rotation_y = 0 heads along the camera's
 * +x; its heading is (cos ry, 0, -sin ry). A nuScenes box's own axes are x forward (length),
 * y left (width), z up (height).
 */
import type { SamplePose } from './data/types';

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

/** Rotation matrix (rows) of a unit quaternion [w, x, y, z]. */
export function quatToMatrix(q: readonly number[]): Mat3 {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  const [w, x, y, z] = [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ];
}

/** A unit quaternion [w, x, y, z] (w >= 0) of a rotation matrix. */
export function matrixToQuat(m: Mat3): Quat {
  const tr = m[0][0] + m[1][1] + m[2][2];
  let q: Quat;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s];
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    const s = Math.sqrt(1 + m[0][0] - m[1][1] - m[2][2]) * 2;
    q = [(m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s];
  } else if (m[1][1] > m[2][2]) {
    const s = Math.sqrt(1 + m[1][1] - m[0][0] - m[2][2]) * 2;
    q = [(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s];
  } else {
    const s = Math.sqrt(1 + m[2][2] - m[0][0] - m[1][1]) * 2;
    q = [(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s];
  }
  return q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q;
}

function mulMat(a: Mat3, b: Mat3): Mat3 {
  const r: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return r;
}

function apply(m: Mat3, v: readonly number[]): Vec3 {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
  ];
}

/**
 * The pose used when a sample has none: the camera at the ego origin looking along ego +x
 * (camera z -> ego x, camera x -> ego -y, camera y -> ego -z), ego = global.
 */
export const DEFAULT_POSE: SamplePose = {
  camToEgo: { translation: [0, 0, 0], rotation: [0.5, -0.5, 0.5, -0.5] },
  egoToGlobal: { translation: [0, 0, 0], rotation: [1, 0, 0, 0] },
};

export interface GlobalBox {
  translation: Vec3;
  /** nuScenes [width, length, height]. */
  size: Vec3;
  rotation: Quat;
  /** [vx, vy] in the global frame. */
  velocity: [number, number];
}

/** A camera-frame box (centre, CenterNet dim [h, w, l], rotation_y, velocity) in the global frame. */
export function cameraBoxToGlobal(
  center: readonly number[],
  dim: readonly number[],
  rotY: number,
  velocityCam: readonly number[],
  pose: SamplePose = DEFAULT_POSE,
): GlobalBox {
  const rc = quatToMatrix(pose.camToEgo.rotation);
  const rg = quatToMatrix(pose.egoToGlobal.rotation);
  const r = mulMat(rg, rc);
  const ego = apply(rc, center);
  const pe: Vec3 = [ego[0] + pose.camToEgo.translation[0], ego[1] + pose.camToEgo.translation[1], ego[2] + pose.camToEgo.translation[2]];
  const g = apply(rg, pe);
  const translation: Vec3 = [g[0] + pose.egoToGlobal.translation[0], g[1] + pose.egoToGlobal.translation[1], g[2] + pose.egoToGlobal.translation[2]];
  // The box's axes in the camera frame (columns): heading, left = up × heading, up.
  const heading: Vec3 = [Math.cos(rotY), 0, -Math.sin(rotY)];
  const up: Vec3 = [0, -1, 0];
  const left: Vec3 = [up[1] * heading[2] - up[2] * heading[1], up[2] * heading[0] - up[0] * heading[2], up[0] * heading[1] - up[1] * heading[0]];
  const boxCam: Mat3 = [
    [heading[0], left[0], up[0]],
    [heading[1], left[1], up[1]],
    [heading[2], left[2], up[2]],
  ];
  const rotation = matrixToQuat(mulMat(r, boxCam));
  const v = apply(r, velocityCam);
  return { translation, size: [dim[1], dim[2], dim[0]], rotation, velocity: [v[0], v[1]] };
}

/** The ego position in the global frame (the metric's distance filter measures from it). */
export function egoTranslation(pose: SamplePose = DEFAULT_POSE): Vec3 {
  return [...pose.egoToGlobal.translation] as Vec3;
}
