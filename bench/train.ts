/**
 * Benchmark of the trainer's training step and inference on every tfjs backend available, against
 * the pure-JavaScript 'cpu' backend measured in the same run and, when Debian's python3-torch is
 * importable, PyTorch running the same network (bench/torch_train.py).
 *
 *   npm run bench:train                      (scripts/bench.mjs: build, tsc, node out/bench/train.js)
 *   npm run bench:train -- -- --dla          (also DLA-34 at 448×800: minutes)
 *   npm run bench:train -- -- --cpu          (also the pure-JavaScript cpu backend: minutes)
 *   node out/bench/train.js --steps 5 --dla --dla-steps 2 --backends wasm,cpu --no-torch
 *   node out/bench/train.js --dp-batch 16      (the data-parallel comparison at another batch;
 *                                               --no-dp skips it, --no-demo its demo part)
 *
 * Configurations:
 * - small: the CenterNet-style network of bench/train-net.ts (6×128×128 input, 3×3 convs with two
 *   stride-2 layers, 7 ddd heads with a 3×3 hidden conv of 64 and a 1×1 output, batch 4), the one
 *   the PyTorch script builds identically;
 * - small, data-parallel: the same network at batch 8 with 1 replica and with 2 replicas (the main
 *   thread + a worker thread, chunks 4+4, src/trainer/parallel: what the trainer does on a CPU
 *   backend with --gpus 0,1), against PyTorch at batch 8 with 1 and 2 threads, wall and CPU time;
 * - demo: the trainer's real network (src/trainer/model createNetwork) for the demo config
 *   (ddd, synthetic, arch tiny, head_conv 32, batch 4), at the synthetic dataset's input size,
 *   with 1 and 2 replicas;
 * - dla34: the real DLA-34 network at CenterFusion's input size 448×800, batch 1, a few steps.
 * A training step is forward + losses (focal on hm, masked L1 of the other heads at 16 object
 * centres per image, via gather) + backward + Adam. Inference is forward + sigmoid(hm).
 * Each (configuration, backend, replicas) runs in its own child process so that peak RSS and
 * tf.memory() are its own; tf.memory().numTensors is checked to stay flat over the steps (no leaks),
 * in every replica's thread. The cpu backend (the slow pure-JavaScript baseline) runs only with
 * --cpu or --backends, to keep the default run within its 150 s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runMain, median, type Bench } from './lib';
import { benchLoss, createBenchNet, makeBenchBatch, SMALL_NET, type NetConfig } from './train-net';
import { tf } from '../src/trainer/tf';
import { registerTrainingKernels } from '../src/trainer/backend/kernels';
import { prepareWasm } from '../src/trainer/backend/wasm';
import { loadNativePackage, nvidiaGpuVisible } from '../src/trainer/backend/native';
import { createNetwork, type NetworkSpec } from '../src/trainer/model';
import { Rng } from '../src/trainer/prng';
import { DATASET_INFO, chunkSizes, parseArgv, resolveOptions } from '../src/shared/options';
import { ParallelEngine } from '../src/trainer/parallel/engine';
import { BenchReplicaProgram, type BenchReplicaConfig } from './train-replica';

type ConfigName = 'small' | 'demo' | 'dla34';
type Backend = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

interface ChildResult {
  config: ConfigName;
  backend: Backend;
  batch: number;
  input: [number, number];
  params: number;
  trainStepS: number[];
  /** CPU seconds (user + system) per training step: steadier than wall time on a shared machine. */
  trainCpuS: number[];
  inferS: number[];
  peakRssMiB: number;
  peakTfMiB: number;
  tensorsPerStep: number[];
  /** Replicas of the training step (1: this thread only). */
  replicas: number;
  chunks: number[];
  /** Per worker replica, tf.memory().numTensors in its thread after each step. */
  workerTensorsPerStep: number[][];
  note?: string;
}

interface ChildOptions {
  replicas: number;
  /** Batch size (default: the configuration's own). */
  batch?: number;
  infer: boolean;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string): boolean => process.argv.includes(name);

