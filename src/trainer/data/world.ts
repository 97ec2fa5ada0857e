/**
 * The synthetic nuScenes-like world: one front-camera sample per (seed, stream, index).
 *
 * - Camera: nuScenes' CAM_FRONT (fx 1266.4, principal point (816.3, 491.5) at 1600×900, 1.51 m
 *   above the road, 1.70 m ahead of the ego origin, looking along the ego x axis), scaled to the
 *   image width and centred vertically.
 * - Objects: 3–8 of the ten detection classes (car-heavy mix), class-typical sizes ±10 %, 3–60 m
 *   ahead (mostly near: median 13 m, see DEPTH_SKEW), inside the field of view, standing on the road, not overlapping;
 *   vehicles mostly along the road, pedestrians and cones anywhere; speeds, velocities and
 *   attributes per class (vehicle moving/parked/stopped, pedestrian moving/standing/sitting,
 *   cycle with/without rider).
 * - Radar (RADAR_FRONT, 0.5 m above the road, 3.41 m ahead of the ego origin): returns on the
 *   faces of each object that face the radar, more for large and near objects, with range and
 *   azimuth noise, some objects missed entirely, older sweeps shifted back along the object's
 *   motion, plus static clutter on the ground; each point in nuScenes' 18-field layout with
 *   positions and compensated velocities in the camera frame (as convert_nuScenes.py stores them).
 * - Ego pose: a random global position and heading, and an ego speed that the raw (uncompensated)
 *   radar velocities include.
 */
import { deriveSeed, Rng } from '../prng';
import { quatAxisAngle, type Quat, type Vec3 } from './pose';
import { CLASS_DIMS } from './synthetic';
import { RADAR_ROWS } from './converted';

/** nuScenes CAM_FRONT at 1600×900 (a typical calibration of the trainval set). */
export const CAM_FRONT = {
  width: 1600,
  height: 900,
  fx: 1266.417203046554,
  fy: 1266.417203046554,
  cx: 816.2670197447984,
  cy: 491.50706579294757,
  /** Ego frame (x forward, y left, z up, origin on the ground). */
  translation: [1.70079118954, 0.0159456324149, 1.51095763913] as Vec3,
  /** Camera (x right, y down, z forward) to ego: the camera looks along ego x. */
  rotation: [0.5, -0.5, 0.5, -0.5] as Quat,
};
export const RADAR_FRONT_TRANSLATION: Vec3 = [3.412, 0.0, 0.5];

