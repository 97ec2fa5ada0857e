/**
 * Input and output shapes of the nuScenes detection evaluation. Field names follow the
 * official submission format and the devkit's metrics_summary.json / metrics_details.json.
 */
import type { DetectionConfig, TpMetricName } from './config';

export type Vec2 = [number, number];
export type Vec3 = [number, number, number];
export type Quaternion = [number, number, number, number];

/** One predicted box of a submission (global frame, metres, [w, x, y, z] rotation). */
export interface SubmissionBox {
  sample_token: string;
  translation: Vec3;
  /** [width, length, height] in metres. */
  size: Vec3;
  rotation: Quaternion;
  /** [vx, vy] in m/s; NaN or null components mean unknown (they drop out of the velocity error). */
  velocity: Vec2 | [number | null, number | null];
  detection_name: string;
  detection_score: number;
  /** One of the attribute names, or "" for none. */
  attribute_name: string;
  /** Optional; when present and 0 the box is dropped by the point filter, as in the devkit. */
  num_pts?: number;
  /** Optional and ignored: ego-relative positions are recomputed from the ego pose. */
  ego_translation?: Vec3;
}

/** Free-form description of the submission (use_camera, use_lidar, ...), copied to the summary. */
export type SubmissionMeta = Record<string, unknown>;

/** The official nuScenes submission file. */
export interface Submission {
  meta: SubmissionMeta;
  results: Record<string, SubmissionBox[]>;
}

/** One ground-truth box. */
export interface GroundTruthBox {
  sample_token: string;
  translation: Vec3;
  size: Vec3;
  rotation: Quaternion;
  /** null (or NaN components) when the velocity is unknown. */
  velocity: Vec2 | [number | null, number | null] | null;
  /** Optional and ignored: recomputed from `ego_pose_translation`. */
  ego_translation?: Vec3;
  /** Number of lidar + radar points inside the box; boxes with 0 are not evaluated. */
  num_pts: number;
  detection_name: string;
  /** Unused for ground truth (-1 by convention). */
  detection_score?: number;
  /** "" when the annotation has no attribute. */
  attribute_name: string;
}

/** The ground-truth file the trainer writes for its validation split. */
export interface GroundTruthFile {
  /** Every sample of the split, in order; a submission must cover exactly these. */
  sample_tokens: string[];
  /** The ego pose translation of each sample (global frame). */
  ego_pose_translation: Record<string, Vec3>;
  /** Boxes per sample; a sample without an entry has no boxes. */
  gt_boxes: Record<string, GroundTruthBox[]>;
}

export type TpErrors = Record<TpMetricName, number>;

/** metrics_summary.json, key for key and in the devkit's order. */
export interface MetricsSummary {
  /** class -> {"0.5": ap, "1.0": ap, "2.0": ap, "4.0": ap} (keys are the thresholds as Python prints floats). */
  label_aps: Record<string, Record<string, number>>;
  mean_dist_aps: Record<string, number>;
  mean_ap: number;
  label_tp_errors: Record<string, TpErrors>;
  tp_errors: TpErrors;
  tp_scores: TpErrors;
  nd_score: number;
  /** Seconds spent in matching and metric computation (as the devkit measures it). */
  eval_time: number;
  cfg: DetectionConfig;
  meta: SubmissionMeta;
}

/** The 101-point curves of one class at one distance threshold. */
export interface MetricData {
  recall: number[];
  precision: number[];
  confidence: number[];
  trans_err: number[];
  vel_err: number[];
  scale_err: number[];
  orient_err: number[];
  attr_err: number[];
}

/** metrics_details.json: keys "<class>:<threshold>" such as "car:0.5", class-major order. */
export type MetricsDetails = Record<string, MetricData>;

export interface EvaluationResult {
  summary: MetricsSummary;
  details: MetricsDetails;
}

/** Counts of boxes before and after each filter, for the verbose printout. */
export interface FilterCounts {
  total: number;
  afterDistance: number;
  afterPoints: number;
}

export interface EvaluationStats {
  predictions: FilterCounts;
  groundTruth: FilterCounts;
  samples: number;
}