/** The demo config's resolved options (demo/.centerfusion/configs/demo.json). */
function demoSpec(arch?: string, size?: [number, number]): { spec: NetworkSpec; input: [number, number] } {
  const argv = ['ddd', '--dataset', 'synthetic', '--exp_id', 'demo', '--num_epochs', '3', '--batch_size', '4', '--lr', '2e-3', '--gpus', '-1'];
  // The demo config's network (demo/.centerfusion/configs/demo.json: arch tiny, head_conv 32).
  argv.push('--arch', arch ?? 'tiny');
  if (!arch) argv.push('--head_conv', '32');
  if (size) argv.push('--input_h', String(size[0]), '--input_w', String(size[1]));
  const opts = resolveOptions(parseArgv(argv), { rootDir: '/tmp', dataset: DATASET_INFO.synthetic, checkpointExt: '.ckpt' });
  return {
    spec: {
      arch: opts.arch as string,
      heads: opts.heads,
      headConv: opts.head_conv,
      downRatio: opts.down_ratio as number,
      priorBias: opts.prior_bias as number,
      secondaryHeads: [],
      headKernel: opts.head_kernel as number,
    },
    input: [opts.input_h as number, opts.input_w as number],
  };
}

async function selectBackend(b: Backend): Promise<void> {
  tf.env().set('PROD', true);
  if (b === 'wasm') {
    if (!prepareWasm()) throw new Error('wasm binaries not found');
    registerTrainingKernels('wasm');
  }
  if (b === 'cpu') registerTrainingKernels('cpu');
  if (b === 'tfjs-node' || b === 'tfjs-node-gpu') {
    const load = loadNativePackage(b === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu');
    if (!load.ok) throw new Error(load.reason);
  }
  const name = b === 'wasm' || b === 'cpu' ? b : 'tensorflow';
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not initialise`);
}

/** One (configuration, backend) measurement, in this (child) process. */
async function child(config: ConfigName, backend: Backend, steps: number, warmup: number, co: ChildOptions): Promise<ChildResult> {
  await selectBackend(backend);
  if (co.replicas > 1) return parallelChild(config, backend, steps, warmup, co);
  let forward: (x: tf.Tensor4D) => Record<string, tf.Tensor4D>;
  let vars: tf.Variable[];
  let setTraining: (on: boolean) => void = () => undefined;
  let cfg: NetConfig;
  let out: [number, number] | undefined;
  let dispose: () => void;
  if (config === 'small') {
    cfg = { ...SMALL_NET, batch: co.batch ?? SMALL_NET.batch };
    const net = createBenchNet(cfg, 317);
    forward = (x) => net.forward(x);
    vars = net.params;
    dispose = () => net.dispose();
  } else {
    const { spec, input } = config === 'demo' ? demoSpec() : demoSpec('dla_34', [448, 800]);
    cfg = { ...SMALL_NET, inChannels: 3, height: input[0], width: input[1], batch: config === 'demo' ? 4 : 1, heads: spec.heads };
    if (co.batch) cfg = { ...cfg, batch: co.batch };
    out = [input[0] / spec.downRatio, input[1] / spec.downRatio];
    const net = createNetwork(spec, new Rng(317));
    forward = (x) => net.forward(x);
    vars = [...net.params.values()];
    setTraining = (on) => {
      net.training = on;
    };
    dispose = () => net.dispose();
  }
  const batch = makeBenchBatch(cfg, 5, out);
  const opt = tf.train.adam(1e-3);
  const tensorsPerStep: number[] = [];
  let peakTf = 0;
  const trainStepS: number[] = [];
  const trainCpuS: number[] = [];
  setTraining(true);
  for (let s = 0; s < warmup + steps; s++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const loss = opt.minimize(() => benchLoss(forward(batch.images), batch), true, vars) as tf.Scalar;
    loss.dataSync();
    loss.dispose();
    if (s >= warmup) {
      trainStepS.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      trainCpuS.push((c.user + c.system) / 1e6);
    }
    peakTf = Math.max(peakTf, tf.memory().numBytes);
    tensorsPerStep.push(tf.memory().numTensors);
  }
  setTraining(false);
  const inferS: number[] = [];
  for (let s = 0; s < (co.infer ? warmup + steps : 0); s++) {
    const t0 = performance.now();
    tf.tidy(() => tf.sum(tf.sigmoid(forward(batch.images).hm)).dataSync());
    if (s >= warmup) inferS.push((performance.now() - t0) / 1000);
  }
  const params = vars.reduce((n, v) => n + v.size, 0);
  opt.dispose();
  batch.dispose();
  dispose();
  return {
    config,
    backend,
    batch: cfg.batch,
    input: [cfg.height, cfg.width],
    params,
    trainStepS,
    trainCpuS,
    inferS,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakTfMiB: Math.round(peakTf / 1024 / 102.4) / 10,
    tensorsPerStep,
    replicas: 1,
    chunks: [cfg.batch],
    workerTensorsPerStep: [],
  };
}

/**
 * The training step over `co.replicas` data-parallel replicas (src/trainer/parallel/engine.ts):
 * this thread computes chunk 0, worker threads the others, gradients averaged, one Adam step here.
 */
async function parallelChild(config: ConfigName, backend: Backend, steps: number, warmup: number, co: ChildOptions): Promise<ChildResult> {
  if (config === 'dla34') throw new Error('the data-parallel variant covers small and demo');
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`replicas run on CPU backends only, not ${backend}`);
  let pc: BenchReplicaConfig;
  if (config === 'small') {
    const cfg = { ...SMALL_NET, batch: co.batch ?? SMALL_NET.batch };
    pc = { kind: 'small', cfg, chunks: chunkSizes(cfg.batch, co.replicas) };
  } else {
    const { spec, input } = demoSpec();
    const cfg = { ...SMALL_NET, inChannels: 3, height: input[0], width: input[1], batch: co.batch ?? 4, heads: spec.heads };
    pc = { kind: 'demo', cfg, chunks: chunkSizes(cfg.batch, co.replicas), spec, out: [input[0] / spec.downRatio, input[1] / spec.downRatio] };
  }
  const local = new BenchReplicaProgram(pc, 0);
  // The images of every chunk, posted each step as the trainer posts its samples.
  const images = pc.chunks.map((_, r) => (r === 0 ? Float32Array.from(local.images()) : tf.tidy(() => {
    const b = makeBenchBatch({ ...pc.cfg, batch: pc.chunks[r] }, 5 + r, pc.out);
    const v = Float32Array.from(b.images.dataSync());
    b.dispose();
    return v;
  })));
  const engine = await ParallelEngine.create({
    replicas: co.replicas,
    backend,
    local,
    program: { module: path.join(__dirname, 'train-replica.js'), exportName: 'createBenchReplicaProgram' },
    config: pc,
  });
  const opt = tf.train.adam(1e-3);
  const trainStepS: number[] = [];
  const trainCpuS: number[] = [];
  const tensorsPerStep: number[] = [];
  const workerTensorsPerStep: number[][] = pc.chunks.slice(1).map(() => []);
  let peakTf = 0;
  try {
    for (let s = 0; s < warmup + steps; s++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await engine.step(images);
      const named: Array<{ name: string; tensor: tf.Tensor }> = [];
      r.grads.forEach((g, i) => {
        if (g) named.push({ name: local.params[i].variable.name, tensor: g });
      });
      opt.applyGradients(named);
      tf.dispose(named.map((n) => n.tensor));
      if (s >= warmup) {
        trainStepS.push((performance.now() - t0) / 1000);
        const c = process.cpuUsage(c0);
        trainCpuS.push((c.user + c.system) / 1e6);
      }
      peakTf = Math.max(peakTf, tf.memory().numBytes);
      const counts = engine.tensorCounts();
      tensorsPerStep.push(counts[0]);
      counts.slice(1).forEach((n, k) => workerTensorsPerStep[k].push(n));
    }
  } finally {
    await engine.close();
  }
  const params = local.params.reduce((n, p) => n + p.variable.size, 0);
  opt.dispose();
  local.dispose();
  return {
    config,
    backend,
    batch: pc.cfg.batch,
    input: [pc.cfg.height, pc.cfg.width],
    params,
    trainStepS,
    trainCpuS,
    inferS: [],
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakTfMiB: Math.round(peakTf / 1024 / 102.4) / 10,
    tensorsPerStep,
    replicas: co.replicas,
    chunks: pc.chunks,
    workerTensorsPerStep,
  };
}

/** Runs a child measurement; undefined with a reason when it fails or runs out of time. */
function runChild(config: ConfigName, backend: Backend, steps: number, warmup: number, timeoutS: number, co: ChildOptions = { replicas: 1, infer: true }): ChildResult | string {
  const extra = ['--replicas', String(co.replicas), ...(co.batch ? ['--batch', String(co.batch)] : []), ...(co.infer ? [] : ['--no-infer'])];
  const r = spawnSync(process.execPath, [__filename, '--child', config, '--backend', backend, '--steps', String(steps), '--warmup', String(warmup), ...extra], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `more than ${timeoutS} s for ${warmup + steps} steps` : r.error.message;
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    const why = (r.stderr || r.stdout)
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
      .slice(-2)
      .join(' ');
    const oom = /memory access out of bounds|out of memory/i.test(why) ? ' (the wasm32 heap is limited to 4 GiB)' : '';
    return `failed (${r.status ?? r.signal}): ${why}${oom}`;
  }
  return JSON.parse(line) as ChildResult;
}

/** Debian's python3 (the one python3-torch installs into), else python3 on PATH. */
function torchPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

interface TorchResult {
  torch: string;
  threads: number;
  train_step_s: number[];
  train_cpu_s: number[];
  infer_s: number[];
  peak_rss_mib: number;
}

function runTorch(py: string, steps: number, threads: number, batch: number = SMALL_NET.batch, infer = true): TorchResult | string {
  const script = path.join(__dirname, '..', '..', 'bench', 'torch_train.py');
  const args = [script, '--steps', String(steps), '--threads', String(threads), '--batch', String(batch), ...(infer ? [] : ['--no-infer'])];
  const r = spawnSync(py, args, { encoding: 'utf8', timeout: 300_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) return `failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`;
  return JSON.parse(line) as TorchResult;
}

function available(wantCpu: boolean): { backends: Backend[]; skipped: string[] } {
  const skipped: string[] = [];
  const backends: Backend[] = [];
  const probe = (pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): boolean => {
    // Probed in a child: loading registers the 'tensorflow' backend in this process.
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' });
    return r.status === 0;
  };
  if (nvidiaGpuVisible() && probe('@tensorflow/tfjs-node-gpu')) backends.push('tfjs-node-gpu');
  else skipped.push(`tfjs-node-gpu: ${nvidiaGpuVisible() ? 'not installed (its install downloads libtensorflow)' : 'no NVIDIA GPU visible'}`);
  if (probe('@tensorflow/tfjs-node')) backends.push('tfjs-node');
  else skipped.push('tfjs-node: not installed (its install downloads libtensorflow, which needs internet)');
  backends.push('wasm');
  // The pure-JavaScript backend takes minutes per configuration: only when asked.
  if (wantCpu) backends.push('cpu');
  else skipped.push('cpu: not run by default (minutes per configuration; add --cpu: npm run bench:train -- -- --cpu)');
  return { backends, skipped };
}

const ips = (batch: number, seconds: number[]): number => batch / median(seconds);

/** 'flat' when a thread's tensor count stays the same after the first step, else the counts. */
function flatness(counts: number[]): string {
  return counts.slice(1).every((t) => t === counts[1]) ? 'flat' : `GROWING ${counts.join(',')}`;
}

function describeChild(r: ChildResult): string {
  const replicas = r.replicas > 1 ? `, ${r.replicas} replicas (chunks ${r.chunks.join('+')})` : '';
  const workers = r.workerTensorsPerStep.map((c, k) => `; replica ${k + 1}: ${flatness(c)}`).join('');
  return (
    `${r.config} on ${r.backend}${replicas}: input ${r.input.join('x')}, batch ${r.batch}, ${(r.params / 1e6).toFixed(2)} M params, ` +
    `train step ${median(r.trainStepS).toFixed(3)} s wall / ${median(r.trainCpuS).toFixed(3)} s CPU (${r.trainStepS.length} steps)` +
    (r.inferS.length > 0 ? `, inference ${median(r.inferS).toFixed(3)} s` : '') +
    `, peak RSS ${r.peakRssMiB} MiB, peak tf.memory ${r.peakTfMiB} MiB, tensors per step ${flatness(r.tensorsPerStep)}${workers}`
  );
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

async function main(bench: Bench): Promise<void> {
  // Medians of 8 steps: with 3 one disturbed step on this shared machine moved a ratio by 0.1.
  const steps = Number(arg('--steps') ?? 8);
  const dlaSteps = Number(arg('--dla-steps') ?? 2);
  const only = arg('--backends')?.split(',') as Backend[] | undefined;
  const { backends: all, skipped } = available(has('--cpu') || (only?.includes('cpu') ?? false));
  const backends = only ? all.filter((b) => only.includes(b)) : all;
  for (const s of skipped) bench.note(`skipped backend ${s}`);
  // DLA-34 at 448×800 takes minutes per step on a CPU: only with --dla (npm run bench keeps to its limit).
  const configs: ConfigName[] = has('--dla') ? ['small', 'demo', 'dla34'] : ['small', 'demo'];
  if (!has('--dla')) bench.note('dla34 at 448x800: not run (add --dla: npm run bench:train -- -- --dla)');
  const results: Record<string, ChildResult> = {};

  for (const config of configs) {
    for (const backend of backends) {
      const isCpu = backend === 'cpu';
      // The cpu backend is the slow baseline: fewer steps, and DLA-34 at 448×800 gets one.
      const n = config === 'dla34' ? (isCpu ? 1 : dlaSteps) : isCpu ? 1 : steps;
      const warm = config === 'dla34' || isCpu ? 0 : 1;
      const timeout = config === 'dla34' ? 420 : 300;
      const r = runChild(config, backend, n, warm, timeout);
      if (typeof r === 'string') {
        bench.note(`${config} on ${backend}: ${r}`);
        continue;
      }
      results[`${config}/${backend}`] = r;
      bench.note(describeChild(r));
    }
    const cpu = results[`${config}/cpu`];
    for (const backend of backends.filter((b) => b !== 'cpu')) {
      const r = results[`${config}/${backend}`];
      if (!r) continue;
      bench.figure({
        name: `${config} training on ${backend}`,
        value: ips(r.batch, r.trainStepS),
        unit: 'images/s',
        better: 'higher',
        baseline: cpu ? { name: 'tfjs cpu backend', value: ips(cpu.batch, cpu.trainStepS) } : undefined,
        note: `${(1 / median(r.trainStepS)).toFixed(3)} steps/s, peak RSS ${r.peakRssMiB} MiB`,
      });
      if (cpu) {
        bench.figure({
          name: `${config} training on ${backend}, by CPU time`,
          value: ips(r.batch, r.trainCpuS),
          unit: 'images/CPU-s',
          better: 'higher',
          baseline: { name: 'tfjs cpu backend', value: ips(cpu.batch, cpu.trainCpuS) },
        });
      }
      bench.figure({
        name: `${config} inference on ${backend}`,
        value: ips(r.batch, r.inferS),
        unit: 'images/s',
        better: 'higher',
        baseline: cpu ? { name: 'tfjs cpu backend', value: ips(cpu.batch, cpu.inferS) } : undefined,
      });
    }
  }

  // PyTorch on the identical small network (bench/torch_train.py).
  const py = has('--no-torch') ? undefined : torchPython();
  const small = results['small/wasm'];
  if (!py) {
    bench.note('PyTorch: skipped: python3-torch not installed');
  } else if (small) {
    for (const threads of [1, 2]) {
      const t = runTorch(py, steps, threads);
      if (typeof t === 'string') {
        bench.note(`PyTorch (${threads} thread(s)): ${t}`);
        continue;
      }
      bench.figure({
        name: `small training, tfjs wasm vs PyTorch ${t.torch} CPU (${threads} thread${threads > 1 ? 's' : ''})`,
        value: ips(small.batch, small.trainStepS),
        unit: 'images/s',
        better: 'higher',
        baseline: { name: `PyTorch ${threads}T`, value: ips(SMALL_NET.batch, t.train_step_s) },
        ratioGoal: { op: '>=', value: 0.5 },
        note: `PyTorch peak RSS ${Math.round(t.peak_rss_mib)} MiB`,
      });
      if (threads === 1) {
        bench.figure({
          name: 'small training, tfjs wasm vs PyTorch 1 thread, by CPU time',
          value: ips(small.batch, small.trainCpuS),
          unit: 'images/CPU-s',
          better: 'higher',
          baseline: { name: 'PyTorch 1T', value: ips(SMALL_NET.batch, t.train_cpu_s) },
          ratioGoal: { op: '>=', value: 0.5 },
        });
      }
      bench.figure({
        name: `small inference, tfjs wasm vs PyTorch (${threads} thread${threads > 1 ? 's' : ''})`,
        value: ips(small.batch, small.inferS),
        unit: 'images/s',
        better: 'higher',
        baseline: { name: `PyTorch ${threads}T`, value: ips(SMALL_NET.batch, t.infer_s) },
      });
    }
  }
  bench.note('demo and dla34 have no PyTorch twin (bench/torch_train.py builds only the small network)');

  if (!has('--no-dp') && backends.includes('wasm')) dataParallel(bench, steps, py, results['demo/wasm']);
}

/**
 * Data parallelism (src/trainer/parallel): the small network at batch 8 with 1 and 2 replicas,
 * against PyTorch at the same batch with 1 and 2 threads, all measured here; the demo network
 * with 2 replicas against its 1-replica run above.
 */
function dataParallel(bench: Bench, steps: number, py: string | undefined, demo1: ChildResult | undefined): void {
  const batch = Number(arg('--dp-batch') ?? 8);
  const load = loadavg();
  const dp: Partial<Record<1 | 2, ChildResult>> = {};
  for (const replicas of [1, 2] as const) {
    const r = runChild('small', 'wasm', steps, 1, 300, { replicas, batch, infer: false });
    if (typeof r === 'string') {
      bench.note(`small at batch ${batch}, ${replicas} replica(s): ${r}`);
      continue;
    }
    dp[replicas] = r;
    bench.note(describeChild(r));
  }
  const torch: Partial<Record<1 | 2, TorchResult>> = {};
  if (py) {
    for (const threads of [1, 2] as const) {
      const t = runTorch(py, steps, threads, batch, false);
      if (typeof t === 'string') bench.note(`PyTorch at batch ${batch} (${threads} thread(s)): ${t}`);
      else torch[threads] = t;
    }
  }
  bench.note(`load average (1, 5, 15 min) before the data-parallel runs: ${load}; after: ${loadavg()}`);
  const [one, two] = [dp[1], dp[2]];
  if (one && two) {
    bench.figure({
      name: `small training at batch ${batch}, tfjs wasm: 2 replicas vs 1 replica`,
      value: ips(two.batch, two.trainStepS),
      unit: 'images/s',
      better: 'higher',
      baseline: { name: '1 replica', value: ips(one.batch, one.trainStepS) },
      note: `CPU time per step ${median(two.trainCpuS).toFixed(3)} s (2 replicas) vs ${median(one.trainCpuS).toFixed(3)} s (1)`,
    });
  }
  for (const threads of [1, 2] as const) {
    const t = torch[threads];
    if (!t) continue;
    for (const [replicas, r] of [[1, one], [2, two]] as const) {
      if (!r) continue;
      bench.figure({
        name: `small training at batch ${batch}, tfjs wasm ${replicas} replica${replicas > 1 ? 's' : ''} vs PyTorch ${t.torch} ${threads} thread${threads > 1 ? 's' : ''}`,
        value: ips(r.batch, r.trainStepS),
        unit: 'images/s',
        better: 'higher',
        baseline: { name: `PyTorch ${threads}T, batch ${batch}`, value: ips(batch, t.train_step_s) },
        ...(replicas === threads ? { ratioGoal: { op: '>=' as const, value: 0.5 } } : {}),
      });
    }
    if (two) {
      bench.figure({
        name: `small training at batch ${batch}, tfjs wasm 2 replicas vs PyTorch ${threads} thread${threads > 1 ? 's' : ''}, by CPU time`,
        value: ips(two.batch, two.trainCpuS),
        unit: 'images/CPU-s',
        better: 'higher',
        baseline: { name: `PyTorch ${threads}T, batch ${batch}`, value: ips(batch, t.train_cpu_s) },
      });
    }
  }
  if (!py) bench.note('PyTorch at the data-parallel batch: skipped: python3-torch not installed');
  if (demo1 && !has('--no-demo')) {
    const r = runChild('demo', 'wasm', steps, 1, 300, { replicas: 2, batch: demo1.batch, infer: false });
    if (typeof r === 'string') {
      bench.note(`demo on wasm, 2 replicas: ${r}`);
    } else {
      bench.note(describeChild(r));
      bench.figure({
        name: `demo training at batch ${r.batch}, tfjs wasm: 2 replicas vs 1 replica`,
        value: ips(r.batch, r.trainStepS),
        unit: 'images/s',
        better: 'higher',
        baseline: { name: '1 replica', value: ips(demo1.batch, demo1.trainStepS) },
        note: `CPU time per step ${median(r.trainCpuS).toFixed(3)} s (2 replicas) vs ${median(demo1.trainCpuS).toFixed(3)} s (1)`,
      });
    }
  }
}

if (has('--child')) {
  const config = arg('--child') as ConfigName;
  const backend = arg('--backend') as Backend;
  child(config, backend, Number(arg('--steps') ?? 5), Number(arg('--warmup') ?? 1), {
    replicas: Number(arg('--replicas') ?? 1),
    ...(arg('--batch') ? { batch: Number(arg('--batch')) } : {}),
    infer: !has('--no-infer'),
  })
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    });
} else {
  if (!existsSync(path.join(__dirname, 'train.js'))) throw new Error('run the compiled bench: node out/bench/train.js');
  runMain('train', main);
}
