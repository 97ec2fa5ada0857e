/**
 * metrics_summary.json / metrics_details.json: writers byte-compatible with the devkit's
 * json.dump(..., indent=2), readers that accept NaN tokens as well as null, the printout the
 * devkit shows after an evaluation, and the `eval` event payload.
 */
import type { ClassMetrics, EvalMetrics, Num } from '../protocol/types';
import { TP_METRICS, TP_METRIC_SHORT } from './config';
import type { DetectionConfig, TpMetricName } from './config';
import { parseJsonWithNaN } from './jsonnan';
import type { ParseJsonOptions } from './jsonnan';
import { defineKey, PyInt, pyFormatFixed, pyJsonDumps, toPyJson } from './pyjson';
import type { PyJson } from './pyjson';
import type { MetricData, MetricsDetails, MetricsSummary, TpErrors } from './types';

/** Keys of one metrics_details.json entry, in the devkit's order. */
export const METRIC_DATA_KEYS = [
  'recall',
  'precision',
  'confidence',
  'trans_err',
  'vel_err',
  'scale_err',
  'orient_err',
  'attr_err',
] as const;

/** Keys of metrics_summary.json, in the devkit's order. */
export const SUMMARY_KEYS = [
  'label_aps',
  'mean_dist_aps',
  'mean_ap',
  'label_tp_errors',
  'tp_errors',
  'tp_scores',
  'nd_score',
  'eval_time',
  'cfg',
  'meta',
] as const;

function intOrFloat(v: number): PyJson {
  return Number.isInteger(v) ? new PyInt(v) : v;
}

function numberMap(m: Record<string, number>): { [key: string]: PyJson } {
  const out: { [key: string]: PyJson } = {};
  for (const k of Object.keys(m)) defineKey(out, k, m[k]);
  return out;
}

function tpMap(m: TpErrors): { [key: string]: PyJson } {
  const out: { [key: string]: PyJson } = {};
  for (const k of TP_METRICS) out[k] = m[k];
  return out;
}

function configToPy(cfg: DetectionConfig): PyJson {
  const ranges: { [key: string]: PyJson } = {};
  for (const k of Object.keys(cfg.class_range)) defineKey(ranges, k, intOrFloat(cfg.class_range[k]));
  return {
    class_range: ranges,
    dist_fcn: cfg.dist_fcn,
    // The devkit's configuration holds these as Python floats.
    dist_ths: cfg.dist_ths.map((t) => t),
    dist_th_tp: cfg.dist_th_tp,
    min_recall: cfg.min_recall,
    min_precision: cfg.min_precision,
    max_boxes_per_sample: intOrFloat(cfg.max_boxes_per_sample),
    mean_ap_weight: intOrFloat(cfg.mean_ap_weight),
  };
}

/** metrics_summary.json text, as the devkit writes it (indent 2, bare NaN, no final newline). */
export function serializeMetricsSummary(summary: MetricsSummary): string {
  const labelAps: { [key: string]: PyJson } = {};
  for (const c of Object.keys(summary.label_aps)) defineKey(labelAps, c, numberMap(summary.label_aps[c]));
  const labelTp: { [key: string]: PyJson } = {};
  for (const c of Object.keys(summary.label_tp_errors)) defineKey(labelTp, c, tpMap(summary.label_tp_errors[c]));
  const doc: PyJson = {
    label_aps: labelAps,
    mean_dist_aps: numberMap(summary.mean_dist_aps),
    mean_ap: summary.mean_ap,
    label_tp_errors: labelTp,
    tp_errors: tpMap(summary.tp_errors),
    tp_scores: tpMap(summary.tp_scores),
    nd_score: summary.nd_score,
    eval_time: summary.eval_time,
    cfg: configToPy(summary.cfg),
    meta: toPyJson(summary.meta),
  };
  return pyJsonDumps(doc, 2);
}

/** metrics_details.json text: "<class>:<threshold>" -> the eight 101-point curves. */
export function serializeMetricsDetails(details: MetricsDetails): string {
  const doc: { [key: string]: PyJson } = {};
  for (const k of Object.keys(details)) {
    const md = details[k];
    const entry: { [key: string]: PyJson } = {};
    for (const f of METRIC_DATA_KEYS) entry[f] = md[f].slice();
    defineKey(doc, k, entry);
  }
  return pyJsonDumps(doc, 2);
}

/** Error for a metrics file that does not have the expected shape. */
export class MetricsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsFileError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A number, or NaN for null / NaN / missing-as-null. */
function num(v: unknown, where: string): number {
  if (v === null) return NaN;
  if (typeof v === 'number') return v;
  throw new MetricsFileError(`${where}: expected a number, NaN or null, got ${v === undefined ? 'nothing' : typeof v}`);
}

function numRecord(v: unknown, where: string): Record<string, number> {
  if (!isRecord(v)) throw new MetricsFileError(`${where}: expected an object`);
  const out: Record<string, number> = {};
  for (const k of Object.keys(v)) defineKey(out, k, num(v[k], `${where}.${k}`));
  return out;
}

function tpRecord(v: unknown, where: string): TpErrors {
  if (!isRecord(v)) throw new MetricsFileError(`${where}: expected an object`);
  const out = {} as TpErrors;
  for (const m of TP_METRICS) out[m] = num(v[m], `${where}.${m}`);
  return out;
}

/**
 * Reads metrics_summary.json (ours or the devkit's). NaN, Infinity and null are all accepted
 * where a number is expected; null comes back as NaN.
 */
