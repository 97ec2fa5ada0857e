/**
 * CenterFusion's converted nuScenes annotations (what its tools/convert_nuScenes.py writes to
 * data/nuscenes/annotations[_<N>sweeps]/<split>.json, COCO-like): the types, and a reader that
 * checks every field it uses and names the file, the entry and the field of anything wrong.
 * The synthetic world is written in exactly this format and read back through this reader.
 */
import * as fs from 'node:fs';
import { parseJsonWithNaN } from '../../shared/eval/jsonnan';
import { DatasetError } from './types';

/** The 18 rows of a radar point cloud, in nuScenes' RadarPointCloud order. */
export const RADAR_FIELDS = [
  'x', 'y', 'z', 'dyn_prop', 'id', 'rcs', 'vx', 'vy', 'vx_comp', 'vy_comp', 'is_quality_valid',
  'ambig_state', 'x_rms', 'y_rms', 'invalid_state', 'pdh0', 'vx_rms', 'vy_rms',
] as const;
export const RADAR_ROWS = RADAR_FIELDS.length;

/** convert_nuScenes.py's attribute ids (0 = none). */
export const ATTRIBUTE_TO_ID: Readonly<Record<string, number>> = {
  '': 0,
  'cycle.with_rider': 1,
  'cycle.without_rider': 2,
  'pedestrian.moving': 3,
  'pedestrian.standing': 4,
  'pedestrian.sitting_lying_down': 5,
  'vehicle.moving': 6,
  'vehicle.parked': 7,
  'vehicle.stopped': 8,
};
export const ID_TO_ATTRIBUTE: readonly string[] = Object.keys(ATTRIBUTE_TO_ID).sort((a, b) => ATTRIBUTE_TO_ID[a] - ATTRIBUTE_TO_ID[b]);

/** One entry of "images" (one camera image of a nuScenes sample). */
export interface ConvertedImage {
  id: number;
  file_name: string;
  /** 3x4 projection matrix of the full-size image. */
  calib: number[][];
  video_id?: number;
  frame_id?: number;
  sensor_id?: number;
  sample_token: string;
  /** camera -> global, 4x4. */
  trans_matrix?: number[][];
  /** Rotation part only, for velocities. */
  velocity_trans_matrix?: number[][];
  width: number;
  height: number;
  pose_record_trans: number[];
  pose_record_rot: number[];
  cs_record_trans: number[];
  cs_record_rot: number[];
  /** 18 rows (RADAR_FIELDS) of N points each, positions and compensated velocities in the camera frame. */
  radar_pc?: number[][];
  camera_intrinsic: number[][];
}

/** One entry of "annotations" (an object seen in one image), camera frame. */
export interface ConvertedAnnotation {
  id: number;
  image_id: number;
  /** 1..10 in CenterFusion's class order. */
  category_id: number;
  /** [h, w, l] metres. */
  dim: number[];
  /** Bottom centre of the 3D box. */
  location: number[];
  depth: number;
  occluded?: number;
  truncated?: number;
  rotation_y: number;
  /** The projected 3D centre, image pixels. */
  amodel_center: number[];
  iscrowd?: number;
  track_id?: number;
  /** ATTRIBUTE_TO_ID value. */
  attributes?: number;
  /** Global frame velocity (NaN where unknown). */
  velocity?: number[];
  velocity_cam?: number[];
  /** COCO [x, y, w, h], image pixels. */
  bbox: number[];
  area?: number;
  alpha: number;
  /** Not in CenterFusion's files (the synthetic world adds them): the nuScenes point counts. */
  num_lidar_pts?: number;
  num_radar_pts?: number;
}

export interface ConvertedFile {
  images: ConvertedImage[];
  annotations: ConvertedAnnotation[];
  categories: Array<{ id: number; name: string }>;
  videos?: Array<{ id: number; file_name: string }>;
  attributes?: Record<string, number>;
  pointclouds?: unknown[];
  /** Present in files the synthetic world wrote: what generated them. */
  synthetic?: { version: number; hash: string; params: Record<string, unknown> };
}

/** An image record after checking: the numbers the loader needs, radar as a flat row-major array. */
export interface ImageRecord {
  id: number;
  fileName: string;
  width: number;
  height: number;
  sampleToken: string;
  /** fx, fy, cx, cy of the full-size image. */
  intrinsic: { fx: number; fy: number; cx: number; cy: number };
  /** Row-major 3x4. */
  calib: number[];
  poseTrans: [number, number, number];
  poseRot: [number, number, number, number];
  csTrans: [number, number, number];
  csRot: [number, number, number, number];
  /** [18, N] row-major, or null when the file has no radar_pc. */
  radar: { count: number; rows: Float32Array } | null;
}

