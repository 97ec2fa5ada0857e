import { NUSCENES_CLASSES as PROTOCOL_CLASSES } from '../protocol/types';
import type { DatasetInfo } from './types';

/** The ten nuScenes detection classes in the devkit's order (class index = position). */
export const NUSCENES_CLASSES: readonly string[] = PROTOCOL_CLASSES;

/**
 * Datasets this project knows by name. resolveOptions looks --dataset up here unless the caller
 * passes its own DatasetInfo (the trainer does, and may change the synthetic resolution).
 */
export const DATASET_INFO: Record<string, DatasetInfo> = {
  nuscenes: {
    name: 'nuscenes',
    num_classes: 10,
    default_resolution: [448, 800],
    class_name: NUSCENES_CLASSES,
  },
  synthetic: {
    name: 'synthetic',
    num_classes: 10,
    default_resolution: [64, 112],
    class_name: NUSCENES_CLASSES,
  },
};
