/**
 * One pass over a data split, as CenterFusion's Trainer.run_epoch: running averages of every
 * loss (weighted by batch size), data and whole-iteration times, a progress report per
 * iteration, and on validation no gradients and optionally the decoded detections.
 */
import { tf } from './tf';
import { collate, disposeBatch, type Batch } from './data/batch';
import type { Dataset, Sample } from './data/types';
import { createLoader, type Loader } from './data/loader';
import { computeLosses, lossNames, regressionTargetsFor } from './losses';
import type { Network } from './model';
import { pcHmFromFirstStage } from './model/pc-inference';
import type { PcHmOptions } from './radar/frustum';
import type { Optimizer } from './optimizer';
import { decodeDetections } from './decode';
import type { EvalSample } from './evaluate';
import type { BackendName } from './backend/names';
import { ParallelEngine } from './parallel/engine';
import { TrainerProgram, type TrainerProgramConfig } from './parallel/trainer-program';
import { splitChunks } from './parallel/replicas';

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
  /** --num_workers: data worker threads (0: samples are built on the training thread). */
  numWorkers?: number;
  seed: number;
  downRatio: number;
  K: number;
  /**
   * --pointcloud: batches carry the ground-truth pc_hm for training; validation builds pc_hm
   * from the first-stage detections with these frustum-association options.
   */
  pointcloud?: PcHmOptions;
  /** CenterFusion's sigmoid_dep_sec (true with --pointcloud). */
  sigmoidDepSec?: boolean;
  /**
   * Data-parallel replicas (./parallel/replicas.ts planReplicas): with a count above 1 each
   * training step is split into `chunks` computed by the main thread and count-1 worker threads
   * on `backend`, gradients averaged (./parallel/engine.ts). Validation stays on this thread.
   */
  replicas?: { count: number; chunks: number[]; backend: BackendName };
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
    readonly model: Network,
    readonly optimizer: Optimizer,
    readonly config: TrainerConfig,
  ) {
    this.lossStats = lossNames(config.heads);
    this.regTargets = regressionTargetsFor(config.heads);
  }

  private readonly loaders = new Map<Dataset, Loader>();

  /**
   * The data loader of a dataset (created once): training batches of --batch_size, shuffled
   * per epoch with --shuffle_train, the last partial batch dropped; validation one sample at a
   * time, in order. Samples are built by --num_workers worker threads.
   */
  private loaderFor(phase: 'train' | 'val', dataset: Dataset): Loader {
    let loader = this.loaders.get(dataset);
    if (!loader) {
      loader = createLoader(dataset, {
        batchSize: phase === 'train' ? Math.max(1, this.config.batchSize) : 1,
        shuffle: phase === 'train' && this.config.shuffle,
        seed: this.config.seed,
        numWorkers: this.config.numWorkers ?? 0,
        dropLast: phase === 'train',
      });
      this.loaders.set(dataset, loader);
    }
    return loader;
  }

  /** Ends the data worker threads and the data-parallel replicas. */
  async close(): Promise<void> {
    const all = [...this.loaders.values()];
    this.loaders.clear();
    const engine = this.engine;
    this.engine = undefined;
    await Promise.all([...all.map((l) => l.close()), engine?.then((e) => e.close(), () => undefined)]);
  }

  private engine: Promise<ParallelEngine> | undefined;
  private started: ParallelEngine | undefined;

  /** Whether replica worker threads are alive (they start with the first training step). */
  get replicaThreadsRunning(): boolean {
    return this.started?.running ?? false;
  }

  /** The replica engine, started on the first training step (its workers need the batch geometry). */
  private engineFor(dataset: Dataset): Promise<ParallelEngine> {
    const plan = this.config.replicas!;
    if (!this.engine) {
      const g = dataset.geometry;
      const config: TrainerProgramConfig = {
        spec: this.model.spec,
        heads: this.config.heads,
        weights: this.config.weights,
        lossOptions: this.lossOptions(),
        geometry: { inputH: g.inputH, inputW: g.inputW, outputH: g.outputH, outputW: g.outputW, numClasses: g.numClasses, maxObjs: g.maxObjs },
        regTargets: this.regTargets,
        withPcHm: this.config.pointcloud !== undefined,
      };
      this.engine = ParallelEngine.create({
        replicas: plan.count,
        backend: plan.backend,
        local: new TrainerProgram(this.model, config),
        program: { builtin: 'centerfusion' },
        config,
      });
      // A failed start is reported by the step that awaits it; close() must not throw it again.
      this.engine.then((e) => (this.started = e), () => undefined);
    }
    return this.engine;
  }

  /** One training step over the replicas: chunk gradients averaged, then one optimizer step. */
  private async parallelTrainStep(samples: Sample[], dataset: Dataset): Promise<Record<string, number>> {
    const plan = this.config.replicas!;
    const engine = await this.engineFor(dataset);
    const chunks = splitChunks(samples, plan.chunks).map((c) => (c.length > 0 ? c : undefined));
    const r = await engine.step(chunks);
    const params = [...this.model.params];
    const named: Record<string, tf.Tensor> = {};
    r.grads.forEach((g, i) => {
      if (g !== undefined) named[params[i][0]] = g;
    });
    try {
      this.optimizer.step(this.model.params, named);
    } finally {
      tf.dispose(Object.values(named));
    }
    return r.losses;
  }

  /** Replicas of the training step (1: this thread only, no worker threads). */
  get replicaCount(): number {
    return Math.max(1, this.config.replicas?.count ?? 1);
  }

  /** tf.memory().numTensors of each replica after its last step (one entry without replicas). */
  async replicaTensorCounts(): Promise<number[]> {
    if (!this.engine) return [tf.memory().numTensors];
    return (await this.engine).tensorCounts();
  }

  private trainStep(batch: Batch): Record<string, number> {
    const kept: Record<string, tf.Scalar> = {};
    const vars = this.model.variables();
    this.model.training = true;
    const { value, grads } = tf.variableGrads(() => {
      const outputs = this.model.forward(batch.image, batch.pcHm);
      const r = computeLosses(outputs, batch, this.config.heads, this.config.weights, this.lossOptions());
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

  private lossOptions(): { sigmoidDepSec: boolean } {
    return { sigmoidDepSec: this.config.sigmoidDepSec ?? true };
  }

  /**
   * Evaluation-mode outputs. With --pointcloud, as CenterFusion's model does when not training:
   * the primary heads first, pc_hm from their detections, then the secondary heads.
   */
  private inferenceOutputs(batch: Batch): Record<string, tf.Tensor4D> {
    this.model.training = false;
    const pc = this.config.pointcloud;
    if (!pc) return this.model.forward(batch.image);
    const first = this.model.forwardFirstStage(batch.image);
    const pcHm = pcHmFromFirstStage(first.outputs, batch.samples, this.config.downRatio, this.config.K, pc);
    return { ...first.outputs, ...this.model.forwardSecondStage(first.features, pcHm) };
  }

  private valStep(batch: Batch, collect: EvalSample[] | undefined): Record<string, number> {
    return tf.tidy(() => {
      const outputs = this.inferenceOutputs(batch);
      const r = computeLosses(outputs, batch, this.config.heads, this.config.weights, this.lossOptions());
      const values: Record<string, number> = { tot: r.tot.dataSync()[0] };
      for (const [k, v] of Object.entries(r.parts)) values[k] = v.dataSync()[0];
      if (collect) {
        const dets = decodeDetections(outputs, batch.samples.map((s) => s.calib), this.config.downRatio, this.config.K, this.lossOptions());
        batch.samples.forEach((s: Sample, i) => collect.push({ token: s.token, objects: s.objects, detections: dets[i], ...(s.pose ? { pose: s.pose } : {}) }));
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
    const loader = this.loaderFor(phase, dataset);
    const dataEpoch = epoch ?? 0;
    const planned = loader.plan(dataEpoch);
    const numIters = this.config.numIters > 0 ? Math.min(this.config.numIters, planned.length) : planned.length;
    const source = loader.batches(dataEpoch, planned.slice(0, numIters));
    const meters = new Map<string, AverageMeter>(this.lossStats.map((n) => [n, new AverageMeter()]));
    const dataTime = new AverageMeter();
    const batchTime = new AverageMeter();
    const collect: EvalSample[] | undefined = collectDetections ? [] : undefined;
    const start = now();
    let end = start;
    try {
      for (let iter = 0; iter < numIters; iter++) {
        const signal = hooks.stopSignal();
        if (signal !== null) throw new StopRequested(signal);
        const next = await source.next();
        if (next.done) break;
        const samples = next.value;
        let values: Record<string, number>;
        let dataNow: number;
        if (phase === 'train' && this.replicaCount > 1) {
          // Each replica collates its own chunk.
          dataNow = now() - end;
          dataTime.update(dataNow, 1);
          values = await this.parallelTrainStep(samples, dataset);
        } else {
          const batch = collate(samples, dataset.geometry, this.regTargets, this.config.pointcloud !== undefined);
          dataNow = now() - end;
          dataTime.update(dataNow, 1);
          try {
            values = phase === 'train' ? this.trainStep(batch) : this.valStep(batch, collect);
          } finally {
            disposeBatch(batch);
          }
        }
        for (const name of this.lossStats) meters.get(name)?.update(values[name] ?? NaN, samples.length);
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
    } finally {
      // Ends the generator (and its prefetching) however the phase ends.
      await source.return(undefined);
    }
    const timeMin = (now() - start) / 60;
    const stats: Record<string, number> = {};
    for (const [name, m] of meters) stats[name] = m.avg;
    stats.time = timeMin;
    return { stats, timeMin, detections: collect };
  }
}
