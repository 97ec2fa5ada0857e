/**
 * Dataset factory keyed by --dataset, like CenterFusion's dataset_factory:
 * - 'synthetic' (the embedded default): the synthetic world, written once in the converted
 *   nuScenes layout under <data_dir>/synthetic/<key>/ and read back through the same loader as
 *   real data;
 * - 'nuscenes': CenterFusion's converted annotations under <data_dir>/nuscenes/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATASET_INFO, type DatasetInfo, type ResolvedOptions } from '../../shared/options';
import { ConvertedDataset, type LoadOptions } from './converted-dataset';
import { SYNTHETIC_MAX_OBJS, SYNTHETIC_TRAIN_SIZE, SYNTHETIC_VAL_SIZE } from './synthetic';
import { annotationsDirName, ensureSyntheticSplit } from './synthetic-world';
import { DatasetError, type Dataset, type Geometry } from './types';
// For its side effect in a worker thread: whatever bundle holds the factory can serve as the
// data worker's entry (see ./worker).
import './worker';

export { DatasetError } from './types';
export type { Dataset, Geometry, Object3D, Sample, RadarPoints, SamplePose } from './types';
export { ConvertedDataset, type ConvertedSpec, type LoadOptions } from './converted-dataset';

/** CenterFusion's nuScenes max_objs. */
export const NUSCENES_MAX_OBJS = 128;

/** The datasets this factory can build, with the description resolveOptions needs. */
export function datasetInfo(name: string): DatasetInfo | undefined {
  return Object.prototype.hasOwnProperty.call(DATASET_INFO, name) ? DATASET_INFO[name] : undefined;
}

export function geometryOf(opts: ResolvedOptions, maxObjs: number): Geometry {
  return {
    inputH: opts.input_h,
    inputW: opts.input_w,
    outputH: opts.output_h,
    outputW: opts.output_w,
    downRatio: opts.down_ratio as number,
    numClasses: opts.num_classes,
    maxObjs,
  };
}

function numberList(v: unknown, fallback: number[]): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === 'string') return v.split(',').map(Number);
  return fallback;
}

/** What the loader takes from the resolved options (augmentations, radar, pc_hm). */
export function loadOptionsOf(opts: ResolvedOptions, phase: 'train' | 'val'): LoadOptions {
  const o = opts as unknown as Record<string, unknown>;
  const num = (k: string, d: number): number => (typeof o[k] === 'number' ? (o[k] as number) : d);
  return {
    augment: phase === 'train',
    seed: num('seed', 317),
    flip: num('flip', 0.5),
    shift: num('shift', 0),
    scale: num('scale', 0),
    notRandCrop: Boolean(o.not_rand_crop),
    notMaxCrop: Boolean(o.not_max_crop),
    augRot: num('aug_rot', 0),
    rotate: num('rotate', 0),
    noColorAug: Boolean(o.no_color_aug),
    pointcloud: Boolean(o.pointcloud),
    maxPcDist: num('max_pc_dist', 100),
    pcZOffset: num('pc_z_offset', 0),
    maxPc: num('max_pc', 1000),
    pillarDims: numberList(o.pillar_dims, [1.5, 0.2, 0.2]),
    hmToBoxRatio: num('hm_to_box_ratio', 0.3),
    frustumExpansionRatio: num('frustumExpansionRatio', 0),
    normalizeDepth: Boolean(o.normalize_depth),
  };
}

/** Where CenterFusion reads the converted nuScenes annotations of a split (nuscenes.py's rule). */
export function nuscenesAnnotationPath(opts: ResolvedOptions, split: string): string {
  return path.join(opts.data_dir, 'nuscenes', annotationsDirName(opts.radar_sweeps as number), `${split}.json`);
}

/** Kept for callers of the first version: the one path CenterFusion reads. */
export function nuscenesAnnotationCandidates(opts: ResolvedOptions, split: string): string[] {
  return [nuscenesAnnotationPath(opts, split)];
}

/** Synthetic split sizes: 32 training samples (more when --num_iters asks for more batches), 32 validation. */
export function syntheticSplitSize(opts: ResolvedOptions, phase: 'train' | 'val'): number {
  const numIters = opts.num_iters as number;
  return phase === 'train' ? Math.max(SYNTHETIC_TRAIN_SIZE, opts.batch_size * Math.max(numIters, 1)) : SYNTHETIC_VAL_SIZE;
}

export { openDatasetSpec } from './open';

/**
 * The dataset of one phase: `train` reads --train_split, `val` --val_split. Synthetic splits
 * whose name contains "train" come from the training stream of the seed, the others from the
 * validation stream (the two never overlap).
 */
export function createDataset(opts: ResolvedOptions, phase: 'train' | 'val'): Dataset {
  const split = String(phase === 'train' ? opts.train_split : opts.val_split);
  const name = opts.dataset;
  const classNames = [...(datasetInfo(name)?.class_name ?? [])];
  const geometry = geometryOf(opts, NUSCENES_MAX_OBJS);
  const load = loadOptionsOf(opts, phase);
  if (name === 'synthetic') {
    const world = { seed: load.seed, width: opts.input_w, height: opts.input_h, sweeps: opts.radar_sweeps as number, classNames };
    const stream = split.includes('train') ? 'train' : 'val';
    let written: { annotationPath: string; dir: string };
    try {
      written = ensureSyntheticSplit(opts.data_dir, world, { name: split, stream, size: syntheticSplitSize(opts, phase) });
    } catch (e) {
      throw new DatasetError(`cannot write the synthetic dataset under ${path.join(opts.data_dir, 'synthetic')}: ${(e as Error).message}`);
    }
    const { annotationPath, dir } = written;
    return new ConvertedDataset({ kind: 'converted', name, split, annotationPath, imageDir: dir, geometry, classNames, load });
  }
  if (name === 'nuscenes') {
    const annotationPath = nuscenesAnnotationPath(opts, split);
    if (!fs.existsSync(annotationPath)) {
      throw new DatasetError(
        `the nuScenes dataset needs ${annotationPath}: CenterFusion's converted annotations of the ${split} split ` +
          `(made by its tools/convert_nuScenes.py with ${String(opts.radar_sweeps)} radar sweep(s); --radar_sweeps picks the folder) ` +
          `and the images they name under ${path.join(opts.data_dir, 'nuscenes')}. Use --dataset synthetic for the built-in dataset.`,
      );
    }
    return new ConvertedDataset({
      kind: 'converted',
      name,
      split,
      annotationPath,
      imageDir: path.join(opts.data_dir, 'nuscenes'),
      geometry,
      classNames,
      load,
    });
  }
  throw new DatasetError(`unknown dataset ${JSON.stringify(name)}: the built-in trainer knows synthetic and nuscenes`);
}

export { SYNTHETIC_MAX_OBJS };
