/**
 * Turns a run from the run store into the dashboard's messages, and tracks what a panel has
 * already received so that later messages carry only what changed. No vscode import
 * (unit-tested).
 */

import * as path from 'node:path';
import type {
  CheckpointAction,
  CheckpointRow,
  DashboardHeader,
  DeltaMessage,
  EpochPoint,
  EvalPoint,
  IterPoint,
  SnapshotMessage,
} from '../../shared/webview/dashboard';
import { TP_ERRORS } from '../../shared/webview/dashboard';
import type { EvalMetrics, RunEvent } from '../../shared/protocol/types';
import type { Run } from '../runs/runStore';

/** Iteration points kept per run (the current epoch only); older points are thinned out. */
export const MAX_ITER_POINTS = 2000;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function evalPoint(m: EvalMetrics | undefined): EvalPoint | null {
  if (m === undefined) return null;
  const ap: Record<string, number | null> = {};
  const tp: Record<string, Record<string, number | null>> = {};
  for (const [cls, c] of Object.entries(m.per_class ?? {})) {
    ap[cls] = num(c.AP);
    const errors: Record<string, number | null> = {};
    for (const [key] of TP_ERRORS) errors[key] = num(c[key]);
    tp[cls] = errors;
  }
  return { NDS: num(m.NDS), mAP: num(m.mAP), mATE: num(m.mATE), mASE: num(m.mASE), mAOE: num(m.mAOE), mAVE: num(m.mAVE), mAAE: num(m.mAAE), ap, tp };
}

function cleanStats(s: Readonly<Record<string, unknown>> | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(s ?? {})) out[k] = num(v);
  return out;
}

export function runTitle(run: Run): string {
  const name = run.exp_id ?? run.configName ?? run.id;
  return `${run.task ?? '?'}/${name}`;
}

export function epochPoints(run: Run): EpochPoint[] {
  return [...run.epochs.values()]
    .sort((a, b) => a.epoch - b.epoch)
    .map((e) => ({
      epoch: e.epoch,
      lr: num(e.lr),
      train: cleanStats(e.train),
      val: e.val ? cleanStats(e.val) : null,
      eval: evalPoint(e.eval),
    }));
}

export function bestNds(run: Run): { nds: number | null; epoch: number | null } {
  let best: number | null = null;
  let epoch: number | null = null;
  for (const e of run.epochs.values()) {
    const nds = num(e.eval?.NDS);
    if (nds !== null && (best === null || nds > best)) {
      best = nds;
      epoch = e.epoch;
    }
  }
  return { nds: best, epoch };
}

export function headerOf(run: Run): DashboardHeader {
  const best = bestNds(run);
  return {
    runId: run.id,
    title: runTitle(run),
    status: run.status,
    epoch: run.epoch ?? null,
    numEpochs: run.num_epochs ?? null,
    etaS: run.status === 'running' ? num(run.iter?.eta_s) : null,
    backend: run.backend ?? null,
    started: run.started ?? null,
    ended: run.ended ?? null,
    bestNds: best.nds,
    bestNdsEpoch: best.epoch,
    note: run.note ?? (run.errors.length > 0 ? run.errors[run.errors.length - 1] : null),
  };
}

export function checkpointRows(run: Run): CheckpointRow[] {
  return [...run.checkpoints]
    .sort((a, b) => a.epoch - b.epoch || a.path.localeCompare(b.path))
    .map((c) => ({
      path: c.path,
      name: path.basename(c.path),
      epoch: c.epoch,
      kind: c.kind,
      sizeBytes: num(c.size_bytes),
      t: c.t,
      nds: num(run.epochs.get(c.epoch)?.eval?.NDS),
    }));
}

/**
 * Per-panel memory of what was sent: epochs by their JSON, the iteration points, the checkpoint
 * list. `observe` records the run's newest train iteration (the store keeps only the latest).
 */
export class DashboardTracker {
  private readonly sentEpochs = new Map<number, string>();
  private sentCheckpoints = '';
  private iters: IterPoint[] = [];
  private sentIters = 0;
  private lastIterKey = '';

