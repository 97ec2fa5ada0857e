/**
 * A replica worker thread of the data-parallel engine (./engine.ts). It initialises tfjs on the
 * main thread's backend (initTf with that rung forced), builds its program (./program.ts), checks
 * that its parameters match replica 0's, and answers `step` messages: assign the weights the main
 * thread wrote into the shared weight buffer, compute the chunk's losses and gradients, write the
 * gradients into its own shared region, reply with the loss values.
 *
 * How a worker starts (as the data workers, ../data/worker.ts): the engine creates
 * `new Worker("require(<file>)", { eval: true, workerData: { [REPLICA_MARK]: true, ... } })` where
 * <file> is the engine's module: out/src/trainer/parallel/engine.js from tsc output, dist/cli.js
 * in the esbuild bundle. Loading it runs the check at the bottom of this module.
 */
import { createRequire } from 'node:module';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { initTf, tf } from '../tf';
import { REPLICA_MARK, type FromReplica, type ProgramFactory, type ProgramRef, type ReplicaProgram, type ReplicaWorkerData, type ToReplica } from './program';
import { createTrainerProgram } from './trainer-program';

/** Factories every build has (the bundle cannot load module files by path). */
const BUILTIN: Record<string, ProgramFactory> = {
  centerfusion: createTrainerProgram,
};

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadProgram(ref: ProgramRef, config: unknown, replica: number, preload: readonly string[]): Promise<ReplicaProgram> {
  const req = createRequire(__filename);
  for (const m of preload) req(m);
  let factory: ProgramFactory | undefined;
  if ('builtin' in ref) {
    factory = BUILTIN[ref.builtin];
    if (!factory) throw new Error(`unknown replica program "${ref.builtin}"`);
  } else {
    const mod = req(ref.module) as Record<string, unknown>;
    const f = mod[ref.exportName];
    if (typeof f !== 'function') throw new Error(`${ref.module} exports no replica program factory "${ref.exportName}"`);
    factory = f as ProgramFactory;
  }
  return factory(config, replica);
}

async function runReplica(port: MessagePort, data: ReplicaWorkerData): Promise<void> {
  const send = (m: FromReplica): void => port.postMessage(m);
  let program: ReplicaProgram;
  try {
    await initTf({ backend: data.backend });
    program = await loadProgram(data.program, data.config, data.replica, data.preload);
    const mine = program.params;
    if (mine.length !== data.params.length) throw new Error(`replica ${data.replica} has ${mine.length} parameters, replica 0 has ${data.params.length}`);
    mine.forEach((p, i) => {
      const want = data.params[i];
      if (p.name !== want.name || p.variable.shape.length !== want.shape.length || p.variable.shape.some((d, k) => d !== want.shape[k])) {
        throw new Error(`replica ${data.replica} parameter ${i} is ${p.name} [${p.variable.shape.join(',')}], replica 0 has ${want.name} [${want.shape.join(',')}]`);
      }
    });
  } catch (e) {
    send({ type: 'init-error', message: message(e) });
    return;
  }
  const weights = new Float32Array(data.weights);
  const grads = new Float32Array(data.grads);
  const hasGrad = new Int32Array(data.hasGrad);
  const offsets: number[] = [];
  let total = 0;
  for (const p of program.params) {
    offsets.push(total);
    total += p.variable.size;
  }
  // tfjs's cpu backend keeps the array it is given; the others copy it into their own memory.
  const copies = tf.getBackend() !== 'cpu';

  port.on('message', (m: ToReplica) => {
    if (m.type === 'close') {
      program.dispose();
      port.close();
      return;
    }
    const t0 = performance.now();
    try {
      program.params.forEach((p, i) => {
        const view = weights.subarray(offsets[i], offsets[i] + p.variable.size);
        tf.tidy(() => p.variable.assign(tf.tensor(copies ? view : view.slice(), p.variable.shape, 'float32')));
      });
      const r = program.gradients(m.chunk);
      try {
        r.grads.forEach((g, i) => {
          if (g === undefined) {
            hasGrad[i] = 0;
            return;
          }
          grads.set(g.dataSync() as Float32Array, offsets[i]);
          hasGrad[i] = 1;
        });
      } finally {
        tf.dispose(r.grads.filter((g): g is tf.Tensor => g !== undefined));
      }
      send({ type: 'done', seq: m.seq, losses: r.losses, numTensors: tf.memory().numTensors, computeMs: performance.now() - t0 });
    } catch (e) {
      send({ type: 'error', seq: m.seq, message: message(e) });
    }
  });
  send({ type: 'ready' });
}

if (!isMainThread && parentPort && workerData && typeof workerData === 'object' && (workerData as Record<string, unknown>)[REPLICA_MARK] === true) {
  const port = parentPort;
  // Started after the current module graph has finished loading (the bundle evaluates this
  // module before the modules that follow it).
  setImmediate(() => {
    runReplica(port, workerData as ReplicaWorkerData).catch((e: unknown) => port.postMessage({ type: 'init-error', message: message(e) } satisfies FromReplica));
  });
}
