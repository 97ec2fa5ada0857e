/**
 * Writes the synthetic world once, in CenterFusion's converted-nuScenes layout, under a cache
 * folder, and reuses it when the generation parameters are the same:
 *
 *   <data_dir>/synthetic/<key>/
 *     annotations[_<N>sweeps]/<split>.json     COCO-like, as convert_nuScenes.py writes it
 *     samples/CAM_FRONT/<stream>_<index>.png  the rendered images (8-bit RGB PNG)
 *
 * <key> is a hash of what decides the pixels and points (generator version, seed, image size,
 * radar sweeps, classes). Every file is written to a temporary name and renamed, the annotation
 * file last, so a reader sees a complete split or none. A split file records the hash of its own
 * parameters (key, stream, size) under "synthetic"; a file whose hash differs is regenerated.
 * Sample i of a stream depends only on (seed, stream, i), so images are shared between sizes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveSeed, Rng } from '../prng';
import { writeFileAtomic } from '../fsutil';
import { ATTRIBUTE_TO_ID, RADAR_FIELDS, type ConvertedAnnotation, type ConvertedFile, type ConvertedImage } from './converted';
import { encodePng } from './png';
import { matMul4, rotate, transformMatrix } from './pose';
import { renderWorldSample } from './render';
import { boxCorners } from './synthetic';
import { CAM_FRONT, generateWorldSample, STREAM_IDS, type WorldSample } from './world';

/** Bump when the world or its rendering changes, so old caches are not reused. */
export const WORLD_VERSION = 2;

export interface WorldParams {
  seed: number;
  width: number;
  height: number;
  sweeps: number;
  classNames: readonly string[];
}

export interface SplitRequest {
  /** The split's file name (train, val, mini_val, ...). */
  name: string;
  stream: 'train' | 'val';
  size: number;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export function worldKey(p: WorldParams): string {
  return hashOf({ v: WORLD_VERSION, seed: p.seed, w: p.width, h: p.height, sweeps: p.sweeps, classes: p.classNames });
}

/** CenterFusion's annotation folder name for a number of radar sweeps. */
export function annotationsDirName(sweeps: number): string {
  return sweeps > 1 ? `annotations_${sweeps}sweeps` : 'annotations';
}

export function worldDir(dataDir: string, p: WorldParams): string {
  return path.join(dataDir, 'synthetic', worldKey(p));
}

function project(cam: WorldSample['camera'], p: readonly number[]): [number, number] {
  return [(cam.fx * p[0]) / p[2] + cam.cx, (cam.fy * p[1]) / p[2] + cam.cy];
}

/** convert_nuScenes.py's occlusion filter: hidden if farther than another box and inside it. */
function hiddenBehind(a: ConvertedAnnotation, b: ConvertedAnnotation): boolean {
  const inside = a.bbox[0] > b.bbox[0] && a.bbox[0] + a.bbox[2] < b.bbox[0] + b.bbox[2] && a.bbox[1] > b.bbox[1] && a.bbox[1] + a.bbox[3] < b.bbox[1] + b.bbox[3];
  return inside && a.depth - Math.min(...a.dim) / 2 > b.depth + Math.max(...b.dim) / 2;
}

/** The converted-format image and annotation entries of one world sample. */
export function toConverted(s: WorldSample, imageId: number, fileName: string, firstAnnId: number): { image: ConvertedImage; annotations: ConvertedAnnotation[] } {
  const cam = s.camera;
  const intrinsic = [
    [cam.fx, 0, cam.cx],
    [0, cam.fy, cam.cy],
    [0, 0, 1],
  ];
  const calib = intrinsic.map((row) => [...row, 0]);
  const egoFromCam = transformMatrix(CAM_FRONT.translation, CAM_FRONT.rotation);
  const globalFromEgo = transformMatrix(s.egoTranslation, s.egoRotation);
  const rotOnly = (m: number[][]): number[][] => m.map((row, i) => (i < 3 ? [row[0], row[1], row[2], 0] : row));
  const rows: number[][] = RADAR_FIELDS.map((_, r) => Array.from(s.radar.rows.subarray(r * s.radar.count, (r + 1) * s.radar.count)));
  const image: ConvertedImage = {
    id: imageId,
    file_name: fileName,
    calib,
    video_id: imageId,
    frame_id: 1,
    sensor_id: 1,
    sample_token: s.token,
    trans_matrix: matMul4(globalFromEgo, egoFromCam),
    velocity_trans_matrix: matMul4(rotOnly(globalFromEgo), rotOnly(egoFromCam)),
    width: cam.width,
    height: cam.height,
    pose_record_trans: [...s.egoTranslation],
    pose_record_rot: [...s.egoRotation],
    cs_record_trans: [...CAM_FRONT.translation],
    cs_record_rot: [...CAM_FRONT.rotation],
    radar_pc: rows,
    camera_intrinsic: intrinsic,
  };
  const anns: ConvertedAnnotation[] = s.objects.map((o, i) => {
    let x1 = Infinity;
    let y1 = Infinity;
    let x2 = -Infinity;
    let y2 = -Infinity;
    for (const c of boxCorners({ ...o, numPts: 0 })) {
      const [u, v] = project(cam, c);
      x1 = Math.min(x1, u);
      y1 = Math.min(y1, v);
      x2 = Math.max(x2, u);
      y2 = Math.max(y2, v);
    }
    // Clipped to the image, as KittiDB.project_kitti_box_to_image does.
    x1 = Math.max(0, x1);
    y1 = Math.max(0, y1);
    x2 = Math.min(cam.width - 1, x2);
    y2 = Math.min(cam.height - 1, y2);
    const amodel = project(cam, o.center);
    const alphaRaw = o.rotY - Math.atan2((x1 + x2) / 2 - cam.cx, cam.fx);
    const alpha = alphaRaw > Math.PI ? alphaRaw - 2 * Math.PI : alphaRaw < -Math.PI ? alphaRaw + 2 * Math.PI : alphaRaw;
    // Global velocity: camera -> ego -> global rotations.
    const vGlobal = rotate(s.egoRotation, rotate(CAM_FRONT.rotation, o.velocityCam));
    return {
      id: firstAnnId + i,
      image_id: imageId,
      category_id: o.cls + 1,
      dim: [...o.dim],
      location: [o.center[0], o.center[1] + o.dim[0] / 2, o.center[2]],
      depth: o.center[2],
      occluded: 0,
      truncated: 0,
      rotation_y: o.rotY,
      amodel_center: amodel,
      iscrowd: 0,
      track_id: i + 1,
      attributes: ATTRIBUTE_TO_ID[o.attribute] ?? 0,
      velocity: [vGlobal[0], vGlobal[1], vGlobal[2]],
      velocity_cam: [...o.velocityCam],
      bbox: [x1, y1, x2 - x1, y2 - y1],
      area: (x2 - x1) * (y2 - y1),
      alpha,
      num_lidar_pts: o.numLidarPts,
      num_radar_pts: o.numRadarPts,
    };
  });
  const visible = anns.filter((a) => a.bbox[2] > 0 && a.bbox[3] > 0 && !anns.some((b) => b !== a && hiddenBehind(a, b)));
  return { image, annotations: visible };
}

function splitHash(p: WorldParams, req: SplitRequest): string {
  return hashOf({ key: worldKey(p), stream: req.stream, size: req.size });
}

function readHash(file: string): string | undefined {
  // Only the tail holds the "synthetic" record; reading the whole file is fine at these sizes.
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ConvertedFile>;
    return doc.synthetic?.hash;
  } catch {
    return undefined;
  }
}