  /** Records the run's current iteration point, if it is a new train iteration. */
  observe(run: Run): void {
    const it = run.iter;
    if (it === undefined || it.phase !== 'train' || it.epoch === null) return;
    const key = `${it.epoch}:${it.iter}`;
    if (key === this.lastIterKey) return;
    this.lastIterKey = key;
    const current = this.iters[this.iters.length - 1];
    if (current !== undefined && current.epoch !== it.epoch) {
      // A new epoch: the page starts its iteration chart afresh.
      this.iters = [];
      this.sentIters = 0;
    }
    this.iters.push({ epoch: it.epoch, iter: it.iter, numIters: it.num_iters, losses: cleanStats(it.losses) });
    if (this.iters.length > MAX_ITER_POINTS) {
      // Keep every other point of the older half, so that the chart spans the whole epoch.
      const half = Math.floor(this.iters.length / 2);
      const thinned = this.iters.slice(0, half).filter((_, i) => i % 2 === 0);
      const dropped = half - thinned.length;
      this.iters = [...thinned, ...this.iters.slice(half)];
      this.sentIters = Math.max(0, this.sentIters - dropped);
    }
  }

  /**
   * Seeds the iteration points of the run's newest epoch from its events (e.g. read back from
   * events.jsonl when the panel opens after the run was loaded from disk, since the store keeps
   * only the latest iteration). Does nothing when points for that epoch are already held.
   */
  seed(run: Run, events: readonly RunEvent[]): void {
    const epoch = run.epoch;
    if (epoch === undefined || this.iters.some((p) => p.epoch === epoch)) return;
    const points: IterPoint[] = [];
    for (const e of events) {
      if (e.type === 'iter' && e.run === run.id && e.phase === 'train' && e.epoch === epoch) {
        points.push({ epoch, iter: e.iter, numIters: e.num_iters, losses: cleanStats(e.losses) });
      }
    }
    if (points.length === 0) return;
    points.sort((a, b) => a.iter - b.iter);
    const step = Math.ceil(points.length / MAX_ITER_POINTS);
    this.iters = step > 1 ? points.filter((_, i) => i % step === 0 || i === points.length - 1) : points;
    this.sentIters = 0;
    const last = this.iters[this.iters.length - 1];
    if (last !== undefined) this.lastIterKey = `${last.epoch}:${last.iter}`;
  }

  snapshot(run: Run, actions: CheckpointAction[], focusEpoch: number | null = null): SnapshotMessage {
    this.observe(run);
    const epochs = epochPoints(run);
    this.sentEpochs.clear();
    for (const e of epochs) this.sentEpochs.set(e.epoch, JSON.stringify(e));
    const checkpoints = checkpointRows(run);
    this.sentCheckpoints = JSON.stringify(checkpoints);
    this.sentIters = this.iters.length;
    return { type: 'snapshot', header: headerOf(run), epochs, iters: this.iters.slice(), checkpoints, actions, focusEpoch };
  }

  /** What changed since the last snapshot or delta; undefined when nothing did except the header. */
  delta(run: Run): DeltaMessage {
    this.observe(run);
    const epochs: EpochPoint[] = [];
    for (const e of epochPoints(run)) {
      const json = JSON.stringify(e);
      if (this.sentEpochs.get(e.epoch) !== json) {
        this.sentEpochs.set(e.epoch, json);
        epochs.push(e);
      }
    }
    const iters = this.iters.slice(this.sentIters);
    this.sentIters = this.iters.length;
    const message: DeltaMessage = { type: 'delta', header: headerOf(run), epochs, iters };
    const rows = checkpointRows(run);
    const json = JSON.stringify(rows);
    if (json !== this.sentCheckpoints) {
      this.sentCheckpoints = json;
      message.checkpoints = rows;
    }
    return message;
  }

  /** True when `p` is one of the checkpoints listed for this run (the only paths acted on). */
  static isKnownCheckpoint(run: Run, p: string): boolean {
    return run.checkpoints.some((c) => c.path === p);
  }
}