export function parseMetricsSummary(input: string | Uint8Array, opts?: ParseJsonOptions): MetricsSummary {
  const doc = parseJsonWithNaN(input, opts);
  if (!isRecord(doc)) throw new MetricsFileError('metrics summary: expected a JSON object');
  for (const k of SUMMARY_KEYS) {
    if (k !== 'meta' && k !== 'eval_time' && !(k in doc)) throw new MetricsFileError(`metrics summary: missing "${k}"`);
  }
  const labelAps: Record<string, Record<string, number>> = {};
  const la = doc.label_aps;
  if (!isRecord(la)) throw new MetricsFileError('label_aps: expected an object');
  for (const c of Object.keys(la)) defineKey(labelAps, c, numRecord(la[c], `label_aps.${c}`));
  const labelTp: Record<string, TpErrors> = {};
  const lt = doc.label_tp_errors;
  if (!isRecord(lt)) throw new MetricsFileError('label_tp_errors: expected an object');
  for (const c of Object.keys(lt)) defineKey(labelTp, c, tpRecord(lt[c], `label_tp_errors.${c}`));
  if (!isRecord(doc.cfg)) throw new MetricsFileError('cfg: expected an object');
  return {
    label_aps: labelAps,
    mean_dist_aps: numRecord(doc.mean_dist_aps, 'mean_dist_aps'),
    mean_ap: num(doc.mean_ap, 'mean_ap'),
    label_tp_errors: labelTp,
    tp_errors: tpRecord(doc.tp_errors, 'tp_errors'),
    tp_scores: tpRecord(doc.tp_scores, 'tp_scores'),
    nd_score: num(doc.nd_score, 'nd_score'),
    eval_time: doc.eval_time === undefined ? NaN : num(doc.eval_time, 'eval_time'),
    cfg: doc.cfg as unknown as DetectionConfig,
    meta: isRecord(doc.meta) ? doc.meta : {},
  };
}

/** Reads metrics_details.json; null entries in the curves come back as NaN. */
export function parseMetricsDetails(input: string | Uint8Array, opts?: ParseJsonOptions): MetricsDetails {
  const doc = parseJsonWithNaN(input, opts);
  if (!isRecord(doc)) throw new MetricsFileError('metrics details: expected a JSON object');
  const out: MetricsDetails = {};
  for (const k of Object.keys(doc)) {
    const entry = doc[k];
    if (!isRecord(entry)) throw new MetricsFileError(`${k}: expected an object`);
    const md = {} as MetricData;
    for (const f of METRIC_DATA_KEYS) {
      const arr = entry[f];
      if (!Array.isArray(arr)) throw new MetricsFileError(`${k}.${f}: expected a list of numbers`);
      md[f] = arr.map((v: unknown, i: number) => num(v, `${k}.${f}[${i}]`));
    }
    defineKey(out, k, md);
  }
  return out;
}

/**
 * The text the devkit prints after an evaluation: mAP, mATE … mAAE, NDS, eval time, then a
 * tab-separated per-class table ("nan" where a value is undefined). Ends with a newline.
 */
export function formatSummaryPrintout(summary: MetricsSummary): string {
  const lines: string[] = [];
  lines.push(`mAP: ${pyFormatFixed(summary.mean_ap, 4)}`);
  for (const m of TP_METRICS) lines.push(`m${TP_METRIC_SHORT[m]}: ${pyFormatFixed(summary.tp_errors[m], 4)}`);
  lines.push(`NDS: ${pyFormatFixed(summary.nd_score, 4)}`);
  lines.push(`Eval time: ${pyFormatFixed(summary.eval_time, 1)}s`);
  lines.push('');
  lines.push('Per-class results:');
  lines.push('Object Class\tAP\tATE\tASE\tAOE\tAVE\tAAE');
  const order: TpMetricName[] = ['trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err'];
  for (const c of Object.keys(summary.mean_dist_aps)) {
    const tp = summary.label_tp_errors[c];
    const cells = [pyFormatFixed(summary.mean_dist_aps[c], 3)];
    for (const m of order) cells.push(pyFormatFixed(tp ? tp[m] : NaN, 3));
    lines.push(`${c}\t${cells.join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}

function finiteOrNull(v: number | undefined): Num {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The `eval` event's metrics: headline numbers and per-class AP and TP errors, with NaN and
 * infinities as null (the protocol's rule).
 */
export function toEventMetrics(summary: MetricsSummary): EvalMetrics {
  const perClass: Record<string, ClassMetrics> = {};
  for (const c of Object.keys(summary.mean_dist_aps)) {
    const tp = summary.label_tp_errors[c];
    defineKey(perClass, c, {
      AP: finiteOrNull(summary.mean_dist_aps[c]),
      ATE: finiteOrNull(tp?.trans_err),
      ASE: finiteOrNull(tp?.scale_err),
      AOE: finiteOrNull(tp?.orient_err),
      AVE: finiteOrNull(tp?.vel_err),
      AAE: finiteOrNull(tp?.attr_err),
    });
  }
  return {
    mAP: finiteOrNull(summary.mean_ap),
    mATE: finiteOrNull(summary.tp_errors.trans_err),
    mASE: finiteOrNull(summary.tp_errors.scale_err),
    mAOE: finiteOrNull(summary.tp_errors.orient_err),
    mAVE: finiteOrNull(summary.tp_errors.vel_err),
    mAAE: finiteOrNull(summary.tp_errors.attr_err),
    NDS: finiteOrNull(summary.nd_score),
    per_class: perClass,
  };
}
