/**
 * The dataset evaluation (CenterFusion's run_dataset_eval / --eval): the one call site of the
 * nuScenes detection metric in src/shared/eval. Validation detections and the split's ground
 * truth are converted to nuScenes' format (camera frame -> ego/global frame, wlh sizes, yaw
 * quaternions; camera -> ego -> global with each sample's pose, boxes.ts), evaluated, and
 * written where CenterFusion writes them (the submission atomically):
 *   save_dir/results_nuscenes_det_<val_split>.json        the detections (submission format)
 *   save_dir/nuscenes_eval_det_output_<val_split>/metrics_summary.json, metrics_details.json
 * plus a copy of metrics_summary.json per epoch in the run folder (CenterFusion overwrites its).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DETECTION_CVPR_2019,
  evaluateDetections,
  formatSummaryPrintout,
  serializeMetricsDetails,
  serializeMetricsSummary,
  toEventMetrics,
  type GroundTruthBox,
  type GroundTruthFile,
  type MetricsSummary,
  type Submission,
  type SubmissionBox,
} from '../shared/eval';
import type { EvalMetrics } from '../shared/protocol';
import type { Detection3D } from './decode';
import type { Object3D, SamplePose } from './data/types';
import { cameraBoxToGlobal, DEFAULT_POSE, egoTranslation } from './boxes';
import { writeFileAtomic } from './fsutil';

/** The attribute CenterFusion reports for a class when it has no attribute head. */
function defaultAttribute(name: string): string {
  if (['car', 'truck', 'bus', 'trailer', 'construction_vehicle'].includes(name)) return 'vehicle.parked';
  if (name === 'pedestrian') return 'pedestrian.standing';
  if (name === 'bicycle' || name === 'motorcycle') return 'cycle.without_rider';
  return '';
}

function boxGeometry(center: readonly number[], dim: readonly number[], rotY: number, velocityCam: readonly number[], pose: SamplePose | undefined) {
  return cameraBoxToGlobal(center, dim, rotY, velocityCam, pose ?? DEFAULT_POSE);
}

function allFinite(d: Detection3D): boolean {
  return [d.score, d.rotY, ...d.center, ...d.dim, ...d.velocityCam].every((x) => Number.isFinite(x));
}

export interface EvalSample {
  token: string;
  objects: Object3D[];
  detections: Detection3D[];
  /** Camera -> ego -> global; without it the camera sits at the global origin (DEFAULT_POSE). */
  pose?: SamplePose;
}

export interface EvalOutcome {
  summary: MetricsSummary;
  metrics: EvalMetrics;
  /** The per-epoch copy of metrics_summary.json. */
  summaryPath: string;
  printout: string;
}

export interface EvalRequest {
  samples: EvalSample[];
  classNames: readonly string[];
  saveDir: string;
  valSplit: string;
  /** Folder for this evaluation's own copy (in the run folder). */
  copyDir: string;
  useRadar: boolean;
}

/** Runs the nuScenes detection evaluation on validation detections and writes its files. */
export function runDatasetEval(req: EvalRequest): EvalOutcome {
  const gt: GroundTruthFile = { sample_tokens: [], ego_pose_translation: {}, gt_boxes: {} };
  const submission: Submission = {
    meta: { use_camera: true, use_lidar: false, use_radar: req.useRadar, use_map: false, use_external: false },
    results: {},
  };
  // Several images of one sample (nuScenes' six cameras) share its token: one entry per token.
  const byToken = new Map<string, EvalSample[]>();
  for (const s of req.samples) byToken.set(s.token, [...(byToken.get(s.token) ?? []), s]);
  const merged = [...byToken.values()].map((parts) => ({ token: parts[0].token, pose: parts[0].pose, parts }));
  for (const s of merged) {
    gt.sample_tokens.push(s.token);
    gt.ego_pose_translation[s.token] = egoTranslation(s.pose ?? DEFAULT_POSE);
    gt.gt_boxes[s.token] = s.parts.flatMap((part) =>
      part.objects.map((o): GroundTruthBox => {
        const name = req.classNames[o.cls];
        return {
          sample_token: s.token,
          ...boxGeometry(o.center, o.dim, o.rotY, o.velocityCam, part.pose),
          num_pts: o.numPts,
          detection_name: name,
          attribute_name: o.attribute,
        };
      }),
    );
    submission.results[s.token] = s.parts
      .flatMap((part) => part.detections.map((d) => ({ d, pose: part.pose })))
      // A diverged network can produce NaN; such boxes cannot be submitted.
      .filter(({ d }) => d.cls < req.classNames.length && allFinite(d))
      // The metric refuses more than max_boxes_per_sample boxes per sample (as the devkit
      // does); with a large --K keep the highest-scoring ones, as CenterFusion's
      // convert_eval_format does.
      .sort((a, b) => b.d.score - a.d.score)
      .slice(0, DETECTION_CVPR_2019.max_boxes_per_sample)
      .map(({ d, pose }): SubmissionBox => {
        const name = req.classNames[d.cls];
        return {
          sample_token: s.token,
          ...boxGeometry(d.center, d.dim, d.rotY, d.velocityCam, pose),
          detection_name: name,
          detection_score: d.score,
          attribute_name: d.attribute ?? defaultAttribute(name),
        };
      });
  }
  const result = evaluateDetections(gt, submission);
  const outDir = path.join(req.saveDir, `nuscenes_eval_det_output_${req.valSplit}`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.mkdirSync(req.copyDir, { recursive: true });
  writeFileAtomic(path.join(req.saveDir, `results_nuscenes_det_${req.valSplit}.json`), JSON.stringify(submission));
  const summaryText = serializeMetricsSummary(result.summary);
  writeFileAtomic(path.join(outDir, 'metrics_summary.json'), summaryText);
  writeFileAtomic(path.join(outDir, 'metrics_details.json'), serializeMetricsDetails(result.details));
  const summaryPath = path.join(req.copyDir, 'metrics_summary.json');
  writeFileAtomic(summaryPath, summaryText);
  return { summary: result.summary, metrics: toEventMetrics(result.summary), summaryPath, printout: formatSummaryPrintout(result.summary) };
}
