/**
 * The metrics report's contract between the extension host and its webview, and the report
 * model built from metrics_summary.json (+ metrics_details.json when present).
 *
 * Messages go through postMessage, which cannot carry NaN reliably, so every number that may be
 * undefined is `number | null` here, with a reason for the null where one is known.
 * No vscode or DOM imports.
 */

import { parseMetricsDetails, parseMetricsSummary, type MetricData } from '../eval';

export const TP_NAMES = ['trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err'] as const;
export type TpName = (typeof TP_NAMES)[number];
export const TP_LABELS: Record<TpName, string> = {
  trans_err: 'mATE',
  scale_err: 'mASE',
  orient_err: 'mAOE',
  vel_err: 'mAVE',
  attr_err: 'mAAE',
};

/** A value, or null with the reason it is undefined. */
export interface Cell {
  value: number | null;
  why?: string;
}

export interface ClassRow {
  name: string;
  /** Keyed by distance threshold as written in the file ("0.5", "1.0", "2.0", "4.0"). */
  aps: Record<string, Cell>;
  meanAp: Cell;
  tp: Record<TpName, Cell>;
}

export interface Curve {
  className: string;
  threshold: string;
  recall: (number | null)[];
  precision: (number | null)[];
}

/** TP errors against recall for one class at the TP threshold (the devkit's class TP curves). */
export interface TpCurve {
  className: string;
  /** Recall of each point (recall >= min_recall, up to the class's highest recall). */
  recall: number[];
  /** Per TP metric, the error at each point (null where undefined). */
  errors: Record<TpName, (number | null)[]>;
}

export interface ReportModel {
  nds: Cell;
  map: Cell;
  tp: Record<TpName, Cell>;
  thresholds: string[];
  classes: ClassRow[];
  evalTime: number | null;
  /** The evaluation config as pretty JSON text. */
  config: string;
  /** Precision-recall curves (from metrics_details.json), empty when absent. */
  curves: Curve[];
  /** TP-error curves per class at the TP threshold (from metrics_details.json), empty when absent. */
  tpCurves: TpCurve[];
  /** The threshold the TP errors are measured at ("2.0"), when known. */
  tpThreshold: string | null;
  /** A note about metrics_details.json (missing, unreadable), if any. */
  detailsNote?: string;
}

/** A second summary shown beside the first ("Compare With…"), or why it could not be read. */
export type Comparison = { fileName: string; path: string; model: ReportModel } | { fileName: string; path: string; error: string };

export type HostToReport =
  | {
      type: 'report';
      fileName: string;
      model: ReportModel;
      /** The run (and epoch) the file belongs to, when known: the page offers a link to its dashboard. */
      run?: { label: string };
      compare?: Comparison;
    }
  | { type: 'error'; fileName: string; message: string };