export interface AnnotationRecord {
  cls: number;
  bbox: [number, number, number, number];
  dim: [number, number, number];
  location: [number, number, number];
  depth: number;
  rotY: number;
  alpha: number;
  amodelCenter: [number, number];
  attribute: number;
  /** Camera-frame velocity, or null when unknown. */
  velocityCam: [number, number, number] | null;
  numPts: number;
  iscrowd: boolean;
}

export interface ConvertedSplit {
  path: string;
  images: ImageRecord[];
  /** Annotations per image, in file order. */
  annotations: AnnotationRecord[][];
  categories: Array<{ id: number; name: string }>;
  synthetic?: ConvertedFile['synthetic'];
}

class Checker {
  constructor(private readonly file: string) {}
  fail(where: string, what: string): never {
    throw new DatasetError(`${this.file}: ${where}: ${what}`);
  }
  num(v: unknown, where: string, field: string, allowNaN = false): number {
    if (typeof v !== 'number' || (!allowNaN && !Number.isFinite(v))) this.fail(where, `${field} must be a ${allowNaN ? '' : 'finite '}number, got ${JSON.stringify(v)}`);
    return v;
  }
  vec(v: unknown, n: number, where: string, field: string, allowNaN = false): number[] {
    if (!Array.isArray(v) || v.length < n) this.fail(where, `${field} must be a list of ${n} numbers`);
    return (v as unknown[]).slice(0, n).map((x, i) => this.num(x, where, `${field}[${i}]`, allowNaN));
  }
  mat(v: unknown, rows: number, cols: number, where: string, field: string): number[] {
    if (!Array.isArray(v) || v.length < rows) this.fail(where, `${field} must be a ${rows}x${cols} matrix`);
    return (v as unknown[]).slice(0, rows).flatMap((row, i) => this.vec(row, cols, where, `${field}[${i}]`));
  }
  str(v: unknown, where: string, field: string): string {
    if (typeof v !== 'string' || v === '') this.fail(where, `${field} must be a non-empty string`);
    return v;
  }
}

function radarRows(c: Checker, v: unknown, where: string): { count: number; rows: Float32Array } {
  if (!Array.isArray(v) || v.length < RADAR_ROWS) c.fail(where, `radar_pc must have ${RADAR_ROWS} rows (${RADAR_FIELDS.join(', ')})`);
  const rows = v as unknown[];
  const first = rows[0];
  const n = Array.isArray(first) ? first.length : -1;
  const out = new Float32Array(RADAR_ROWS * Math.max(n, 0));
  for (let r = 0; r < RADAR_ROWS; r++) {
    const row = rows[r];
    if (!Array.isArray(row) || row.length !== n) c.fail(where, `radar_pc row ${r} (${RADAR_FIELDS[r]}) must have ${n} values like row 0`);
    for (let i = 0; i < n; i++) {
      const x = row[i];
      if (typeof x !== 'number') c.fail(where, `radar_pc[${r}][${i}] is not a number`);
      out[r * n + i] = x;
    }
  }
  return { count: n, rows: out };
}

