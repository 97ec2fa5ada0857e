/**
 * The data-parallel engine: N replicas of a program (./program.ts), replica 0 on the calling
 * (main) thread and replicas 1..N-1 in worker threads (./worker.ts), each with its own tfjs
 * backend (tfjs's wasm backend runs on one thread under Node, so this is how a second core helps).
 *
 * One step (CenterFusion's DataParallel, then one optimizer step by the caller):
 *   1. the main thread writes replica 0's current weights into a SharedArrayBuffer;
 *   2. it posts each worker its chunk, then computes its own chunk's gradients meanwhile;
 *   3. each worker assigns the shared weights to its variables, computes its chunk's losses and
 *      gradients and writes the gradients into its own SharedArrayBuffer region;
 *   4. the main thread averages the gradients with equal weights per replica (DataParallel's
 *      `loss.mean()` over the replicas' losses) and the loss values the same way.
 * Batch-norm statistics are per chunk; the running statistics that count are replica 0's (the
 * main thread's network), as DataParallel keeps those of the module on the first device.
 *
 * The shared buffers are allocated once. A replica that throws, exits, runs out of memory or does
 * not answer within its time limit fails the step with an error naming the replica (never a hang),
 * and the engine is then closed: every worker is terminated. close() ends the workers too.
 * Summation order is fixed, so the same seed and replica count give bit-identical results.
 */
import { Worker } from 'node:worker_threads';
import { tf } from '../tf';
import type { BackendName } from '../backend/names';
import { REPLICA_MARK, type FromReplica, type ProgramRef, type ReplicaProgram, type ReplicaWorkerData, type ToReplica } from './program';
// Loading this module in a replica worker starts the worker loop (see ./worker.ts).
import './worker';

export class ReplicaError extends Error {
  override name = 'ReplicaError';
  constructor(
    readonly replica: number,
    message: string,
  ) {
    super(`data-parallel replica ${replica} (worker thread): ${message}`);
  }
}

export interface EngineOptions {
  /** Replicas in all, the main thread included (>= 2: with 1 there is nothing to run in parallel). */
  replicas: number;
  backend: BackendName;
  /** Replica 0: the program on the main thread (its variables are the ones the optimizer updates). */
  local: ReplicaProgram;
  /** The factory the workers build their programs with, and its (structured-cloneable) config. */
  program: ProgramRef;
  config: unknown;
  /** Modules a worker loads before its program (tests, benchmarks). */
  preload?: string[];
  /** Time limit for a worker to initialise (default 120 s). */
  initTimeoutMs?: number;
  /** A worker may take max(stepTimeoutMinMs, stepTimeoutFactor × replica 0's compute time) (defaults 60 s, 20). */
  stepTimeoutMinMs?: number;
  stepTimeoutFactor?: number;
}

export interface StepResult {
  /** Loss values averaged over the replicas that had a chunk. */
  losses: Record<string, number>;
  /** The averaged gradient per parameter (index in local.params order); the caller disposes them. */
  grads: Array<tf.Tensor | undefined>;
  /** Each replica's own loss values (undefined for a replica without a chunk). */
  perReplica: Array<Record<string, number> | undefined>;
}

interface Replica {
  index: number;
  worker: Worker;
  grads: Float32Array;
  hasGrad: Int32Array;
  /** tf.memory().numTensors after its last step. */
  numTensors: number;
  exited: boolean;
}

interface Waiter {
  resolve: (m: FromReplica) => void;
  reject: (e: Error) => void;
}

