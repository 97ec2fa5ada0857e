/**
 * The embedded dataset: small nuScenes-like camera samples generated from a seed. Each sample
 * places a few objects of the ten nuScenes classes (class-typical sizes, random depth, heading
 * and speed) in front of a pinhole camera 1.5 m above a flat road, projects their 3D boxes,
 * paints each box as a shaded block of its class colour over a sky/road background with noise,
 * and builds CenterNet's targets at the output resolution. Sample i of a split depends only on
 * (seed, split, i), so any subset can be regenerated exactly.
 */
import { deriveSeed, Rng } from '../prng';
import { drawGaussian, emptyRegTargets, encodeRotation, gaussianRadius, REG_CHANNELS, setRegTarget, wrapAngle } from './targets';
import type { Calib, Dataset, Geometry, Object3D, Sample } from './types';

/** Default split sizes (the train split grows to hold --num_iters batches). */
export const SYNTHETIC_TRAIN_SIZE = 32;
export const SYNTHETIC_VAL_SIZE = 32;
/** Object slots per sample (CenterFusion's nuScenes max_objs). */
export const SYNTHETIC_MAX_OBJS = 128;

/** Typical [height, width, length] in metres per nuScenes class (devkit order). */
export const CLASS_DIMS: ReadonlyArray<[number, number, number]> = [
  [1.73, 1.96, 4.63], // car
  [2.84, 2.51, 6.93], // truck
  [3.44, 2.94, 10.5], // bus
  [3.87, 2.9, 12.29], // trailer
  [3.19, 2.73, 6.37], // construction_vehicle
  [1.77, 0.67, 0.73], // pedestrian
  [1.47, 0.77, 2.11], // motorcycle
  [1.28, 0.61, 1.7], // bicycle
  [1.08, 0.41, 0.41], // traffic_cone
  [0.99, 2.49, 0.48], // barrier
];

/** RGB in [0, 1] per class. */
export const CLASS_COLOURS: ReadonlyArray<[number, number, number]> = [
  [0.85, 0.2, 0.2],
  [0.95, 0.55, 0.1],
  [0.95, 0.85, 0.15],
  [0.55, 0.35, 0.15],
  [0.9, 0.65, 0.0],
  [0.2, 0.45, 0.95],
  [0.6, 0.2, 0.8],
  [0.1, 0.75, 0.7],
  [1.0, 0.45, 0.0],
  [0.9, 0.9, 0.9],
];

/** Highest speed (m/s) per class; cones and barriers stand still. */
const CLASS_MAX_SPEED = [14, 12, 10, 8, 3, 1.6, 12, 6, 0, 0];

/** CenterFusion's nuScenes attribute order (nuscenes_att channel i = attribute i + 1). */
export const NUSCENES_ATTRIBUTES = [
  'cycle.with_rider',
  'cycle.without_rider',
  'pedestrian.moving',
  'pedestrian.standing',
  'pedestrian.sitting_lying_down',
  'vehicle.moving',
  'vehicle.parked',
  'vehicle.stopped',
] as const;

/** The attribute channels competing with each attribute (CenterFusion's nuscenes_att_range). */
export const ATTRIBUTE_GROUPS: ReadonlyArray<readonly number[]> = [[0, 1], [0, 1], [2, 3, 4], [2, 3, 4], [2, 3, 4], [5, 6, 7], [5, 6, 7], [5, 6, 7]];

/** The attribute group of a class index, or null for classes without attributes. */
export function attributeGroupOf(cls: number): readonly number[] | null {
  if (cls <= 4) return ATTRIBUTE_GROUPS[5];
  if (cls === 5) return ATTRIBUTE_GROUPS[2];
  if (cls === 6 || cls === 7) return ATTRIBUTE_GROUPS[0];
  return null;
}

function attributeFor(cls: number, speed: number): string {
  if (cls <= 4) return speed > 0.5 ? 'vehicle.moving' : 'vehicle.parked';
  if (cls === 5) return speed > 0.3 ? 'pedestrian.moving' : 'pedestrian.standing';
  if (cls === 6 || cls === 7) return speed > 0.5 ? 'cycle.with_rider' : 'cycle.without_rider';
  return '';
}

/** Camera height above the road, metres. */
const CAMERA_HEIGHT = 1.5;
/** Image normalisation (like CenterNet's per-channel mean/std). */
const PIXEL_MEAN = 0.45;
const PIXEL_STD = 0.25;

/** The synthetic camera for an input size: focal length 0.8·width, principal point centred. */
export function syntheticCalib(inputH: number, inputW: number): Calib {
  return { f: 0.8 * inputW, cx: inputW / 2, cy: inputH / 2 };
}

/** Projects a camera-frame point to pixels. */
export function project(p: readonly number[], calib: Calib): [number, number] {
  return [calib.f * (p[0] / p[2]) + calib.cx, calib.f * (p[1] / p[2]) + calib.cy];
}