/** Image file name (relative to the world folder) of sample `index` of a stream. */
export function imageFileName(stream: 'train' | 'val', index: number): string {
  return `samples/CAM_FRONT/${stream}_${String(index).padStart(6, '0')}.png`;
}

/**
 * Makes sure the split file (and its images) exist under `dir` and match the parameters;
 * returns the annotation file's path and whether it was (re)generated.
 */
export function ensureSyntheticSplit(dataDir: string, p: WorldParams, req: SplitRequest): { annotationPath: string; dir: string; generated: boolean } {
  const dir = worldDir(dataDir, p);
  const annotationPath = path.join(dir, annotationsDirName(p.sweeps), `${req.name}.json`);
  const hash = splitHash(p, req);
  if (readHash(annotationPath) === hash) return { annotationPath, dir, generated: false };

  fs.mkdirSync(path.join(dir, 'samples', 'CAM_FRONT'), { recursive: true });
  fs.mkdirSync(path.dirname(annotationPath), { recursive: true });
  const doc: ConvertedFile = {
    images: [],
    annotations: [],
    categories: p.classNames.map((name, i) => ({ id: i + 1, name })),
    videos: [],
    attributes: { ...ATTRIBUTE_TO_ID },
    pointclouds: [],
    synthetic: { version: WORLD_VERSION, hash, params: { seed: p.seed, width: p.width, height: p.height, sweeps: p.sweeps, stream: req.stream, size: req.size } },
  };
  let annId = 1;
  for (let i = 0; i < req.size; i++) {
    const sample = generateWorldSample(p.seed, req.stream, i, p.width, p.height, p.sweeps, p.classNames.length);
    const fileName = imageFileName(req.stream, i);
    const imagePath = path.join(dir, fileName);
    // Images depend only on (world key, stream, index): an existing one is the same picture.
    if (!fs.existsSync(imagePath)) {
      const pixels = renderWorldSample(sample, new Rng(deriveSeed(p.seed, STREAM_IDS[req.stream], i, 0x72656e64)));
      writeFileAtomic(imagePath, encodePng({ width: p.width, height: p.height, data: pixels }));
    }
    const { image, annotations } = toConverted(sample, i + 1, fileName, annId);
    annId += annotations.length;
    doc.images.push(image);
    doc.annotations.push(...annotations);
  }
  writeFileAtomic(annotationPath, JSON.stringify(doc));
  return { annotationPath, dir, generated: true };
}