export class ParallelEngine {
  private readonly replicas: Replica[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private readonly weights: Float32Array;
  private readonly sum: Float32Array;
  private readonly offsets: number[] = [];
  private failure: Error | undefined;
  /** Set when close() starts (a worker's exit is then expected). */
  private closed = false;
  private seq = 0;

  private constructor(private readonly options: EngineOptions) {
    let total = 0;
    for (const p of options.local.params) {
      this.offsets.push(total);
      total += p.variable.size;
    }
    this.weights = new Float32Array(new SharedArrayBuffer(total * 4));
    this.sum = new Float32Array(total);
  }

  /** Starts the workers and waits until each has built its program. */
  static async create(options: EngineOptions): Promise<ParallelEngine> {
    if (!(options.replicas >= 2)) throw new RangeError(`a data-parallel engine needs at least 2 replicas, got ${options.replicas}`);
    const engine = new ParallelEngine(options);
    try {
      await engine.start();
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  get replicaCount(): number {
    return this.options.replicas;
  }

  /** tf.memory().numTensors of each worker after its last step (index 0: this thread). */
  tensorCounts(): number[] {
    return [tf.memory().numTensors, ...this.replicas.map((r) => r.numTensors)];
  }

  private async start(): Promise<void> {
    const params = this.options.local.params.map((p) => ({ name: p.name, shape: [...p.variable.shape] }));
    const total = this.weights.length;
    for (let index = 1; index < this.options.replicas; index++) {
      const grads = new SharedArrayBuffer(total * 4);
      const hasGrad = new SharedArrayBuffer(Math.max(1, params.length) * 4);
      const data: ReplicaWorkerData = {
        [REPLICA_MARK]: true,
        replica: index,
        backend: this.options.backend,
        program: this.options.program,
        config: this.options.config,
        params,
        weights: this.weights.buffer as SharedArrayBuffer,
        grads,
        hasGrad,
        preload: this.options.preload ?? [],
      };
      // This module's own file: engine.js under out/, the whole bundle (dist/cli.js) under dist/.
      const worker = new Worker(`require(${JSON.stringify(__filename)});`, { eval: true, workerData: data });
      const replica: Replica = { index, worker, grads: new Float32Array(grads), hasGrad: new Int32Array(hasGrad), numTensors: 0, exited: false };
      worker.on('message', (m: FromReplica) => this.onMessage(replica, m));
      worker.on('error', (e: Error) => this.fail(new ReplicaError(index, `failed: ${e.message}`)));
      worker.on('exit', (code) => {
        replica.exited = true;
        if (!this.closed) this.fail(new ReplicaError(index, `exited unexpectedly (code ${code})`));
      });
      this.replicas.push(replica);
    }
    const limit = this.options.initTimeoutMs ?? 120_000;
    await Promise.all(
      this.replicas.map(async (r) => {
        const m = await this.wait(r, limit, `did not start within ${Math.round(limit / 1000)} s`);
        if (m.type === 'init-error') throw new ReplicaError(r.index, `could not start: ${m.message}`);
      }),
    );
    this.updateRef(false);
  }

  private onMessage(r: Replica, m: FromReplica): void {
    // The late answer to a step that already failed on another replica is dropped.
    if ((m.type === 'done' || m.type === 'error') && m.seq !== this.seq) return;
    const w = this.waiters.get(r.index);
    if (!w) return;
    this.waiters.delete(r.index);
    w.resolve(m);
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const w of this.waiters.values()) w.reject(this.failure);
    this.waiters.clear();
    // A broken engine is no use: end every worker (its exit is then expected).
    void this.close();
  }

  /** The next message of replica r, or an error after `limitMs`. */
  private wait(r: Replica, limitMs: number, timeoutText: string): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FromReplica>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ReplicaError(r.index, timeoutText)), limitMs);
      this.waiters.set(r.index, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Workers keep the process alive only while they work on a step. */
  private updateRef(busy: boolean): void {
    for (const r of this.replicas) {
      if (r.exited) continue;
      if (busy) r.worker.ref();
      else r.worker.unref();
    }
  }

  /**
   * One data-parallel step: chunks[i] goes to replica i (chunks[0] is computed here; a replica
   * whose chunk is undefined sits this step out). Resolves to the averaged gradients.
   */
  async step(chunks: readonly unknown[]): Promise<StepResult> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('the data-parallel engine is closed');
    if (chunks.length !== this.options.replicas) throw new RangeError(`expected ${this.options.replicas} chunks, got ${chunks.length}`);
    if (chunks[0] === undefined) throw new RangeError('replica 0 (the main thread) needs a chunk');
    const local = this.options.local;
    // 1. replica 0's weights, for the workers to assign.
    local.params.forEach((p, i) => this.weights.set(p.variable.dataSync() as Float32Array, this.offsets[i]));
    // 2. the workers' chunks first, then our own.
    const seq = ++this.seq;
    const active = this.replicas.filter((r) => chunks[r.index] !== undefined);
    const replies = active.map((r) => {
      const reply = new Promise<FromReplica>((resolve, reject) => this.waiters.set(r.index, { resolve, reject }));
      reply.catch(() => undefined);
      return reply;
    });
    this.updateRef(true);
    try {
      for (const r of active) r.worker.postMessage({ type: 'step', seq, chunk: chunks[r.index] } satisfies ToReplica);
      const t0 = performance.now();
      const mine = local.gradients(chunks[0]);
      const localMs = performance.now() - t0;
      const hasGrad = mine.grads.map((g) => g !== undefined);
      try {
        mine.grads.forEach((g, i) => {
          if (g !== undefined) this.sum.set(g.dataSync() as Float32Array, this.offsets[i]);
        });
      } finally {
        tf.dispose(mine.grads.filter((g): g is tf.Tensor => g !== undefined));
      }
      // 3. the workers' answers, each within its time limit.
      const limit = Math.max(this.options.stepTimeoutMinMs ?? 60_000, (this.options.stepTimeoutFactor ?? 20) * localMs);
      const answers = await Promise.all(
        active.map(async (r, k) => {
          const m = await withTimeout(replies[k], limit, () => {
            const e = new ReplicaError(r.index, `did not finish its chunk within ${(limit / 1000).toFixed(1)} s`);
            this.fail(e);
            return e;
          });
          if (m.type === 'error') throw new ReplicaError(r.index, m.message);
          if (m.type !== 'done' || m.seq !== seq) throw new ReplicaError(r.index, `answered ${m.type} out of turn`);
          r.numTensors = m.numTensors;
          return m;
        }),
      );
      // 4. equal-weight mean over the replicas that ran, in replica order.
      const n = active.length + 1;
      const perReplica: Array<Record<string, number> | undefined> = chunks.map(() => undefined);
      perReplica[0] = mine.losses;
      active.forEach((r, k) => (perReplica[r.index] = answers[k].losses));
      const losses: Record<string, number> = {};
      for (const name of Object.keys(mine.losses)) {
        let s = 0;
        for (const l of perReplica) if (l) s += l[name] ?? NaN;
        losses[name] = s / n;
      }
      const grads = local.params.map((p, i) => {
        if (!hasGrad[i]) return undefined;
        const off = this.offsets[i];
        const size = p.variable.size;
        const acc = this.sum.subarray(off, off + size);
        for (const r of active) {
          if (r.hasGrad[i] !== 1) throw new ReplicaError(r.index, `computed no gradient for ${p.name}, replica 0 did`);
          const g = r.grads.subarray(off, off + size);
          for (let j = 0; j < size; j++) acc[j] += g[j];
        }
        const scale = 1 / n;
        for (let j = 0; j < size; j++) acc[j] *= scale;
        // The cpu backend keeps the array it is given: hand it a copy, `sum` is reused next step.
        return tf.tensor(tf.getBackend() === 'cpu' ? acc.slice() : acc, p.variable.shape, 'float32');
      });
      return { losses, grads, perReplica };
    } catch (e) {
      if (e instanceof ReplicaError) this.fail(e);
      throw e;
    } finally {
      for (const r of active) this.waiters.delete(r.index);
      this.updateRef(false);
    }
  }

  private closing: Promise<void> | undefined;

  /** Ends every worker thread; resolves once they have exited (the same promise on every call). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      for (const w of this.waiters.values()) w.reject(this.failure ?? new Error('the data-parallel engine was closed'));
      this.waiters.clear();
      this.closing = Promise.all(this.replicas.map((r) => (r.exited ? undefined : r.worker.terminate()))).then(() => undefined);
    }
    return this.closing;
  }

  /** True while workers are alive (tests). */
  get running(): boolean {
    return this.replicas.some((r) => !r.exited);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