/** The 8 corners of a 3D box (KITTI convention: length along x before rotation about y). */
export function boxCorners(obj: Object3D): Array<[number, number, number]> {
  const [h, w, l] = obj.dim;
  const c = Math.cos(obj.rotY);
  const s = Math.sin(obj.rotY);
  const corners: Array<[number, number, number]> = [];
  for (const dx of [l / 2, -l / 2]) {
    for (const dy of [h / 2, -h / 2]) {
      for (const dz of [w / 2, -w / 2]) {
        corners.push([obj.center[0] + c * dx + s * dz, obj.center[1] + dy, obj.center[2] - s * dx + c * dz]);
      }
    }
  }
  return corners;
}

const SPLIT_IDS: Record<string, number> = { train: 1, val: 2 };

export interface SyntheticOptions {
  seed: number;
  /** 'train' or 'val' (CenterFusion's split names map onto these two streams). */
  split: 'train' | 'val';
  size: number;
  geometry: Geometry;
  classNames: readonly string[];
}

export class SyntheticDataset implements Dataset {
  readonly name = 'synthetic';
  readonly split: string;
  readonly size: number;
  readonly geometry: Geometry;
  readonly classNames: readonly string[];
  private readonly seed: number;
  private readonly calib: Calib;

  constructor(options: SyntheticOptions) {
    this.split = options.split;
    this.size = options.size;
    this.geometry = options.geometry;
    this.classNames = options.classNames;
    this.seed = options.seed;
    this.calib = syntheticCalib(options.geometry.inputH, options.geometry.inputW);
  }

  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`sample ${index} is outside the ${this.split} split (0..${this.size - 1})`);
    }
    const rng = new Rng(deriveSeed(this.seed, SPLIT_IDS[this.split], index));
    const objects = this.placeObjects(rng);
    const image = this.paint(objects, rng);
    return this.buildTargets(`synthetic-${this.split}-${this.seed}-${index}`, image, objects);
  }

  private placeObjects(rng: Rng): Object3D[] {
    const { inputW } = this.geometry;
    const classes = Math.max(1, Math.min(this.geometry.numClasses, CLASS_DIMS.length));
    const count = rng.int(1, 4);
    const objects: Object3D[] = [];
    for (let i = 0; i < count; i++) {
      const cls = rng.int(0, classes - 1);
      const base = CLASS_DIMS[cls];
      const dim: [number, number, number] = [
        base[0] * rng.uniform(0.9, 1.1),
        base[1] * rng.uniform(0.9, 1.1),
        base[2] * rng.uniform(0.9, 1.1),
      ];
      const z = rng.uniform(4 + dim[2] / 2, 26);
      const u = rng.uniform(0.15 * inputW, 0.85 * inputW);
      const x = ((u - this.calib.cx) * z) / this.calib.f;
      const y = CAMERA_HEIGHT - dim[0] / 2;
      const rotY = rng.uniform(-Math.PI, Math.PI);
      const speed = CLASS_MAX_SPEED[cls] > 0 && rng.next() < 0.6 ? rng.uniform(0, CLASS_MAX_SPEED[cls]) : 0;
      const velocityCam: [number, number, number] = [speed * Math.cos(rotY), 0, -speed * Math.sin(rotY)];
      objects.push({
        cls,
        center: [x, y, z],
        dim,
        rotY,
        velocityCam,
        attribute: attributeFor(cls, speed),
        numPts: rng.int(1, 12),
      });
    }
    return objects;
  }

  /** Projected 2D box [x1, y1, x2, y2] (unclipped) and the projected 3D centre. */
  private box2d(obj: Object3D): { box: [number, number, number, number]; centre: [number, number] } {
    let x1 = Infinity;
    let y1 = Infinity;
    let x2 = -Infinity;
    let y2 = -Infinity;
    for (const corner of boxCorners(obj)) {
      const [u, v] = project(corner, this.calib);
      x1 = Math.min(x1, u);
      y1 = Math.min(y1, v);
      x2 = Math.max(x2, u);
      y2 = Math.max(y2, v);
    }
    return { box: [x1, y1, x2, y2], centre: project(obj.center, this.calib) };
  }

  private paint(objects: Object3D[], rng: Rng): Float32Array {
    const { inputH: H, inputW: W } = this.geometry;
    const img = new Float32Array(H * W * 3);
    const horizon = this.calib.cy;
    for (let y = 0; y < H; y++) {
      let rgb: [number, number, number];
      if (y < horizon) {
        const t = y / Math.max(horizon, 1);
        rgb = [0.5 + 0.2 * t, 0.65 + 0.15 * t, 0.9];
      } else {
        const t = (y - horizon) / Math.max(H - horizon, 1);
        rgb = [0.38 - 0.1 * t, 0.38 - 0.1 * t, 0.4 - 0.1 * t];
      }
      for (let x = 0; x < W; x++) {
        const at = (y * W + x) * 3;
        img[at] = rgb[0];
        img[at + 1] = rgb[1];
        img[at + 2] = rgb[2];
      }
    }
    // Far objects first, so that near ones cover them.
    const order = objects.map((_, i) => i).sort((a, b) => objects[b].center[2] - objects[a].center[2]);
    for (const i of order) {
      const obj = objects[i];
      const { box, centre } = this.box2d(obj);
      const x1 = Math.max(0, Math.floor(box[0]));
      const x2 = Math.min(W - 1, Math.ceil(box[2]));
      const y1 = Math.max(0, Math.floor(box[1]));
      const y2 = Math.min(H - 1, Math.ceil(box[3]));
      const colour = CLASS_COLOURS[obj.cls % CLASS_COLOURS.length];
      for (let y = y1; y <= y2; y++) {
        const vertical = 1 - (0.3 * (y - y1)) / Math.max(y2 - y1, 1);
        for (let x = x1; x <= x2; x++) {
          const side = x < centre[0] ? 0.85 : 1;
          const at = (y * W + x) * 3;
          for (let c = 0; c < 3; c++) img[at + c] = colour[c] * vertical * side;
        }
      }
    }
    for (let i = 0; i < img.length; i++) img[i] = (img[i] + 0.03 * rng.normal() - PIXEL_MEAN) / PIXEL_STD;
    return img;
  }

  private buildTargets(token: string, image: Float32Array, objects: Object3D[]): Sample {
    const g = this.geometry;
    const M = g.maxObjs;
    const C = g.numClasses;
    const d = g.downRatio;
    const hm = new Float32Array(g.outputH * g.outputW * C);
    const ind = new Int32Array(M);
    const mask = new Float32Array(M);
    const cat = new Int32Array(M);
    const rotbin = new Int32Array(M * 2);
    const rotres = new Float32Array(M * 2);
    const reg = emptyRegTargets(M, REG_CHANNELS);
    const set = (name: string, k: number, values: readonly number[], maskValues?: readonly number[]): void =>
      setRegTarget(reg, name, k, values, maskValues);

    const kept: Object3D[] = [];
    let k = 0;
    for (const obj of objects) {
      if (k >= M) break;
      const { box, centre } = this.box2d(obj);
      const bx1 = Math.min(Math.max(box[0] / d, 0), g.outputW - 1);
      const bx2 = Math.min(Math.max(box[2] / d, 0), g.outputW - 1);
      const by1 = Math.min(Math.max(box[1] / d, 0), g.outputH - 1);
      const by2 = Math.min(Math.max(box[3] / d, 0), g.outputH - 1);
      const h = by2 - by1;
      const w = bx2 - bx1;
      kept.push(obj);
      if (!(h > 0 && w > 0)) continue;
      const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(h), Math.ceil(w))));
      const ctx = (bx1 + bx2) / 2;
      const cty = (by1 + by2) / 2;
      const ix = Math.floor(ctx);
      const iy = Math.floor(cty);
      drawGaussian(hm, g.outputH, g.outputW, C, obj.cls, ix, iy, radius);
      ind[k] = iy * g.outputW + ix;
      mask[k] = 1;
      cat[k] = obj.cls;
      set('wh', k, [w, h]);
      set('reg', k, [ctx - ix, cty - iy]);
      set('dep', k, [obj.center[2]]);
      set('dim', k, obj.dim);
      set('amodel_offset', k, [centre[0] / d - ix, centre[1] / d - iy]);
      set('velocity', k, obj.velocityCam);
      set('ltrb', k, [bx1 - ix, by1 - iy, bx2 - ix, by2 - iy]);
      set('ltrb_amodal', k, [box[0] / d - ix, box[1] / d - iy, box[2] / d - ix, box[3] / d - iy]);
      const attIndex = NUSCENES_ATTRIBUTES.indexOf(obj.attribute as (typeof NUSCENES_ATTRIBUTES)[number]);
      const attTarget = new Array<number>(8).fill(0);
      const attMask = new Array<number>(8).fill(0);
      if (attIndex >= 0) {
        attTarget[attIndex] = 1;
        for (const a of ATTRIBUTE_GROUPS[attIndex]) attMask[a] = 1;
      }
      set('nuscenes_att', k, attTarget, attMask);
      const alpha = wrapAngle(obj.rotY - Math.atan2(obj.center[0], obj.center[2]));
      const { bin, res } = encodeRotation(alpha);
      rotbin[2 * k] = bin[0];
      rotbin[2 * k + 1] = bin[1];
      rotres[2 * k] = res[0];
      rotres[2 * k + 1] = res[1];
      k++;
    }
    return { token, image, hm, ind, mask, cat, reg, rotbin, rotres, objects: kept, calib: this.calib };
  }
}
