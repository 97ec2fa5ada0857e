/**
 * The metrics report's contract between the extension host and its webview, and the report
 * model built from metrics_summary.json (+ metrics_details.json when present).
 *
 * Messages go through postMessage, which cannot carry NaN reliably, so every number that may be
 * undefined is `number | null` here, with a reason for the null where one is known.
 * No vscode or DOM imports.
 */

import { parseMetricsDetails, parseMetricsSummary } from '../eval';

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
  /** A note about metrics_details.json (missing, unreadable), if any. */
  detailsNote?: string;
}

export type HostToReport =
  | { type: 'report'; fileName: string; model: ReportModel }
  | { type: 'error'; fileName: string; message: string };

export type ReportToHost = { type: 'ready' } | { type: 'openDetails' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a message from the webview. */
export function isReportToHost(v: unknown): v is ReportToHost {
  return isRecord(v) && (v.type === 'ready' || v.type === 'openDetails');
}

function isCell(v: unknown): v is Cell {
  return isRecord(v) && (v.value === null || typeof v.value === 'number') && (v.why === undefined || typeof v.why === 'string');
}

function isModel(v: unknown): v is ReportModel {
  if (!isRecord(v)) return false;
  if (!isCell(v.nds) || !isCell(v.map) || !isRecord(v.tp) || !Array.isArray(v.classes) || !Array.isArray(v.thresholds)) return false;
  if (typeof v.config !== 'string' || !Array.isArray(v.curves)) return false;
  const tp = v.tp;
  if (!TP_NAMES.every((k) => isCell(tp[k]))) return false;
  return v.classes.every((c: unknown) => isRecord(c) && typeof c.name === 'string' && isRecord(c.aps) && isCell(c.meanAp) && isRecord(c.tp));
}

/** Validates a message from the host. */
export function isHostToReport(v: unknown): v is HostToReport {
  if (!isRecord(v) || typeof v.fileName !== 'string') return false;
  if (v.type === 'error') return typeof v.message === 'string';
  return v.type === 'report' && isModel(v.model);
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
  };
  if (detailsText !== undefined) {
    try {
      const details = parseMetricsDetails(detailsText);
      for (const key of Object.keys(details)) {
        const cut = key.lastIndexOf(':');
        if (cut <= 0) continue;
        const d = details[key];
        model.curves.push({
          className: key.slice(0, cut),
          threshold: key.slice(cut + 1),
          recall: d.recall.map(finiteOrNull),
          precision: d.precision.map(finiteOrNull),
        });
      }
    } catch (err) {
      model.detailsNote = `metrics_details.json beside it could not be read: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return model;
}
