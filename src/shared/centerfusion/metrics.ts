/**
 * metrics_summary.json (the nuScenes detection evaluation's output, with Python's bare NaN) to
 * `eval` event metrics.
 *
 * A complete file goes through the evaluation module's own reader (parseMetricsSummary, then
 * toEventMetrics). A file that reader refuses (a key missing, an older devkit, a hand-trimmed
 * copy) is read leniently: whatever headline numbers and per-class values are there are used,
 * the rest is null, and each gap is reported. Pure TypeScript; never throws.
 */

import type { ClassMetrics, EvalEvent, EvalMetrics, EventBody, Num } from '../protocol/types';
import { parseJsonWithNaN } from '../eval/jsonnan';
import { parseMetricsSummary, toEventMetrics } from '../eval/summary-io';

export interface MetricsSummaryRead {
  metrics: EvalMetrics | null;
  /** `eval_time` in seconds, when the file has it. */
  eval_time_s?: number;
  problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function num(v: unknown): Num | undefined {
  if (v === null) return null;
  if (typeof v !== 'number') return undefined;
  return Number.isFinite(v) ? v : null;
}

const HEADLINE: ReadonlyArray<[keyof Omit<EvalMetrics, 'per_class' | 'mAP' | 'NDS'>, string]> = [
  ['mATE', 'trans_err'],
  ['mASE', 'scale_err'],
  ['mAOE', 'orient_err'],
  ['mAVE', 'vel_err'],
  ['mAAE', 'attr_err'],
];
const CLASS_TP: ReadonlyArray<[keyof Omit<ClassMetrics, 'AP'>, string]> = [
  ['ATE', 'trans_err'],
  ['ASE', 'scale_err'],
  ['AOE', 'orient_err'],
  ['AVE', 'vel_err'],
  ['AAE', 'attr_err'],
];

/** The lenient path: takes what is there. */
function lenient(doc: Record<string, unknown>, problems: string[]): EvalMetrics {
  const take = (v: unknown, where: string): Num => {
    const n = num(v);
    if (n === undefined) {
      problems.push(`${where}: ${v === undefined ? 'missing' : 'not a number'}`);
      return null;
    }
    return n;
  };
  const tp = isRecord(doc.tp_errors) ? doc.tp_errors : {};
  if (!isRecord(doc.tp_errors)) problems.push('tp_errors: missing');
  const metrics: EvalMetrics = {
    mAP: take(doc.mean_ap, 'mean_ap'),
    mATE: null,
    mASE: null,
    mAOE: null,
    mAVE: null,
    mAAE: null,
    NDS: take(doc.nd_score, 'nd_score'),
    per_class: {},
  };
  for (const [key, name] of HEADLINE) metrics[key] = isRecord(doc.tp_errors) ? take(tp[name], `tp_errors.${name}`) : null;
  const aps = isRecord(doc.mean_dist_aps) ? doc.mean_dist_aps : {};
  const errs = isRecord(doc.label_tp_errors) ? doc.label_tp_errors : {};
  const classes = new Set([...Object.keys(aps), ...Object.keys(errs)]);
  for (const c of classes) {
    const e = isRecord(errs[c]) ? errs[c] : {};
    const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
    const row: ClassMetrics = { AP: own(aps, c) ? take(aps[c], `mean_dist_aps.${c}`) : null, ATE: null, ASE: null, AOE: null, AVE: null, AAE: null };
    for (const [key, name] of CLASS_TP) row[key] = own(e, name) ? take(e[name], `label_tp_errors.${c}.${name}`) : null;
    if (c === '__proto__') Object.defineProperty(metrics.per_class, c, { value: row, enumerable: true, writable: true, configurable: true });
    else metrics.per_class[c] = row;
  }
  return metrics;
}

/** Reads metrics_summary.json text. `metrics` is null only when the text is not a JSON object. */
export function readMetricsSummary(text: string): MetricsSummaryRead {
  const problems: string[] = [];
  try {
    let doc: unknown;
    try {
      doc = parseJsonWithNaN(text);
    } catch (e) {
      return { metrics: null, problems: [`not JSON: ${e instanceof Error ? e.message : String(e)}`] };
    }
    if (!isRecord(doc)) return { metrics: null, problems: ['not a JSON object'] };
    const evalTime = num(doc.eval_time);
    let metrics: EvalMetrics;
    try {
      metrics = toEventMetrics(parseMetricsSummary(text));
    } catch (e) {
      problems.push(`incomplete metrics summary (${e instanceof Error ? e.message : String(e)}); read what is there`);
      metrics = lenient(doc, problems);
    }
    const out: MetricsSummaryRead = { metrics, problems };
    if (typeof evalTime === 'number') out.eval_time_s = evalTime;
    return out;
  } catch (e) {
    return { metrics: null, problems: [`internal error (${e instanceof Error ? e.message : String(e)})`] };
  }
}

/**
 * The `eval` event body of a metrics_summary.json. `epoch` is the epoch it belongs to when the
 * caller knows it (CenterFusion overwrites the file every validation epoch), else null.
 */
export function metricsToEvents(
  text: string,
  options: { epoch?: number | null; summaryPath?: string } = {},
): { events: EventBody[]; problems: string[] } {
  const r = readMetricsSummary(text);
  if (r.metrics === null) return { events: [], problems: r.problems };
  const epoch = typeof options.epoch === 'number' && Number.isSafeInteger(options.epoch) && options.epoch >= 1 ? options.epoch : null;
  const body: EventBody<EvalEvent> = { type: 'eval', epoch, metrics: r.metrics };
  if (options.summaryPath !== undefined) body.summary_path = options.summaryPath;
  if (r.eval_time_s !== undefined) body.eval_time_s = r.eval_time_s;
  return { events: [body], problems: r.problems };
}