export interface Camera {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

/** CAM_FRONT scaled to an image `width` pixels wide, principal point kept centred vertically. */
export function scaledCamera(width: number, height: number): Camera {
  const k = width / CAM_FRONT.width;
  return { fx: CAM_FRONT.fx * k, fy: CAM_FRONT.fy * k, cx: CAM_FRONT.cx * k, cy: CAM_FRONT.cy * k + (height - CAM_FRONT.height * k) / 2, width, height };
}

/** Height of the camera above the road: the road is the plane y = CAMERA_HEIGHT in the camera frame. */
export const CAMERA_HEIGHT = CAM_FRONT.translation[2];
/** The radar in the camera frame. */
export const RADAR_IN_CAMERA: Vec3 = [
  -(RADAR_FRONT_TRANSLATION[1] - CAM_FRONT.translation[1]),
  CAM_FRONT.translation[2] - RADAR_FRONT_TRANSLATION[2],
  RADAR_FRONT_TRANSLATION[0] - CAM_FRONT.translation[0],
];

export interface WorldObject {
  cls: number;
  /** [h, w, l] */
  dim: [number, number, number];
  /** Box centre, camera frame. */
  center: Vec3;
  rotY: number;
  velocityCam: Vec3;
  attribute: string;
  numLidarPts: number;
  numRadarPts: number;
}

export interface WorldSample {
  token: string;
  camera: Camera;
  egoTranslation: Vec3;
  egoRotation: Quat;
  /** Ego speed along its x axis, m/s. */
  egoSpeed: number;
  objects: WorldObject[];
  /** [18, count] row-major radar points. */
  radar: { count: number; rows: Float32Array };
}

/** Relative frequency of each class (nuScenes order). */
const CLASS_WEIGHTS = [3, 1.2, 0.8, 0.8, 0.8, 2, 0.9, 0.9, 1.2, 1.2];
/** Highest speed per class, m/s. */
const MAX_SPEED = [14, 12, 10, 8, 3, 1.8, 12, 6, 0, 0];
/** Mean radar returns per sweep at short range, per class. */
const RADAR_RATE = [3, 4.5, 5, 5, 4, 1, 1.4, 1.2, 0.7, 1.5];
/** Probability that the radar misses an object altogether. */
const RADAR_MISS = [0.06, 0.05, 0.04, 0.05, 0.05, 0.3, 0.2, 0.25, 0.4, 0.2];
/** Radar cross-section (dBsm) mean per class. */
const RCS = [5, 12, 15, 13, 12, -5, 0, -2, -8, 2];

/**
 * Object depth is 3 + 57 · u^DEPTH_SKEW m (u uniform): the nuScenes-like 3–60 m range, with most
 * objects near (median 13 m, 21 % beyond 35 m). At the synthetic 112×64 input a car 40 m away is
 * 5 pixels wide (about 1 output pixel), too small for the tiny network to place within the nuScenes
 * match distances; with the earlier skew 1.4 (median 25 m) the validation mAP stayed near 0.
 */
export const DEPTH_SKEW = 2.5;

export const STREAM_IDS: Record<'train' | 'val', number> = { train: 1, val: 2 };

function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

function hex32(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += rng.nextU32().toString(16).padStart(8, '0');
  return s;
}

/** Footprint corners (x, z) of an object, counter-clockwise seen from above. */
export function footprint(o: Pick<WorldObject, 'center' | 'dim' | 'rotY'>): Array<[number, number]> {
  const [, w, l] = o.dim;
  const c = Math.cos(o.rotY);
  const s = Math.sin(o.rotY);
  return [
    [l / 2, w / 2],
    [l / 2, -w / 2],
    [-l / 2, -w / 2],
    [-l / 2, w / 2],
  ].map(([dx, dz]) => [o.center[0] + c * dx + s * dz, o.center[2] - s * dx + c * dz] as [number, number]);
}

function attributeFor(rng: Rng, cls: number): { attribute: string; speed: number } {
  const max = MAX_SPEED[cls];
  const r = rng.next();
  if (cls <= 4) {
    if (r < 0.5) return { attribute: 'vehicle.moving', speed: rng.uniform(Math.min(2, max), max) };
    return { attribute: r < 0.65 ? 'vehicle.stopped' : 'vehicle.parked', speed: 0 };
  }
  if (cls === 5) {
    if (r < 0.6) return { attribute: 'pedestrian.moving', speed: rng.uniform(0.5, max) };
    return { attribute: r < 0.95 ? 'pedestrian.standing' : 'pedestrian.sitting_lying_down', speed: 0 };
  }
  if (cls === 6 || cls === 7) {
    if (r < 0.7) return { attribute: 'cycle.with_rider', speed: rng.next() < 0.8 ? rng.uniform(1.5, max) : 0 };
    return { attribute: 'cycle.without_rider', speed: 0 };
  }
  return { attribute: '', speed: 0 };
}

function placeObjects(rng: Rng, cam: Camera, numClasses: number): WorldObject[] {
  const count = rng.int(3, 8);
  const objects: WorldObject[] = [];
  const weights = CLASS_WEIGHTS.slice(0, Math.max(1, Math.min(numClasses, CLASS_WEIGHTS.length)));
  for (let n = 0; n < count; n++) {
    for (let attempt = 0; attempt < 25; attempt++) {
      const cls = pickWeighted(rng, weights);
      const base = CLASS_DIMS[cls];
      const dim: [number, number, number] = [base[0] * rng.uniform(0.9, 1.1), base[1] * rng.uniform(0.9, 1.1), base[2] * rng.uniform(0.9, 1.1)];
      const z = 3 + 57 * Math.pow(rng.next(), DEPTH_SKEW);
      const u = rng.uniform(0.04 * cam.width, 0.96 * cam.width);
      const x = ((u - cam.cx) * z) / cam.fx;
      let rotY: number;
      const alongRoad = cls <= 4 || cls === 6 || cls === 7 ? 0.7 : cls === 9 ? 0.8 : 0;
      if (rng.next() < alongRoad) {
        // Heading along +z (away) is rotY = -pi/2, oncoming +pi/2; barriers lie along the road.
        const base0 = cls === 9 ? 0 : rng.next() < 0.6 ? -Math.PI / 2 : Math.PI / 2;
        rotY = base0 + rng.normal() * 0.12;
      } else {
        rotY = rng.uniform(-Math.PI, Math.PI);
      }
      const { attribute, speed } = attributeFor(rng, cls);
      const candidate = { center: [x, CAMERA_HEIGHT - dim[0] / 2, z] as Vec3, dim, rotY };
      const corners = footprint(candidate);
      if (Math.min(...corners.map((c) => c[1])) < 1.2) continue;
      const radius = 0.5 * Math.hypot(dim[1], dim[2]);
      const clash = objects.some((o) => Math.hypot(o.center[0] - x, o.center[2] - z) < radius + 0.5 * Math.hypot(o.dim[1], o.dim[2]) + 0.3);
      if (clash) continue;
      objects.push({
        cls,
        dim,
        center: candidate.center,
        rotY,
        // (+ 0 turns -0 into 0, which is what the JSON file reads back as)
        velocityCam: [speed * Math.cos(rotY) + 0, 0, -speed * Math.sin(rotY) + 0],
        attribute,
        numLidarPts: 0,
        numRadarPts: 0,
      });
      break;
    }
  }
  return objects;
}

/** Radar points of a sample: [18, N] rows, camera frame, compensated velocities as (x, z). */
function simulateRadar(rng: Rng, objects: WorldObject[], egoSpeed: number, sweeps: number): { count: number; rows: Float32Array } {
  const pts: number[][] = [];
  const [rx, ry, rz] = RADAR_IN_CAMERA;
  const push = (x: number, z: number, vObj: [number, number], rcs: number, dynProp: number): void => {
    const dx = x - rx;
    const dz = z - rz;
    const range = Math.hypot(dx, dz);
    const ux = dx / range;
    const uz = dz / range;
    const vr = vObj[0] * ux + vObj[1] * uz + rng.normal() * 0.1;
    // Relative to the moving radar (the ego moves along camera +z).
    const vrRel = vObj[0] * ux + (vObj[1] - egoSpeed) * uz;
    const row = new Array<number>(RADAR_ROWS).fill(0);
    row[0] = x;
    row[1] = ry;
    row[2] = z;
    row[3] = dynProp;
    row[4] = pts.length;
    row[5] = rcs;
    // Raw velocity in the radar frame (x forward = camera z, y left = -camera x).
    row[6] = vrRel * uz;
    row[7] = -vrRel * ux;
    // Compensated velocity, rotated to the camera frame (x, z), as CenterFusion's converter stores it.
    row[8] = vr * ux;
    row[9] = vr * uz;
    row[10] = 1;
    row[11] = 3;
    row[12] = rng.int(2, 8);
    row[13] = rng.int(2, 8);
    row[14] = 0;
    row[15] = 1;
    row[16] = 17;
    row[17] = 17;
    pts.push(row);
  };
  const sweepGain = Math.pow(Math.max(1, sweeps), 0.7);
  for (const o of objects) {
    if (rng.next() < RADAR_MISS[o.cls]) continue;
    const rangeGain = o.center[2] < 30 ? 1 : Math.max(0.35, 1 - (o.center[2] - 30) / 50);
    const n = Math.floor(RADAR_RATE[o.cls] * sweepGain * rangeGain + rng.next());
    const corners = footprint(o);
    // Edges facing the radar (outward normal towards it), weighted by length.
    const edges: Array<{ a: [number, number]; b: [number, number]; len: number }> = [];
    for (let i = 0; i < 4; i++) {
      const a = corners[i];
      const b = corners[(i + 1) % 4];
      const mx = (a[0] + b[0]) / 2;
      const mz = (a[1] + b[1]) / 2;
      const nx = mx - o.center[0];
      const nz = mz - o.center[2];
      if (nx * (rx - mx) + nz * (rz - mz) > 0) edges.push({ a, b, len: Math.hypot(b[0] - a[0], b[1] - a[1]) });
    }
    if (edges.length === 0) continue;
    for (let k = 0; k < n; k++) {
      const e = edges[pickWeighted(rng, edges.map((x) => x.len))];
      const t = rng.next();
      let x = e.a[0] + (e.b[0] - e.a[0]) * t;
      let z = e.a[1] + (e.b[1] - e.a[1]) * t;
      // Older sweeps (about 13 Hz) saw the object where it was then.
      const dt = 0.077 * rng.int(0, Math.max(1, sweeps) - 1);
      x -= o.velocityCam[0] * dt;
      z -= o.velocityCam[2] * dt;
      // Range and azimuth noise around the radar.
      const range = Math.hypot(x - rx, z - rz) + rng.normal() * 0.15;
      const az = Math.atan2(x - rx, z - rz) + rng.normal() * 0.005;
      x = rx + range * Math.sin(az);
      z = rz + range * Math.cos(az);
      const moving = Math.hypot(o.velocityCam[0], o.velocityCam[2]) > 0.5;
      push(x, z, [o.velocityCam[0], o.velocityCam[2]], RCS[o.cls] + rng.normal() * 3, moving ? 0 : 1);
      o.numRadarPts++;
    }
  }
  const clutter = Math.round(rng.int(3, 10) * Math.sqrt(Math.max(1, sweeps)));
  for (let k = 0; k < clutter; k++) {
    const z = rng.uniform(3, 90);
    const x = rng.uniform(-0.8, 0.8) * z;
    push(x, z, [rng.normal() * 0.2, rng.normal() * 0.2], rng.uniform(-15, 5), rng.next() < 0.5 ? 1 : 3);
  }
  const count = pts.length;
  const rows = new Float32Array(RADAR_ROWS * count);
  pts.forEach((row, i) => {
    for (let r = 0; r < RADAR_ROWS; r++) rows[r * count + i] = row[r] + 0;
  });
  return { count, rows };
}

/** One world sample; depends only on its arguments. */
export function generateWorldSample(seed: number, stream: 'train' | 'val', index: number, width: number, height: number, sweeps: number, numClasses = 10): WorldSample {
  const rng = new Rng(deriveSeed(seed, STREAM_IDS[stream], index, 0x776f726c));
  const camera = scaledCamera(width, height);
  const token = hex32(rng);
  const egoTranslation: Vec3 = [rng.uniform(300, 2000), rng.uniform(600, 1800), 0];
  const egoRotation = quatAxisAngle([0, 0, 1], rng.uniform(-Math.PI, Math.PI));
  const egoSpeed = rng.next() < 0.3 ? 0 : rng.uniform(2, 12);
  const objects = placeObjects(rng, camera, numClasses);
  const radar = simulateRadar(rng, objects, egoSpeed, sweeps);
  for (const o of objects) {
    const z = o.center[2];
    const lidar = Math.floor((2500 * o.dim[0] * Math.max(o.dim[1], o.dim[2]) * rng.uniform(0.7, 1.3)) / (z * z));
    o.numLidarPts = z > 55 && lidar < 2 ? 0 : lidar;
  }
  return { token, camera, egoTranslation, egoRotation, egoSpeed, objects, radar };
}
