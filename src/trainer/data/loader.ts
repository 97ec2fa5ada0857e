/**
 * Batches of samples for the training loop, built off the training thread by --num_workers
 * worker threads (CenterFusion's DataLoader). Batches come in order and are the same for any
 * number of workers: sample i of epoch e is a pure function of (dataset, i, e), the order of an
 * epoch a pure function of (seed, epoch), and the loader reassembles batches in plan order.
 * With numWorkers 0, or a dataset without a spec (in-memory only), samples are built on the
 * calling thread.
 *
 *   const loader = createLoader(dataset, { batchSize, shuffle, seed, numWorkers, dropLast });
 *   for await (const samples of loader.batches(epoch)) { ... }
 *   await loader.close();
 */
import { Worker } from 'node:worker_threads';
import { deriveSeed, Rng } from '../prng';
import { DatasetError, type Dataset, type Sample } from './types';
import { WORKER_MARK, type WorkerReply, type WorkerRequest } from './worker';

export interface LoaderOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  numWorkers: number;
  dropLast: boolean;
  /** Batches requested ahead of the one being consumed (default 2 per worker). */
  prefetch?: number;
}

export interface Loader {
  /** Worker threads actually used (0: the calling thread). */
  readonly numWorkers: number;
  /** The batches of an epoch as lists of sample indices. */
  plan(epoch: number): number[][];
  /** The batches of an epoch, in order; `plan` overrides the loader's own order. */
  batches(epoch: number, plan?: number[][]): AsyncGenerator<Sample[]>;
  /** Ends the worker threads; the loader cannot be used afterwards. */
  close(): Promise<void>;
}

const SHUFFLE_SALT = 0x73687566;

/** The epoch's batches: indices 0..size-1, shuffled by (seed, epoch) when asked. */
export function batchPlan(size: number, o: Pick<LoaderOptions, 'batchSize' | 'shuffle' | 'seed' | 'dropLast'>, epoch: number): number[][] {
  if (!(o.batchSize >= 1)) throw new RangeError(`batch size must be at least 1, got ${o.batchSize}`);
  const order = Array.from({ length: size }, (_, i) => i);
  if (o.shuffle) new Rng(deriveSeed(o.seed, SHUFFLE_SALT, epoch)).shuffle(order);
  const out: number[][] = [];
  for (let at = 0; at < size; at += o.batchSize) {
    const batch = order.slice(at, at + o.batchSize);
    if (batch.length < o.batchSize && o.dropLast) break;
    out.push(batch);
  }
  return out;
}

interface Pending {
  resolve: (s: Sample) => void;
  reject: (e: Error) => void;
}

/** A fixed set of worker threads that build samples on request. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly owner = new Map<number, Worker>();
  private nextId = 1;
  private turn = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(spec: { kind: string }, count: number) {
    // This module's own file: loader.js under out/, the whole bundle (dist/cli.js) under dist/.
    const entry = __filename;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(`require(${JSON.stringify(entry)});`, { eval: true, workerData: { [WORKER_MARK]: true, spec } });
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', (e: Error) => this.fail(new Error(`data worker failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`data worker exited unexpectedly (code ${code})`));
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    this.owner.delete(reply.id);
    this.updateRef();
    if ('sample' in reply) p.resolve(reply.sample);
    else p.reject(reply.datasetError ? new DatasetError(reply.error) : new Error(reply.error));
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.updateRef();
  }

  /** Workers keep the process alive only while a request is outstanding. */
  private updateRef(): void {
    const busy = new Set(this.owner.values());
    for (const w of this.workers) {
      if (busy.has(w)) w.ref();
      else w.unref();
    }
  }

  request(index: number, epoch: number): Promise<Sample> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the loader is closed'));
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length];
    return new Promise<Sample>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.owner.set(id, worker);
      this.updateRef();
      worker.postMessage({ id, index, epoch } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('the loader was closed'));
    this.pending.clear();
    this.owner.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export function createLoader(dataset: Dataset, options: LoaderOptions): Loader {
  const wanted = Math.max(0, Math.floor(options.numWorkers));
  const pool = wanted > 0 && dataset.spec ? new WorkerPool(dataset.spec, wanted) : undefined;
  const prefetch = Math.max(1, options.prefetch ?? 2 * Math.max(wanted, 1));
  const plan = (epoch: number): number[][] => batchPlan(dataset.size, options, epoch);

  async function* batches(epoch: number, given?: number[][]): AsyncGenerator<Sample[]> {
    const list = given ?? plan(epoch);
    if (!pool) {
      for (const b of list) yield b.map((i) => dataset.get(i, epoch));
      return;
    }
    const inFlight: Array<Promise<Sample[]>> = [];
    let next = 0;
    const launch = (): void => {
      const p = Promise.all(list[next++].map((i) => pool.request(i, epoch)));
      // Rejections are observed when the batch is awaited; keep Node from reporting them early.
      p.catch(() => undefined);
      inFlight.push(p);
    };
    while (next < list.length && inFlight.length < prefetch) launch();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      if (next < list.length) launch();
      yield batch;
    }
  }

  return {
    numWorkers: pool ? wanted : 0,
    plan,
    batches,
    close: async () => {
      if (pool) await pool.close();
    },
  };
}
