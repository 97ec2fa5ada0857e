// Data-parallel replicas of the training step (src/trainer/parallel): the replica plan and
// CENTERFUSION_REPLICAS; the engine's gradient averaging against one replica on the whole batch
// and against the hand-computed mean of the chunks' gradients; repeatability; a replica that
// throws, exits, hangs or cannot start gives an error naming it, never a hang, and its workers
// end; the Trainer in process; the trainer's command line with 2 replicas from tsc output and from
// the bundle (worker threads re-running the same file). The CLI cases need dist/ (node scripts/build.mjs).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { backendName, initTf, tf } from '../../src/trainer/tf';
import { ParallelEngine, ReplicaError } from '../../src/trainer/parallel/engine';
import { planReplicas, replicasFromEnv, splitChunks, REPLICAS_ENV } from '../../src/trainer/parallel/replicas';
import { DATASET_INFO, parseArgv, resolveOptions } from '../../src/shared/options';
import { createDataset } from '../../src/trainer/data';
import { createNetwork } from '../../src/trainer/model';
import { createOptimizer } from '../../src/trainer/optimizer';
import { Rng } from '../../src/trainer/prng';
import { Trainer } from '../../src/trainer/trainer';
import { createTestProgram, joinChunks, makeChunk, type TestConfig, type TestChunk } from './trainer.parallel.helpers';

const HELPERS = path.join(__dirname, 'trainer.parallel.helpers.js');
const CLI = path.join(__dirname, '..', '..', 'src', 'trainer', 'cli.js');
/** The esbuild bundle (`npm test` builds it first; `node scripts/build.mjs` before running this file alone). */
const BUNDLE = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

describe('replica plan', () => {
  const base = { backend: 'wasm' as const, gpus: [0, 1], batchSize: 4, chunkSizes: [2, 2], env: {} };

  it('runs one replica per --gpus device on a CPU backend, with the resolved chunk sizes', () => {
    assert.deepEqual(planReplicas(base), { ...planReplicas(base), count: 2, chunks: [2, 2] });
    assert.deepEqual(planReplicas({ ...base, gpus: [0, 1, 2], batchSize: 8, chunkSizes: [1, 4, 3] }).chunks, [1, 4, 3]);
    assert.equal(planReplicas({ ...base, backend: 'cpu' }).count, 2);
  });

  it('runs one replica with --gpus -1, one device, or a native backend', () => {
    assert.deepEqual(planReplicas({ ...base, gpus: [-1], chunkSizes: [4] }).chunks, [4]);
    assert.equal(planReplicas({ ...base, gpus: [0], chunkSizes: [4] }).count, 1);
    const native = planReplicas({ ...base, backend: 'tfjs-node', env: { [REPLICAS_ENV]: '2' } });
    assert.equal(native.count, 1);
    assert.match(native.reason, /native tfjs-node/);
    assert.equal(planReplicas({ ...base, backend: 'tfjs-node-gpu' }).count, 1);
  });

  it('is capped by the batch size and drops empty chunks', () => {
    assert.deepEqual(planReplicas({ ...base, gpus: [0, 1, 2], batchSize: 2, chunkSizes: [0, 1, 1] }).chunks, [1, 1]);
    const p = planReplicas({ ...base, batchSize: 1, chunkSizes: [0, 1] });
    assert.equal(p.count, 1);
    assert.deepEqual(p.chunks, [1]);
  });

  it('takes CENTERFUSION_REPLICAS over --gpus and rejects bad values', () => {
    const p = planReplicas({ ...base, gpus: [-1], batchSize: 5, chunkSizes: [5], env: { [REPLICAS_ENV]: '2' } });
    assert.deepEqual([p.count, p.chunks], [2, [2, 3]]);
    assert.match(p.reason, /CENTERFUSION_REPLICAS=2/);
    assert.equal(replicasFromEnv({}), undefined);
    assert.equal(replicasFromEnv({ [REPLICAS_ENV]: ' 3 ' }), 3);
    for (const bad of ['0', '-1', 'two', '1.5', '2x']) {
      assert.throws(() => replicasFromEnv({ [REPLICAS_ENV]: bad }), new RegExp(`CENTERFUSION_REPLICAS=${bad.replace('.', '\\.')} is not a replica count`));
    }
  });

  it('splits a batch into consecutive chunks', () => {
    assert.deepEqual(splitChunks([1, 2, 3, 4, 5], [2, 3]), [[1, 2], [3, 4, 5]]);
    assert.deepEqual(splitChunks([1, 2, 3], [2, 2]), [[1, 2], [3]]);
  });
});