export const REPORT_ACTIONS = ['ready', 'openDetails', 'openRun', 'compare', 'clearCompare'] as const;
export type ReportToHost = { type: (typeof REPORT_ACTIONS)[number] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a message from the webview. */
export function isReportToHost(v: unknown): v is ReportToHost {
  return isRecord(v) && typeof v.type === 'string' && (REPORT_ACTIONS as readonly string[]).includes(v.type) && Object.keys(v).length === 1;
}

function isCell(v: unknown): v is Cell {
  return isRecord(v) && (v.value === null || typeof v.value === 'number') && (v.why === undefined || typeof v.why === 'string');
}

function isModel(v: unknown): v is ReportModel {
  if (!isRecord(v)) return false;
  if (!isCell(v.nds) || !isCell(v.map) || !isRecord(v.tp) || !Array.isArray(v.classes) || !Array.isArray(v.thresholds)) return false;
  if (typeof v.config !== 'string' || !Array.isArray(v.curves) || !Array.isArray(v.tpCurves)) return false;
  if (v.tpThreshold !== null && typeof v.tpThreshold !== 'string') return false;
  const tp = v.tp;
  if (!TP_NAMES.every((k) => isCell(tp[k]))) return false;
  return v.classes.every((c: unknown) => isRecord(c) && typeof c.name === 'string' && isRecord(c.aps) && isCell(c.meanAp) && isRecord(c.tp));
}

/** Validates a message from the host. */
export function isHostToReport(v: unknown): v is HostToReport {
  if (!isRecord(v) || typeof v.fileName !== 'string') return false;
  if (v.type === 'error') return typeof v.message === 'string';
  if (v.type !== 'report' || !isModel(v.model)) return false;
  if (v.run !== undefined && !(isRecord(v.run) && typeof v.run.label === 'string')) return false;
  if (v.compare !== undefined) {
    const c = v.compare;
    if (!isRecord(c) || typeof c.fileName !== 'string' || typeof c.path !== 'string') return false;
    if (!(typeof c.error === 'string' || isModel(c.model))) return false;
  }
  return true;
}

/** b − a, or null when either is undefined. */
export function delta(a: Cell | undefined, b: Cell | undefined): number | null {
  if (a === undefined || b === undefined || a.value === null || b.value === null) return null;
  return b.value - a.value;
}

export interface CompareRow {
  name: string;
  a?: ClassRow;
  b?: ClassRow;
  meanAp: number | null;
  tp: Record<TpName, number | null>;
}

/** The classes of two summaries side by side (the first's order, then the second's extra ones). */
export function compareClasses(a: ReportModel, b: ReportModel): CompareRow[] {
  const names = a.classes.map((c) => c.name);
  for (const c of b.classes) if (!names.includes(c.name)) names.push(c.name);
  return names.map((name) => {
    const ca = a.classes.find((c) => c.name === name);
    const cb = b.classes.find((c) => c.name === name);
    const tp = {} as Record<TpName, number | null>;
    for (const m of TP_NAMES) tp[m] = delta(ca?.tp[m], cb?.tp[m]);
    return { name, a: ca, b: cb, meanAp: delta(ca?.meanAp, cb?.meanAp), tp };
  });
}

/** Why a nuScenes value is undefined (NaN in the file). */
export function nanReason(className: string | undefined, metric: TpName | 'ap' | 'nds' | 'map'): string {
  if (className === 'traffic_cone' && (metric === 'orient_err' || metric === 'vel_err' || metric === 'attr_err')) {
    return metric === 'orient_err'
      ? 'Traffic cones have no orientation: nuScenes does not score their orientation error.'
      : metric === 'vel_err'
        ? 'Traffic cones are static: nuScenes does not score their velocity.'
        : 'Traffic cones have no attributes: nuScenes does not score their attribute error.';
  }
  if (className === 'barrier' && (metric === 'vel_err' || metric === 'attr_err')) {
    return metric === 'vel_err' ? 'Barriers are static: nuScenes does not score their velocity.' : 'Barriers have no attributes: nuScenes does not score their attribute error.';
  }
  if (metric === 'ap') return 'Undefined: the class has no ground-truth boxes in the evaluated samples.';
  if (metric === 'nds' || metric === 'map') return 'Undefined in the file (NaN).';
  return 'Undefined: no true positive was matched for this class at the 2 m threshold (or the class has no ground truth).';
}

function cell(v: number, why: () => string): Cell {
  return Number.isFinite(v) ? { value: v } : { value: null, why: why() };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * The devkit's TP curve of a class: each TP error against recall, from min_recall up to the
 * class's highest recall (past it the devkit pads confidence and errors with 0).
 */
function tpCurve(className: string, d: MetricData, minRecall: number): TpCurve {
  const keep: number[] = [];
  for (let i = 0; i < d.recall.length; i++) {
    if (Number.isFinite(d.recall[i]) && d.recall[i] >= minRecall - 1e-9 && (d.confidence[i] ?? 0) > 0) keep.push(i);
  }
  const errors = {} as Record<TpName, (number | null)[]>;
  for (const m of TP_NAMES) errors[m] = keep.map((i) => finiteOrNull(d[m][i] ?? NaN));
  return { className, recall: keep.map((i) => d.recall[i]), errors };
}

/**
 * Builds the report from the text of metrics_summary.json and, optionally, metrics_details.json.
 * Throws MetricsFileError / JsonSyntaxError with a readable message for a bad summary; a bad
 * details file only adds a note.
 */
export function buildReportModel(summaryText: string, detailsText?: string): ReportModel {
  const s = parseMetricsSummary(summaryText);
  const classNames = Object.keys(s.label_aps);
  for (const c of Object.keys(s.label_tp_errors)) if (!classNames.includes(c)) classNames.push(c);
  const thresholds: string[] = [];
  for (const c of classNames) for (const t of Object.keys(s.label_aps[c] ?? {})) if (!thresholds.includes(t)) thresholds.push(t);
  thresholds.sort((a, b) => Number(a) - Number(b));
  const classes: ClassRow[] = classNames.map((name) => {
    const aps: Record<string, Cell> = {};
    for (const t of thresholds) aps[t] = cell(s.label_aps[name]?.[t] ?? NaN, () => nanReason(name, 'ap'));
    const tpSrc = s.label_tp_errors[name];
    const tp = {} as Record<TpName, Cell>;
    for (const m of TP_NAMES) tp[m] = cell(tpSrc?.[m] ?? NaN, () => nanReason(name, m));
    return { name, aps, meanAp: cell(s.mean_dist_aps[name] ?? NaN, () => nanReason(name, 'ap')), tp };
  });
  const tp = {} as Record<TpName, Cell>;
  for (const m of TP_NAMES) tp[m] = cell(s.tp_errors[m], () => 'Undefined: no class had a defined error of this kind.');
  const model: ReportModel = {
    nds: cell(s.nd_score, () => nanReason(undefined, 'nds')),
    map: cell(s.mean_ap, () => nanReason(undefined, 'map')),
    tp,
    thresholds,
    classes,
    evalTime: finiteOrNull(s.eval_time),
    config: JSON.stringify(s.cfg, null, 2),
    curves: [],
    tpCurves: [],
    tpThreshold: null,
  };
  const cfg = s.cfg as unknown as Record<string, unknown>; // read defensively: a hand-written cfg may lack keys
  const distTp = typeof cfg.dist_th_tp === 'number' ? cfg.dist_th_tp : 2.0;
  const minRecall = typeof cfg.min_recall === 'number' ? cfg.min_recall : 0.1;
  if (detailsText !== undefined) {
    try {
      const details = parseMetricsDetails(detailsText);
      for (const key of Object.keys(details)) {
        const cut = key.lastIndexOf(':');
        if (cut <= 0) continue;
        const d = details[key];
        const className = key.slice(0, cut);
        const threshold = key.slice(cut + 1);
        model.curves.push({ className, threshold, recall: d.recall.map(finiteOrNull), precision: d.precision.map(finiteOrNull) });
        if (Number(threshold) === distTp) {
          model.tpThreshold = threshold;
          const curve = tpCurve(className, d, minRecall);
          // The devkit leaves out the errors a class is not scored on (NaN in the summary).
          const row = classes.find((c) => c.name === className);
          for (const m of TP_NAMES) if (row !== undefined && row.tp[m].value === null) curve.errors[m] = curve.errors[m].map(() => null);
          model.tpCurves.push(curve);
        }
      }
    } catch (err) {
      model.detailsNote = `metrics_details.json beside it could not be read: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return model;
}
