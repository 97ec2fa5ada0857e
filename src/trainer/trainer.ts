/**
 * One pass over a data split, as CenterFusion's Trainer.run_epoch: running averages of every
 * loss (weighted by batch size), data and whole-iteration times, a progress report per
 * iteration, and on validation no gradients and optionally the decoded detections.
 */
import { tf } from './tf';
import { collate, disposeBatch, type Batch } from './data/batch';
import type { Dataset, Sample } from './data/types';
import { deriveSeed, Rng } from './prng';
import { computeLosses, lossNames, regressionTargetsFor } from './losses';
import type { TinyCenterNet } from './model/network';
import type { Optimizer } from './optimizer';
import { decodeDetections } from './decode';
import type { EvalSample } from './evaluate';

/** Thrown at an iteration boundary once a stop was requested (SIGINT/SIGTERM). */
export class StopRequested extends Error {
  constructor(readonly signal: string) {
    super(`stopped by ${signal}`);
    this.name = 'StopRequested';
  }
}

export interface IterReport {
  phase: 'train' | 'val';
  epoch: number | null;
  iter: number;
  num_iters: number;
  losses: Record<string, number>;
  elapsed_s: number;
  eta_s: number;
  data_s: number;
  net_s: number;
  /** The current iteration's data time (CenterFusion prints it beside the average). */
  data_now_s: number;
}

export interface EpochHooks {
  /** Called after every iteration; the caller throttles what it emits. */
  onIter(report: IterReport): void;
  /** A pending stop request's signal name, or null. Checked before every iteration. */
  stopSignal(): string | null;
}

export interface EpochResult {
  /** Loss averages in CenterFusion's order, then 'time' in minutes. */
  stats: Record<string, number>;
  timeMin: number;
  /** With collectDetections: one entry per validation sample. */
  detections?: EvalSample[];
}

export interface TrainerConfig {
  heads: Record<string, number>;
  weights: Record<string, number>;
  batchSize: number;
  shuffle: boolean;
  /** --num_iters: iterations per epoch when > 0, else the whole loader. */
  numIters: number;
  seed: number;
  downRatio: number;
  K: number;
}

class AverageMeter {
  sum = 0;
  count = 0;
  update(value: number, n: number): void {
    this.sum += value * n;
    this.count += n;
  }
  get avg(): number {
    return this.count > 0 ? this.sum / this.count : 0;
  }
}

function now(): number {
  return performance.now() / 1000;
}

/** Lets pending signal handlers run between (synchronous) iterations. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Trainer {
  readonly lossStats: string[];
  private readonly regTargets: string[];

  constructor(
    readonly model: TinyCenterNet,
    readonly optimizer: Optimizer,
    readonly config: TrainerConfig,
  ) {
    this.lossStats = lossNames(config.heads);
    this.regTargets = regressionTargetsFor(config.heads);
  }

  /** Sample order of one training epoch (shuffled with a per-epoch seed only with --shuffle_train). */
  private trainOrder(dataset: Dataset, epoch: number): number[] {
    const order = Array.from({ length: dataset.size }, (_, i) => i);
    if (this.config.shuffle) new Rng(deriveSeed(this.config.seed, 4, epoch)).shuffle(order);
    return order;
  }

  /** Batches of an epoch: train drops the last partial batch; val has batch size 1. */
  private plan(phase: 'train' | 'val', dataset: Dataset, epoch: number): number[][] {
    if (phase === 'val') return Array.from({ length: dataset.size }, (_, i) => [i]);
    const order = this.trainOrder(dataset, epoch);
    const bs = Math.max(1, this.config.batchSize);
    const batches: number[][] = [];
    for (let start = 0; start + bs <= order.length; start += bs) batches.push(order.slice(start, start + bs));
    return batches;
  }

  private trainStep(batch: Batch): Record<string, number> {
    const kept: Record<string, tf.Scalar> = {};
    const vars = this.model.variables();
    const { value, grads } = tf.variableGrads(() => {
      const outputs = this.model.forward(batch.image);
      const r = computeLosses(outputs, batch, this.config.heads, this.config.weights);
      for (const [k, v] of Object.entries(r.parts)) kept[k] = tf.keep(v);
      return r.tot;
    }, vars);
    const named: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.model.params) {
      const g = grads[v.name];
      if (g !== undefined) named[name] = g;
    }
    this.optimizer.step(this.model.params, named);
    const values: Record<string, number> = { tot: value.dataSync()[0] };
    for (const [k, v] of Object.entries(kept)) values[k] = v.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
    return values;
  }

  private valStep(batch: Batch, collect: EvalSample[] | undefined): Record<string, number> {
    return tf.tidy(() => {
      const outputs = this.model.forward(batch.image);
      const r = computeLosses(outputs, batch, this.config.heads, this.config.weights);
      const values: Record<string, number> = { tot: r.tot.dataSync()[0] };
      for (const [k, v] of Object.entries(r.parts)) values[k] = v.dataSync()[0];
      if (collect) {
        const dets = decodeDetections(outputs, batch.samples.map((s) => s.calib), this.config.downRatio, this.config.K);
        batch.samples.forEach((s: Sample, i) => collect.push({ token: s.token, objects: s.objects, detections: dets[i] }));
      }
      return values;
    });
  }

  /** Runs one phase over `dataset`; throws StopRequested at an iteration boundary when asked. */
  async runEpoch(
    phase: 'train' | 'val',
    epoch: number | null,
    dataset: Dataset,
    hooks: EpochHooks,
    collectDetections = false,
  ): Promise<EpochResult> {
    const batches = this.plan(phase, dataset, epoch ?? 0);
    const numIters = this.config.numIters > 0 ? Math.min(this.config.numIters, batches.length) : batches.length;
    const meters = new Map<string, AverageMeter>(this.lossStats.map((n) => [n, new AverageMeter()]));
    const dataTime = new AverageMeter();
    const batchTime = new AverageMeter();
    const collect: EvalSample[] | undefined = collectDetections ? [] : undefined;
    const start = now();
    let end = start;
    for (let iter = 0; iter < numIters; iter++) {
      const signal = hooks.stopSignal();
      if (signal !== null) throw new StopRequested(signal);
      const samples = batches[iter].map((i) => dataset.get(i));
      const batch = collate(samples, dataset.geometry, this.regTargets);
      const dataNow = now() - end;
      dataTime.update(dataNow, 1);
      let values: Record<string, number>;
      try {
        values = phase === 'train' ? this.trainStep(batch) : this.valStep(batch, collect);
      } finally {
        disposeBatch(batch);
      }
      for (const name of this.lossStats) meters.get(name)?.update(values[name] ?? NaN, batch.size);
      batchTime.update(now() - end, 1);
      end = now();
      const elapsed = end - start;
      const losses: Record<string, number> = {};
      for (const [name, m] of meters) losses[name] = m.avg;
      hooks.onIter({
        phase,
        epoch,
        iter,
        num_iters: numIters,
        losses,
        elapsed_s: elapsed,
        eta_s: (elapsed / (iter + 1)) * (numIters - iter - 1),
        data_s: dataTime.avg,
        net_s: batchTime.avg,
        data_now_s: dataNow,
      });
      await yieldToEventLoop();
      end = now();
    }
    const timeMin = (now() - start) / 60;
    const stats: Record<string, number> = {};
    for (const [name, m] of meters) stats[name] = m.avg;
    stats.time = timeMin;
    return { stats, timeMin, detections: collect };
  }
}
