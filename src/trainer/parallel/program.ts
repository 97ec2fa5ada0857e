/**
 * What a replica runs: a ReplicaProgram holds one copy of the network and computes the losses and
 * gradients of a chunk of the batch. Replica 0 runs it on the main thread (on the trainer's own
 * network); every other replica builds its own copy in a worker thread from a plain-data config,
 * through a factory named by a ProgramRef (a built-in one, or an export of a module file: the
 * benchmark's and the tests' programs).
 *
 * The messages between the engine (./engine.ts) and a replica worker (./worker.ts) are here too.
 */
import { tf } from '../tf';
import type { BackendName } from '../backend/names';

export interface ReplicaParam {
  name: string;
  variable: tf.Variable;
}

export interface ChunkResult {
  /** The chunk's loss values ('tot' and the parts). */
  losses: Record<string, number>;
  /** One gradient per parameter, in `params` order (undefined: the loss does not depend on it). */
  grads: Array<tf.Tensor | undefined>;
}

export interface ReplicaProgram<Chunk = unknown> {
  /** The trainable parameters, in the same order on every replica. */
  readonly params: readonly ReplicaParam[];
  /** Forward, losses and gradients of one chunk; the caller disposes the gradients. */
  gradients(chunk: Chunk): ChunkResult;
  dispose(): void;
}

export type ProgramFactory = (config: unknown, replica: number) => ReplicaProgram | Promise<ReplicaProgram>;

/** Which factory a worker calls: a built-in one by name, or `exportName` of a module file. */
export type ProgramRef = { builtin: string } | { module: string; exportName: string };

/**
 * Losses and gradients of `loss` with respect to `params`: `loss` returns the total and the parts
 * (tensors created inside are freed; the parts are read before).
 */
export function lossGradients(params: readonly ReplicaParam[], loss: () => { tot: tf.Scalar; parts: Record<string, tf.Scalar> }): ChunkResult {
  const kept: Record<string, tf.Scalar> = {};
  const vars = params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => {
    const r = loss();
    for (const [k, v] of Object.entries(r.parts)) kept[k] = tf.keep(v);
    return r.tot;
  }, vars);
  const losses: Record<string, number> = { tot: value.dataSync()[0] };
  for (const [k, v] of Object.entries(kept)) losses[k] = v.dataSync()[0];
  tf.dispose([value, ...Object.values(kept)]);
  return { losses, grads: vars.map((v) => grads[v.name]) };
}

// ---- engine <-> worker messages

export const REPLICA_MARK = '__centerfusionReplicaWorker';

export interface ReplicaWorkerData {
  [REPLICA_MARK]: true;
  replica: number;
  backend: BackendName;
  program: ProgramRef;
  config: unknown;
  /** Names and shapes the replica's parameters must have (replica 0's). */
  params: Array<{ name: string; shape: number[] }>;
  /** Float32 weights, written by the main thread before each step. */
  weights: SharedArrayBuffer;
  /** This replica's float32 gradients, same layout as the weights. */
  grads: SharedArrayBuffer;
  /** Int32 per parameter: 1 when this replica wrote a gradient for it. */
  hasGrad: SharedArrayBuffer;
  /** Modules to load before the program (a test's or a benchmark's). */
  preload: string[];
}

export type ToReplica = { type: 'step'; seq: number; chunk: unknown } | { type: 'close' };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'done'; seq: number; losses: Record<string, number>; numTensors: number; computeMs: number }
  | { type: 'error'; seq: number; message: string };
