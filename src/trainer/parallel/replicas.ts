/**
 * How many data-parallel replicas a training run uses, and the batch chunk of each, as
 * CenterFusion's DataParallel over `--gpus` with `chunk_sizes`:
 * - on a native backend (tfjs-node, tfjs-node-gpu) always one: libtensorflow already uses every
 *   core, and a second copy of it would only compete for them;
 * - on a CPU backend (wasm, cpu), which runs on one thread under Node, one replica per device of
 *   `--gpus` (replica 0 is the main thread, the others worker threads), capped by the batch
 *   size; `--gpus -1` means one replica;
 * - CENTERFUSION_REPLICAS=N overrides the count (N >= 1; a bad value is an error).
 * Chunks are the resolved `chunk_sizes` when the count equals the number of devices, else
 * CenterFusion's split of the batch over that many devices (chunkSizes, master_batch_size -1).
 * Replicas whose chunk would be empty are dropped.
 */
import { chunkSizes } from '../../shared/options';
import type { BackendName } from '../backend/names';

export const REPLICAS_ENV = 'CENTERFUSION_REPLICAS';

export class ReplicaConfigError extends Error {
  override name = 'ReplicaConfigError';
}

export interface ReplicaPlanInput {
  backend: BackendName;
  /** Resolved --gpus. */
  gpus: readonly number[];
  batchSize: number;
  /** Resolved chunk_sizes (one per device of --gpus). */
  chunkSizes: readonly number[];
  env?: NodeJS.ProcessEnv;
}

export interface ReplicaPlan {
  /** Replicas, main thread included (1: no worker threads). */
  count: number;
  /** Samples of each replica's chunk; they add up to the batch size. */
  chunks: number[];
  /** One line saying why (for a log event). */
  reason: string;
}

/** CENTERFUSION_REPLICAS as a count, undefined when unset; a bad value throws ReplicaConfigError. */
export function replicasFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[REPLICAS_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new ReplicaConfigError(`${REPLICAS_ENV}=${raw} is not a replica count: expected a whole number >= 1`);
  }
  return Number(text);
}

export function planReplicas(input: ReplicaPlanInput): ReplicaPlan {
  const batch = Math.max(1, Math.floor(input.batchSize));
  const forced = replicasFromEnv(input.env ?? process.env);
  if (input.backend === 'tfjs-node' || input.backend === 'tfjs-node-gpu') {
    return { count: 1, chunks: [batch], reason: `one replica on the native ${input.backend} backend (libtensorflow uses every core itself)${forced !== undefined ? `; ${REPLICAS_ENV}=${forced} ignored` : ''}` };
  }
  const devices = input.gpus.length > 0 && input.gpus[0] >= 0 ? input.gpus.length : 1;
  const wanted = forced ?? devices;
  const count = Math.min(wanted, batch);
  let chunks = count === input.chunkSizes.length && sum(input.chunkSizes) === batch ? [...input.chunkSizes] : chunkSizes(batch, count);
  chunks = chunks.filter((c) => c > 0);
  const why = forced !== undefined ? `${REPLICAS_ENV}=${forced}` : devices > 1 ? `--gpus ${input.gpus.join(',')}` : input.gpus[0] < 0 ? '--gpus -1' : 'one device in --gpus';
  const capped = count < wanted ? ` (capped by batch_size ${batch})` : '';
  return {
    count: chunks.length,
    chunks,
    reason: chunks.length === 1
      ? `one replica on the ${input.backend} backend (${why})`
      : `${chunks.length} data-parallel replicas on the ${input.backend} backend (${why}${capped}): the main thread + ${chunks.length - 1} worker thread${chunks.length > 2 ? 's' : ''}, chunk sizes ${JSON.stringify(chunks)}`,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Splits `items` into consecutive chunks of the given sizes (the last ones may come out short). */
export function splitChunks<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(items.slice(at, at + size));
    at += size;
  }
  if (at < items.length) out[out.length - 1].push(...items.slice(at));
  return out;
}
