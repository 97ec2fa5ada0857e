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
import type { IterProgress, Run } from '../runs/runStore';

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

/** True when iteration point `b` comes after `a` in training order (a later epoch, or a later iteration of the same one). */
function after(a: IterPoint, b: { epoch: number; iter: number }): boolean {
  return b.epoch > a.epoch || (b.epoch === a.epoch && b.iter > a.iter);
}

/**
 * Per-panel memory of what was sent: epochs by their JSON, the iteration points, the checkpoint
 * list.
 *
 * Iteration points: every train iteration of the run's current epoch, in order, each once. They
 * come from `addIters` (every iteration the store folds live: RunStore.onDidFoldIters), from
 * `observe` (the run's newest iteration, for runs fed otherwise) and from `seed` (read back from
 * the run's events file). A point that is not after the newest one held is a repeat and is
 * dropped, so the three sources never duplicate a point or put one out of order. At most
 * MAX_ITER_POINTS are kept: past that, every other point of the older half goes (old points are
 * thinned, never the newest). What was sent is remembered by the last point sent, so thinning
 * never resends or skips a point.
 */
export class DashboardTracker {
  private readonly sentEpochs = new Map<number, string>();
  private sentCheckpoints = '';
  private iters: IterPoint[] = [];
  /** The newest point the page has (undefined: none of the held points). */
  private lastSent: IterPoint | undefined;
  /** The epoch whose points were read back from the events file (seed), once per epoch. */
  private seededEpoch: number | undefined;

  /** Records the run's current iteration point, if it is a new train iteration. */
  observe(run: Run): void {
    const it = run.iter;
    if (it !== undefined) this.addIters([it]);
  }

  /** Appends the train iterations among `points` that come after the newest point held. */
  addIters(points: readonly IterProgress[]): void {
    let added = false;
    for (const it of points) {
      if (it.phase !== 'train' || it.epoch === null) continue;
      const last = this.iters[this.iters.length - 1];
      if (last !== undefined) {
        if (!after(last, { epoch: it.epoch, iter: it.iter })) continue; // a repeat or an older point
        if (last.epoch !== it.epoch) {
          // A new epoch: the page starts its iteration chart afresh.
          this.iters = [];
          this.lastSent = undefined;
        }
      }
      this.iters.push({ epoch: it.epoch, iter: it.iter, numIters: it.num_iters, losses: cleanStats(it.losses) });
      added = true;
    }
    if (added) this.bound();
  }

  /** Thins the older half until at most MAX_ITER_POINTS are held. */
  private bound(): void {
    while (this.iters.length > MAX_ITER_POINTS) {
      const half = Math.floor(this.iters.length / 2);
      const kept: IterPoint[] = [];
      for (let i = 0; i < half; i += 2) kept.push(this.iters[i]!);
      this.iters = kept.concat(this.iters.slice(half));
    }
  }

  /** The points held, oldest first (a copy). */
  heldIters(): IterPoint[] {
    return this.iters.slice();
  }

  /** Whether the newest epoch's points should be read back from the events file before a snapshot. */
  needsSeed(run: Run): boolean {
    return run.epoch !== undefined && this.seededEpoch !== run.epoch;
  }

  /**
   * Seeds the iteration points of the run's newest epoch from its events (read back from
   * events.jsonl when the panel opens, since the store keeps only the latest iteration and this
   * panel saw only what came after it was created). Merged with the points held: each iteration
   * once, in order.
   */
  seed(run: Run, events: readonly RunEvent[]): void {
    const epoch = run.epoch;
    if (epoch === undefined) return;
    this.seededEpoch = epoch;
    const byIter = new Map<number, IterPoint>();
    for (const e of events) {
      if (e.type === 'iter' && e.run === run.id && e.phase === 'train' && e.epoch === epoch) {
        byIter.set(e.iter, { epoch, iter: e.iter, numIters: e.num_iters, losses: cleanStats(e.losses) });
      }
    }
    if (byIter.size === 0) return;
    const held = this.iters[this.iters.length - 1];
    if (held !== undefined && held.epoch > epoch) return; // the run moved on meanwhile
    if (held !== undefined && held.epoch === epoch) for (const p of this.iters) byIter.set(p.iter, p);
    const points = [...byIter.values()].sort((a, b) => a.iter - b.iter);
    // One pass of even decimation for a long file, then the usual bound (which keeps the newest).
    const step = Math.floor(points.length / MAX_ITER_POINTS);
    this.iters = step > 1 ? points.filter((_, i) => i % step === 0 || i >= points.length - MAX_ITER_POINTS / 2) : points;
    this.bound();
    this.lastSent = undefined;
  }

  snapshot(run: Run, actions: CheckpointAction[], focusEpoch: number | null = null): SnapshotMessage {
    this.observe(run);
    const epochs = epochPoints(run);
    this.sentEpochs.clear();
    for (const e of epochs) this.sentEpochs.set(e.epoch, JSON.stringify(e));
    const checkpoints = checkpointRows(run);
    this.sentCheckpoints = JSON.stringify(checkpoints);
    this.lastSent = this.iters[this.iters.length - 1];
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
    const iters = this.unsent();
    this.lastSent = this.iters[this.iters.length - 1] ?? this.lastSent;
    const message: DeltaMessage = { type: 'delta', header: headerOf(run), epochs, iters };
    const rows = checkpointRows(run);
    const json = JSON.stringify(rows);
    if (json !== this.sentCheckpoints) {
      this.sentCheckpoints = json;
      message.checkpoints = rows;
    }
    return message;
  }

  /** The points held that come after the last one sent (all of them when none was sent). */
  private unsent(): IterPoint[] {
    const sent = this.lastSent;
    if (sent === undefined) return this.iters.slice();
    let i = this.iters.length;
    while (i > 0 && after(sent, this.iters[i - 1]!)) i--;
    return this.iters.slice(i);
  }

  /** True when `p` is one of the checkpoints listed for this run (the only paths acted on). */
  static isKnownCheckpoint(run: Run, p: string): boolean {
    return run.checkpoints.some((c) => c.path === p);
  }
}