/** Checks a parsed converted-annotations document. */
export function checkConverted(doc: unknown, file: string): ConvertedSplit {
  const c = new Checker(file);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) c.fail('top level', 'expected an object with images, annotations and categories');
  const d = doc as Record<string, unknown>;
  if (!Array.isArray(d.images)) c.fail('top level', 'missing the "images" list');
  if (!Array.isArray(d.annotations)) c.fail('top level', 'missing the "annotations" list');
  const categories: Array<{ id: number; name: string }> = [];
  if (Array.isArray(d.categories)) {
    d.categories.forEach((x: unknown, i: number) => {
      const e = (x ?? {}) as Record<string, unknown>;
      categories.push({ id: c.num(e.id, `categories[${i}]`, 'id'), name: c.str(e.name, `categories[${i}]`, 'name') });
    });
  }
  const index = new Map<number, number>();
  const images: ImageRecord[] = (d.images as unknown[]).map((x, i) => {
    const where = `images[${i}]`;
    if (typeof x !== 'object' || x === null) c.fail(where, 'not an object');
    const e = x as Record<string, unknown>;
    const id = c.num(e.id, where, 'id');
    if (index.has(id)) c.fail(where, `duplicate image id ${id}`);
    index.set(id, i);
    const k = c.mat(e.camera_intrinsic ?? (Array.isArray(e.calib) ? (e.calib as unknown[][]).map((r) => r.slice(0, 3)) : undefined), 3, 3, where, 'camera_intrinsic');
    const calib = Array.isArray(e.calib) ? c.mat(e.calib, 3, 4, where, 'calib') : [k[0], k[1], k[2], 0, k[3], k[4], k[5], 0, k[6], k[7], k[8], 0];
    const width = c.num(e.width, where, 'width');
    const height = c.num(e.height, where, 'height');
    if (!(width > 0 && height > 0)) c.fail(where, `width and height must be positive, got ${width}x${height}`);
    const quat = (v: unknown, field: string, fallback: number[]): number[] => (v === undefined ? fallback : c.vec(v, 4, where, field));
    const trans = (v: unknown, field: string): number[] => (v === undefined ? [0, 0, 0] : c.vec(v, 3, where, field));
    return {
      id,
      fileName: c.str(e.file_name, where, 'file_name'),
      width,
      height,
      sampleToken: typeof e.sample_token === 'string' && e.sample_token !== '' ? e.sample_token : `image-${id}`,
      intrinsic: { fx: k[0], fy: k[4], cx: k[2], cy: k[5] },
      calib,
      poseTrans: trans(e.pose_record_trans, 'pose_record_trans') as [number, number, number],
      poseRot: quat(e.pose_record_rot, 'pose_record_rot', [1, 0, 0, 0]) as [number, number, number, number],
      csTrans: trans(e.cs_record_trans, 'cs_record_trans') as [number, number, number],
      csRot: quat(e.cs_record_rot, 'cs_record_rot', [1, 0, 0, 0]) as [number, number, number, number],
      radar: e.radar_pc === undefined || e.radar_pc === null ? null : radarRows(c, e.radar_pc, where),
    };
  });
  const annotations: AnnotationRecord[][] = images.map(() => []);
  (d.annotations as unknown[]).forEach((x, i) => {
    const where = `annotations[${i}]`;
    if (typeof x !== 'object' || x === null) c.fail(where, 'not an object');
    const e = x as Record<string, unknown>;
    const imageId = c.num(e.image_id, where, 'image_id');
    const at = index.get(imageId) ?? c.fail(where, `image_id ${imageId} is not in "images"`);
    const dim = c.vec(e.dim, 3, where, 'dim') as [number, number, number];
    const location = c.vec(e.location, 3, where, 'location') as [number, number, number];
    const bbox = c.vec(e.bbox, 4, where, 'bbox');
    const velCam = e.velocity_cam === undefined ? null : c.vec(e.velocity_cam, 3, where, 'velocity_cam', true);
    const lidar = typeof e.num_lidar_pts === 'number' ? e.num_lidar_pts : undefined;
    const radarPts = typeof e.num_radar_pts === 'number' ? e.num_radar_pts : undefined;
    const rotY = c.num(e.rotation_y, where, 'rotation_y');
    annotations[at].push({
      cls: c.num(e.category_id, where, 'category_id'),
      bbox: [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]],
      dim,
      location,
      depth: e.depth === undefined ? location[2] : c.num(e.depth, where, 'depth'),
      rotY,
      alpha: e.alpha === undefined ? rotY - Math.atan2(location[0], location[2]) : c.num(e.alpha, where, 'alpha'),
      amodelCenter: e.amodel_center === undefined ? [bbox[0] + bbox[2] / 2, bbox[1] + bbox[3] / 2] : (c.vec(e.amodel_center, 2, where, 'amodel_center') as [number, number]),
      attribute: typeof e.attributes === 'number' ? e.attributes : 0,
      // Unknown velocities are NaN (or CenterFusion's -1000 marker); such objects get no target.
      velocityCam: velCam && velCam.every((v) => Number.isFinite(v)) && Math.min(...velCam) > -1000 ? (velCam as [number, number, number]) : null,
      // The converted files carry no point counts; without them every object counts as seen.
      numPts: lidar === undefined && radarPts === undefined ? 1 : (lidar ?? 0) + (radarPts ?? 0),
      iscrowd: typeof e.iscrowd === 'number' && e.iscrowd > 0,
    });
  });
  const synthetic = d.synthetic as ConvertedFile['synthetic'];
  return { path: file, images, annotations, categories, synthetic };
}

/** Reads and checks one converted annotation file; DatasetError names the file and the problem. */
export function readConverted(file: string): ConvertedSplit {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `annotation file not found: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseJsonWithNaN(bytes);
  } catch (e) {
    throw new DatasetError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return checkConverted(doc, file);
}
