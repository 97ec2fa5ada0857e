/**
 * Dataset factory keyed by --dataset, like CenterFusion's dataset_factory: 'synthetic' (the
 * embedded default) and 'nuscenes' (its converted annotation files; reading them arrives with a
 * later issue, so for now it explains what is missing).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATASET_INFO, type DatasetInfo, type ResolvedOptions } from '../../shared/options';
import { SYNTHETIC_MAX_OBJS, SYNTHETIC_TRAIN_SIZE, SYNTHETIC_VAL_SIZE, SyntheticDataset } from './synthetic';
import { DatasetError, type Dataset, type Geometry } from './types';

export { DatasetError } from './types';
export type { Dataset, Geometry, Object3D, Sample } from './types';

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

/** Where CenterFusion's converted nuScenes annotations for a split would be. */
export function nuscenesAnnotationCandidates(opts: ResolvedOptions, split: string): string[] {
  const base = path.join(opts.data_dir, 'nuscenes');
  return [
    path.join(base, `annotations_${String(opts.radar_sweeps)}sweeps`, `${split}.json`),
    path.join(base, 'annotations', `${split}.json`),
  ];
}

/**
 * The dataset of one phase. `train` uses --train_split, `val` --val_split. Synthetic splits:
 * 32 training samples (more when --num_iters asks for more batches) and 8 validation samples,
 * from streams of the seed that never overlap.
 */
export function createDataset(opts: ResolvedOptions, phase: 'train' | 'val'): Dataset {
  const split = String(phase === 'train' ? opts.train_split : opts.val_split);
  const name = opts.dataset;
  if (name === 'synthetic') {
    const numIters = opts.num_iters as number;
    const size = phase === 'train'
      ? Math.max(SYNTHETIC_TRAIN_SIZE, opts.batch_size * Math.max(numIters, 1))
      : SYNTHETIC_VAL_SIZE;
    return new SyntheticDataset({
      seed: opts.seed as number,
      split: phase,
      size,
      geometry: geometryOf(opts, SYNTHETIC_MAX_OBJS),
      classNames: DATASET_INFO.synthetic.class_name,
    });
  }
  if (name === 'nuscenes') {
    const candidates = nuscenesAnnotationCandidates(opts, split);
    const found = candidates.find((p) => fs.existsSync(p));
    if (found === undefined) {
      throw new DatasetError(
        `the nuScenes dataset needs data/nuscenes/annotations_${String(opts.radar_sweeps)}sweeps/${split}.json ` +
          `(CenterFusion's converted annotations, made by its convert_nuScenes.py) under the root directory; ` +
          `not found: ${candidates.join(' or ')}. Use --dataset synthetic for the built-in dataset.`,
      );
    }
    throw new DatasetError(
      `found ${found}, but reading real nuScenes annotations is not implemented in the built-in trainer yet; ` +
        'use --dataset synthetic, or train this dataset with your CenterFusion checkout.',
    );
  }
  throw new DatasetError(`unknown dataset ${JSON.stringify(name)}: the built-in trainer knows synthetic and nuscenes`);
}
