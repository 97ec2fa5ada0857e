/**
 * The data path of the built-in trainer: how fast training samples (augmentation, targets,
 * radar, pc_hm) come out of the loader with --num_workers 2 against the same loader on the
 * training thread (baseline), at the synthetic default input (112×64) and at CenterFusion's
 * (800×448); and how fast the synthetic world is written, against rendering alone.
 *
 *   node out/bench/data.js            (after tsc; writes bench/results/data.json)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DATASET_INFO, parseArgv, resolveOptions } from '../src/shared/options';
import { createDataset } from '../src/trainer/data';
import { createLoader } from '../src/trainer/data/loader';
import { renderWorldSample } from '../src/trainer/data/render';
import { generateWorldSample } from '../src/trainer/data/world';
import { Rng } from '../src/trainer/prng';
import { Bench } from './lib';

async function samplesPerSecond(root: string, args: string, numWorkers: number, epochs: number): Promise<number> {
  const opts = resolveOptions(parseArgv(args.split(' ')), { rootDir: root, dataset: DATASET_INFO.synthetic });
  const ds = createDataset(opts, 'train');
  const loader = createLoader(ds, { batchSize: opts.batch_size, shuffle: true, seed: 1, numWorkers, dropLast: true });
  try {
    // Warm-up: one batch (worker start-up is not part of the steady state).
    for await (const b of loader.batches(0)) {
      void b;
      break;
    }
    const t0 = performance.now();
    let n = 0;
    for (let e = 1; e <= epochs; e++) for await (const b of loader.batches(e)) n += b.length;
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await loader.close();
  }
}

/** Wall time of an epoch whose training step keeps the main thread busy for `stepMs` per batch. */
async function epochWithStep(root: string, args: string, numWorkers: number, stepMs: number): Promise<number> {
  const opts = resolveOptions(parseArgv(args.split(' ')), { rootDir: root, dataset: DATASET_INFO.synthetic });
  const loader = createLoader(createDataset(opts, 'train'), { batchSize: opts.batch_size, shuffle: true, seed: 1, numWorkers, dropLast: true });
  try {
    for await (const b of loader.batches(0)) {
      void b;
      break;
    }
    const t0 = performance.now();
    for await (const b of loader.batches(1)) {
      void b;
      const until = performance.now() + stepMs;
      while (performance.now() < until) {
        // the training step's CPU work
      }
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await loader.close();
  }
}

async function main(): Promise<void> {
  const bench = new Bench('data');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-bench-data-'));
  try {
    const small = 'ddd --dataset synthetic --pointcloud --batch_size 8';
    const large = 'ddd --dataset synthetic --pointcloud --batch_size 4 --input_h 448 --input_w 800 --num_iters 4';
    for (const [label, args, epochs] of [['112x64', small, 3], ['800x448', large, 1]] as const) {
      // Written once before timing (the cache).
      createDataset(resolveOptions(parseArgv(args.split(' ')), { rootDir: root, dataset: DATASET_INFO.synthetic }), 'train');
      const base = await samplesPerSecond(root, args, 0, epochs);
      const two = await samplesPerSecond(root, args, 2, epochs);
      bench.figure({
        name: `training samples ${label} with --pointcloud, 2 worker threads`,
        value: two,
        unit: 'samples/s',
        better: 'higher',
        baseline: { name: 'the same loader on the training thread (num_workers 0)', value: base },
      });
    }
    // Overlap: a 100 ms training step per batch of 8 (the trainer's steps are slower than that).
    const overlapArgs = 'ddd --dataset synthetic --pointcloud --batch_size 8';
    const inline = await epochWithStep(root, overlapArgs, 0, 100);
    const threaded = await epochWithStep(root, overlapArgs, 2, 100);
    bench.figure({
      name: 'epoch of 4 batches x 8 at 112x64 with a simulated 100 ms training step, 2 worker threads',
      value: threaded,
      unit: 's',
      better: 'lower',
      baseline: { name: 'num_workers 0 (data built between steps)', value: inline },
    });
    // Writing the world: render + PNG + JSON, against rendering alone.
    const n = 32;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) renderWorldSample(generateWorldSample(99, 'train', i, 112, 64, 3), new Rng(i));
    const renderRate = n / ((performance.now() - t0) / 1000);
    const opts = resolveOptions(parseArgv('ddd --dataset synthetic --seed 99 --radar_sweeps 3'.split(' ')), { rootDir: path.join(root, 'w'), dataset: DATASET_INFO.synthetic });
    t0 = performance.now();
    createDataset(opts, 'train');
    const writeRate = n / ((performance.now() - t0) / 1000);
    bench.figure({
      name: 'synthetic world written (112x64: render, PNG, annotations, atomic files)',
      value: writeRate,
      unit: 'samples/s',
      better: 'higher',
      baseline: { name: 'rendering the same samples in memory only', value: renderRate },
    });
    bench.finish();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
