/**
 * nuScenes detection evaluation settings: names, TP metrics and the `detection_cvpr_2019`
 * configuration. Pure data, no IO.
 */

import { NUSCENES_CLASSES, type NuScenesClass } from '../protocol/types';

/** The ten detection classes, in the order the official configuration lists them. */
export const DETECTION_NAMES = NUSCENES_CLASSES;
export type DetectionName = NuScenesClass;

/** The eight attribute names a box may carry ("" means none). */
export const ATTRIBUTE_NAMES = [
  'pedestrian.moving',
  'pedestrian.sitting_lying_down',
  'pedestrian.standing',
  'cycle.with_rider',
  'cycle.without_rider',
  'vehicle.moving',
  'vehicle.parked',
  'vehicle.stopped',
] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

/** True-positive error metrics, in the order the summary and the printout use. */
export const TP_METRICS = ['trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err'] as const;
export type TpMetricName = (typeof TP_METRICS)[number];

/** Short names used in the printout and in the `eval` event. */
export const TP_METRIC_SHORT: Readonly<Record<TpMetricName, string>> = {
  trans_err: 'ATE',
  scale_err: 'ASE',
  orient_err: 'AOE',
  vel_err: 'AVE',
  attr_err: 'AAE',
};

/**
 * TP errors that are undefined for a class and always reported as NaN: cones have no
 * meaningful heading, velocity or attribute; barriers no velocity or attribute.
 */
export const FORCED_NAN_TP: Readonly<Record<string, readonly TpMetricName[]>> = {
  traffic_cone: ['attr_err', 'vel_err', 'orient_err'],
  barrier: ['attr_err', 'vel_err'],
};

/** The evaluation configuration, with the devkit's field names and order. */
export interface DetectionConfig {
  /** Class name -> maximum ego xy distance in metres (boxes at or beyond it are dropped). */
  class_range: Record<string, number>;
  dist_fcn: 'center_distance';
  /** Matching thresholds in metres; written as floats ("1.0"). */
  dist_ths: number[];
  /** The threshold whose matches define the TP errors; must be one of dist_ths. */
  dist_th_tp: number;
  min_recall: number;
  min_precision: number;
  max_boxes_per_sample: number;
  mean_ap_weight: number;
}

/** The official `detection_cvpr_2019` configuration. */
export const DETECTION_CVPR_2019: Readonly<DetectionConfig> = Object.freeze({
  class_range: Object.freeze({
    car: 50,
    truck: 50,
    bus: 50,
    trailer: 50,
    construction_vehicle: 50,
    pedestrian: 40,
    motorcycle: 40,
    bicycle: 40,
    traffic_cone: 30,
    barrier: 30,
  }) as Record<string, number>,
  dist_fcn: 'center_distance',
  dist_ths: Object.freeze([0.5, 1.0, 2.0, 4.0]) as number[],
  dist_th_tp: 2.0,
  min_recall: 0.1,
  min_precision: 0.1,
  max_boxes_per_sample: 500,
  mean_ap_weight: 5,
}) as Readonly<DetectionConfig>;

/**
 * Checks a configuration the way the devkit's constructor does (every class present exactly
 * once, dist_th_tp among dist_ths) plus the ranges our arithmetic relies on. Throws an Error
 * naming the field.
 */
export function checkConfig(cfg: DetectionConfig): void {
  const where = 'config';
  if (cfg === null || typeof cfg !== 'object') throw new Error(`${where}: expected an object`);
  if (cfg.class_range === null || typeof cfg.class_range !== 'object') {
    throw new Error(`${where}.class_range: expected an object`);
  }
  const names = Object.keys(cfg.class_range);
  const known = new Set<string>(DETECTION_NAMES);
  for (const n of names) {
    if (!known.has(n)) throw new Error(`${where}.class_range: unknown class "${n}"`);
    const r = cfg.class_range[n];
    if (typeof r !== 'number' || !(r > 0)) throw new Error(`${where}.class_range.${n}: expected a positive number`);
  }
  if (names.length !== DETECTION_NAMES.length) {
    const missing = DETECTION_NAMES.filter((n) => !(n in cfg.class_range));
    throw new Error(`${where}.class_range: missing classes ${missing.join(', ')}`);
  }
  if (cfg.dist_fcn !== 'center_distance') {
    throw new Error(`${where}.dist_fcn: only "center_distance" is supported`);
  }
  if (!Array.isArray(cfg.dist_ths) || cfg.dist_ths.length === 0 || cfg.dist_ths.some((t) => typeof t !== 'number' || !(t > 0))) {
    throw new Error(`${where}.dist_ths: expected a non-empty list of positive numbers`);
  }
  if (!cfg.dist_ths.includes(cfg.dist_th_tp)) throw new Error(`${where}.dist_th_tp: must be one of dist_ths`);
  if (typeof cfg.min_recall !== 'number' || !(cfg.min_recall >= 0 && cfg.min_recall <= 1)) {
    throw new Error(`${where}.min_recall: expected a number in [0, 1]`);
  }
  if (typeof cfg.min_precision !== 'number' || !(cfg.min_precision >= 0 && cfg.min_precision < 1)) {
    throw new Error(`${where}.min_precision: expected a number in [0, 1)`);
  }
  if (!Number.isInteger(cfg.max_boxes_per_sample) || cfg.max_boxes_per_sample < 1) {
    throw new Error(`${where}.max_boxes_per_sample: expected a positive integer`);
  }
  if (typeof cfg.mean_ap_weight !== 'number' || !Number.isFinite(cfg.mean_ap_weight)) {
    throw new Error(`${where}.mean_ap_weight: expected a number`);
  }
}
