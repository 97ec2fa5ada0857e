/**
 * Which run (and epoch) a metrics_summary.json belongs to, from where it lies:
 *
 *   <save_dir>/runs/<run id>/eval/epoch_<N>/metrics_summary.json      the trainer's per-epoch copy
 *   <save_dir>/runs/<run id>/eval/eval/metrics_summary.json            an --eval run's evaluation
 *   <save_dir>/.centerfusion-studio/metrics/<logs>/<eval dir>/epoch_<N>.json   a Python run's per-epoch copy
 *   <save_dir>/nuscenes_eval_det_output_<split>/metrics_summary.json   CenterFusion's own (the newest run there)
 *
 * with <save_dir> = .../exp/<task>/<exp_id>. No vscode import (unit-tested).
 */

import * as path from 'node:path';
import type { Run } from '../runs/runStore';

export interface RunLink {
  runId: string;
  /** The epoch the evaluation belongs to; null for an --eval run or when it cannot be told. */
  epoch: number | null;
  /** What the report shows: "ddd/demo · run <id> · epoch 3". */
  label: string;
}

function parts(file: string): string[] {
  return path.resolve(file).split(/[\\/]+/);
}

function epochOf(name: string): number | undefined {
  const m = /^epoch_(\d+)(?:\.json)?$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function describe(run: Run | undefined, runId: string, epoch: number | null): string {
  const where = run !== undefined && run.task !== undefined && run.exp_id !== undefined ? `${run.task}/${run.exp_id} · ` : '';
  const mode = run?.mode === 'eval' ? ' · evaluation' : '';
  return `${where}run ${runId}${epoch !== null ? ` · epoch ${epoch}` : mode}`;
}

function sameDir(a: string | undefined, b: string): boolean {
  return a !== undefined && path.resolve(a) === path.resolve(b);
}

/** The newest run writing to `saveDir`, preferring one that evaluated `epoch`. */
function runInSaveDir(runs: readonly Run[], saveDir: string, epoch: number | undefined): Run | undefined {
  const here = runs.filter((r) => sameDir(r.save_dir, saveDir)).sort((a, b) => (b.started ?? '').localeCompare(a.started ?? ''));
  if (epoch !== undefined) {
    const withEval = here.find((r) => r.epochs.get(epoch)?.eval !== undefined);
    if (withEval !== undefined) return withEval;
  }
  return here[0];
}

function lastEvalEpoch(run: Run): number | null {
  let best: number | null = null;
  for (const e of run.epochs.values()) if (e.eval !== undefined && (best === null || e.epoch > best)) best = e.epoch;
  return best;
}

/** The run a summary file belongs to, or undefined when it lies outside every known layout/run. */
export function runLinkOf(file: string, runs: readonly Run[]): RunLink | undefined {
  const p = parts(file);
  const n = p.length;
  const base = p[n - 1] ?? '';
  // .../runs/<id>/eval/<epoch_N|eval>/metrics_summary.json
  if (base === 'metrics_summary.json' && n >= 5 && p[n - 3] === 'eval' && p[n - 5] === 'runs') {
    const runId = p[n - 4];
    const epoch = p[n - 2] === 'eval' ? null : epochOf(p[n - 2]);
    if (epoch === undefined) return undefined;
    const run = runs.find((r) => r.id === runId);
    if (run === undefined) return undefined;
    return { runId, epoch, label: describe(run, runId, epoch) };
  }
  // <save_dir>/.centerfusion-studio/metrics/<logs>/<eval dir>/epoch_N.json
  const epochCopy = epochOf(base);
  if (epochCopy !== undefined && n >= 6 && p[n - 4] === 'metrics' && p[n - 5] === '.centerfusion-studio') {
    const saveDir = p.slice(0, n - 5).join(path.sep) || path.sep;
    const run = runInSaveDir(runs, saveDir, epochCopy);
    return run === undefined ? undefined : { runId: run.id, epoch: epochCopy, label: describe(run, run.id, epochCopy) };
  }
  // <save_dir>/nuscenes_eval_det_output_<split>/metrics_summary.json
  if (base === 'metrics_summary.json' && n >= 2 && p[n - 2].startsWith('nuscenes_eval_det_output_')) {
    const saveDir = p.slice(0, n - 2).join(path.sep) || path.sep;
    const run = runInSaveDir(runs, saveDir, undefined);
    if (run === undefined) return undefined;
    const epoch = run.mode === 'eval' ? null : lastEvalEpoch(run);
    return { runId: run.id, epoch, label: describe(run, run.id, epoch) };
  }
  return undefined;
}
