/**
 * nuScenes detection evaluation (mAP, TP errors, NDS) matching the official devkit with the
 * detection_cvpr_2019 configuration. Pure: no file system, no VS Code, no tfjs.
 * See docs/evaluation.md.
 */
export {
  ATTRIBUTE_NAMES,
  DETECTION_CVPR_2019,
  DETECTION_NAMES,
  FORCED_NAN_TP,
  TP_METRICS,
  TP_METRIC_SHORT,
  checkConfig,
} from './config';
export type { AttributeName, DetectionConfig, DetectionName, TpMetricName } from './config';
export { evaluateDetections } from './evaluate';
export type { EvaluateOptions } from './evaluate';
export { EvalInputError, checkSameSamples, validateGroundTruth, validateSubmission } from './validate';
export type { ValidateSubmissionOptions } from './validate';
export { JsonSyntaxError, parseJsonWithNaN } from './jsonnan';
export type { ParseJsonOptions } from './jsonnan';
export { PyInt, pyFloatRepr, pyFormatFixed, pyJsonDumps, toPyJson } from './pyjson';
export type { PyJson } from './pyjson';
export {
  METRIC_DATA_KEYS,
  MetricsFileError,
  SUMMARY_KEYS,
  formatSummaryPrintout,
  parseMetricsDetails,
  parseMetricsSummary,
  serializeMetricsDetails,
  serializeMetricsSummary,
  toEventMetrics,
} from './summary-io';
export { RECALL_GRID, interp, linspace } from './numeric';
export type * from './types';