describe('data-parallel engine', () => {
  before(async () => {
    await initTf({ gpus: [-1] });
  });

  async function engineWith(config: TestConfig, extra: Partial<Parameters<typeof ParallelEngine.create>[0]> = {}): Promise<{ engine: ParallelEngine; local: ReturnType<typeof createTestProgram> }> {
    const local = createTestProgram(config, 0);
    const engine = await ParallelEngine.create({
      replicas: 2,
      backend: backendName(),
      local,
      program: { module: HELPERS, exportName: 'createTestProgram' },
      config,
      ...extra,
    });
    return { engine, local };
  }

  const gradsOf = (program: ReturnType<typeof createTestProgram>, chunk: TestChunk): Float32Array[] => {
    const r = program.gradients(chunk);
    const out = r.grads.map((g) => Float32Array.from(g!.dataSync()));
    tf.dispose(r.grads.filter((g): g is tf.Tensor => g !== undefined));
    return out;
  };

  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it('averages the chunks\' gradients with equal weights: the mean of each chunk\'s gradient, and the whole batch\'s', async () => {
    const { engine, local } = await engineWith({});
    try {
      const a = makeChunk(2, 101);
      const b = makeChunk(2, 202);
      const before = tf.memory().numTensors;
      const r = await engine.step([a, b]);
      const averaged = r.grads.map((g) => Float32Array.from(g!.dataSync()));
      tf.dispose(r.grads.filter((g): g is tf.Tensor => g !== undefined));
      assert.equal(tf.memory().numTensors, before, 'the step leaves no tensor behind on the main thread');
      // Hand-computed: each chunk's gradient on the main thread, then their mean.
      const ga = gradsOf(local, a);
      const gb = gradsOf(local, b);
      averaged.forEach((g, i) => {
        const mean = ga[i].map((v, j) => (v + gb[i][j]) / 2);
        assert.ok(maxDiff(g, mean) < 1e-5, `parameter ${i}: ${maxDiff(g, mean)}`);
      });
      // The loss is a per-sample mean: equal chunks average to the whole batch's gradient.
      const whole = gradsOf(local, joinChunks([a, b]));
      averaged.forEach((g, i) => assert.ok(maxDiff(g, whole[i]) < 1e-5, `parameter ${i} vs one replica: ${maxDiff(g, whole[i])}`));
      const la = local.gradients(a);
      const lb = local.gradients(b);
      tf.dispose(la.grads.filter((g): g is tf.Tensor => g !== undefined));
      tf.dispose(lb.grads.filter((g): g is tf.Tensor => g !== undefined));
      assert.ok(Math.abs(r.losses.tot - (la.losses.tot + lb.losses.tot) / 2) < 1e-6);
      assert.deepEqual(Object.keys(r.losses).sort(), ['abs', 'sq', 'tot']);
      assert.deepEqual(r.perReplica.map((l) => l?.tot), [la.losses.tot, lb.losses.tot]);
    } finally {
      await engine.close();
      local.dispose();
    }
    assert.equal(engine.running, false, 'close() ends the worker threads');
  });

  it('uses the weights of replica 0 at every step, and a replica without a chunk sits out', async () => {
    const { engine, local } = await engineWith({});
    try {
      const a = makeChunk(1, 5);
      const b = makeChunk(3, 6);
      const r1 = await engine.step([a, b]);
      const afterFirst = engine.tensorCounts()[1];
      // Move replica 0's weights: the worker must compute with the new ones.
      for (const p of local.params) p.variable.assign(tf.mul(p.variable, 0.5));
      const r2 = await engine.step([a, b]);
      const ga = gradsOf(local, a);
      const gb = gradsOf(local, b);
      r2.grads.forEach((g, i) => {
        const mean = ga[i].map((v, j) => (v + gb[i][j]) / 2);
        assert.ok(maxDiff(Float32Array.from(g!.dataSync()), mean) < 1e-5);
      });
      const alone = await engine.step([a, undefined]);
      alone.grads.forEach((g, i) => assert.ok(maxDiff(Float32Array.from(g!.dataSync()), ga[i]) < 1e-6));
      tf.dispose([...r1.grads, ...r2.grads, ...alone.grads].filter((g): g is tf.Tensor => g !== undefined));
      const counts = engine.tensorCounts();
      assert.equal(counts.length, 2);
      // tf.memory() stays flat in the worker over steps.
      assert.ok(afterFirst > 0);
      assert.equal(counts[1], afterFirst);
    } finally {
      await engine.close();
      local.dispose();
    }
  });

  it('gives bit-identical results run to run', async () => {
    const run = async (): Promise<number[]> => {
      const { engine, local } = await engineWith({});
      const out: number[] = [];
      try {
        for (let s = 0; s < 3; s++) {
          const r = await engine.step([makeChunk(2, 10 + s), makeChunk(2, 20 + s)]);
          out.push(r.losses.tot);
          // A plain SGD step on replica 0, so that the weights move between steps.
          r.grads.forEach((g, i) => local.params[i].variable.assign(tf.tidy(() => tf.sub(local.params[i].variable, tf.mul(g!, 0.1)))));
          for (const g of r.grads) out.push(...Array.from(g!.dataSync()));
          tf.dispose(r.grads.filter((g): g is tf.Tensor => g !== undefined));
        }
      } finally {
        await engine.close();
        local.dispose();
      }
      return out;
    };
    const first = await run();
    const second = await run();
    assert.equal(first.length, second.length);
    assert.ok(first.every((v, i) => Object.is(v, second[i])), 'two runs differ');
  });

  for (const kind of ['throw', 'exit', 'hang'] as const) {
    it(`reports a replica that ${kind === 'throw' ? 'throws' : kind === 'exit' ? 'exits' : 'never answers'} as an error naming it, and ends the workers`, async () => {
      const { engine, local } = await engineWith({ fault: { step: 2, kind } }, { stepTimeoutMinMs: 1500, stepTimeoutFactor: 1 });
      try {
        const ok = await engine.step([makeChunk(1, 1), makeChunk(1, 2)]);
        tf.dispose(ok.grads.filter((g): g is tf.Tensor => g !== undefined));
        const started = Date.now();
        const want = kind === 'throw' ? /replica 1 \(worker thread\): boom \(injected\)/ : kind === 'exit' ? /replica 1 \(worker thread\): exited unexpectedly \(code 3\)/ : /replica 1 \(worker thread\): did not finish its chunk within 1\.5 s/;
        await assert.rejects(engine.step([makeChunk(1, 1), makeChunk(1, 2)]), (e: unknown) => e instanceof ReplicaError && e.replica === 1 && want.test(e.message));
        assert.ok(Date.now() - started < 10_000);
        // The engine is broken for good: the next step fails at once with the same error.
        await assert.rejects(engine.step([makeChunk(1, 1), makeChunk(1, 2)]), (e: unknown) => e instanceof ReplicaError);
        // The engine ends its workers by itself (poll: termination is asynchronous).
        for (const until = Date.now() + 10_000; engine.running && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
        assert.equal(engine.running, false, 'the workers were terminated');
      } finally {
        await engine.close();
        local.dispose();
      }
    });
  }

  it('reports a replica that cannot start', async () => {
    const local = createTestProgram({}, 0);
    try {
      await assert.rejects(
        ParallelEngine.create({ replicas: 2, backend: backendName(), local, program: { module: HELPERS, exportName: 'createTestProgram' }, config: { initFault: true } satisfies TestConfig }),
        /replica 1 \(worker thread\): could not start: cannot build the network \(injected\)/,
      );
      await assert.rejects(
        ParallelEngine.create({ replicas: 2, backend: backendName(), local, program: { module: HELPERS, exportName: 'noSuchFactory' }, config: {} }),
        /could not start: .*exports no replica program factory "noSuchFactory"/,
      );
    } finally {
      local.dispose();
    }
  });
});

describe('Trainer with replicas', () => {
  it('trains over 2 replicas with flat tensors in each, validates on the main thread, and ends its workers on close', async () => {
    await initTf({ gpus: [-1] });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-dp-'));
    const opts = resolveOptions(parseArgv('ddd --dataset synthetic --arch tiny --head_conv 8 --input_h 32 --input_w 64 --batch_size 4 --gpus 0,1'.split(' ')), { rootDir: root, dataset: DATASET_INFO.synthetic });
    const model = createNetwork({ arch: 'tiny', heads: opts.heads, headConv: opts.head_conv, downRatio: opts.down_ratio as number, priorBias: opts.prior_bias as number, secondaryHeads: [] }, new Rng(3));
    const optimizer = createOptimizer('adam', 1e-3);
    const trainer = new Trainer(model, optimizer, {
      heads: opts.heads,
      weights: opts.weights,
      batchSize: 4,
      shuffle: false,
      numIters: 3,
      seed: 1,
      downRatio: opts.down_ratio as number,
      K: 10,
      replicas: { count: 2, chunks: [...opts.chunk_sizes], backend: backendName() },
    });
    const hooks = { onIter: () => undefined, stopSignal: () => null };
    try {
      const trainSet = createDataset(opts, 'train');
      const before = model.params.values().next().value!.dataSync().slice();
      const first = await trainer.runEpoch('train', 1, trainSet, hooks);
      assert.ok(Number.isFinite(first.stats.tot) && first.stats.tot > 0);
      assert.ok(trainer.replicaThreadsRunning, 'a worker thread computed the second chunk');
      const counts = await trainer.replicaTensorCounts();
      assert.equal(counts.length, 2);
      await trainer.runEpoch('train', 2, trainSet, hooks);
      assert.deepEqual(await trainer.replicaTensorCounts(), counts, 'tf.memory() flat in every replica across epochs');
      assert.notDeepEqual(model.params.values().next().value!.dataSync(), before, 'the optimizer updated replica 0');
      const val = await trainer.runEpoch('val', 2, createDataset(opts, 'val'), hooks);
      assert.ok(Number.isFinite(val.stats.tot));
    } finally {
      await trainer.close();
      optimizer.dispose();
      model.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    }
    assert.equal(trainer.replicaThreadsRunning, false, 'close() ended the worker threads');
  });
});

describe('centerfusion train with replicas (tsc output and bundle)', () => {
  interface Ran {
    code: number | null;
    stdout: string;
    stderr: string;
  }
  const train = (root: string, env: Record<string, string>, extra: string[] = [], cli = CLI): Promise<Ran> =>
    new Promise((resolve, reject) => {
      const args = [cli, 'train', 'ddd', '--root-dir', root, '--dataset', 'synthetic', '--exp_id', 'dp', '--arch', 'tiny', '--head_conv', '8', '--input_h', '32', '--input_w', '64', '--batch_size', '4', '--num_epochs', '1', '--num_iters', '3', '--val_intervals', '0', '--seed', '5', ...extra];
      const child = spawn(process.execPath, args, { env: { ...process.env, CENTERFUSION_BACKEND: backendName(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const events = (r: Ran): Array<Record<string, unknown>> => r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('trains over 2 replicas, says so, and repeats bit for bit, from tsc output and from the bundle (dist/cli.js)', async () => {
    const runs: Ran[] = [];
    for (const cli of [CLI, BUNDLE]) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-dp-'));
      try {
        runs.push(await train(root, { [REPLICAS_ENV]: '2' }, ['--gpus', '-1'], cli));
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
    // Exiting by itself with code 0 (not killed by the test's timeout) shows no worker thread kept the process alive.
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    for (const r of runs) {
      assert.ok(events(r).some((e) => e.type === 'log' && /^replicas 2, chunk sizes \[2,2\]: .*CENTERFUSION_REPLICAS=2/.test(String(e.message))), 'a log event names the replica count and chunk sizes');
    }
    const losses = runs.map((r) => JSON.stringify(events(r).find((e) => e.type === 'epoch_end')?.train));
    assert.notEqual(losses[0], undefined);
    assert.equal(losses[0], losses[1]);
  });

  it('takes the replica count from --gpus, and refuses a bad CENTERFUSION_REPLICAS', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-dp-'));
    try {
      const bad = await train(root, { [REPLICAS_ENV]: 'many' });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /CENTERFUSION_REPLICAS=many is not a replica count: expected a whole number >= 1/);
      const two = await train(root, {}, ['--gpus', '0,1', '--master_batch_size', '1', '--num_iters', '1']);
      assert.equal(two.code, 0, two.stderr);
      assert.ok(events(two).some((e) => e.type === 'log' && /^replicas 2, chunk sizes \[1,3\]: .*--gpus 0,1/.test(String(e.message))));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
