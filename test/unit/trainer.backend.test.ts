// The trainer's backend ladder and the wasm training kernels: every op a CenterNet/DLA network
// and its losses use, value and gradient on wasm against the pure-JavaScript cpu backend; the
// ladder's order (with the outside world faked); seeded repeatability and no tensor leaks over
// training steps on the backend initTf chooses.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { backendName, forcedBackend, initTf, tf } from '../../src/trainer/tf';
import { climbLadder, BackendUnavailableError, type LadderDeps } from '../../src/trainer/backend/ladder';
import { nvidiaGpuVisible } from '../../src/trainer/backend/native';
import { findWasmDir, prepareWasm } from '../../src/trainer/backend/wasm';
import { registerTrainingKernels, TRAINING_KERNELS } from '../../src/trainer/backend/kernels';
import { unsortedSegmentSum } from '../../src/trainer/backend/kernels/segment';
import { createBenchNet, benchLoss, makeBenchBatch, SMALL_NET, type NetConfig } from '../../bench/train-net';
import { values } from './lcgValues';


interface OpCase {
  name: string;
  /** Input shapes; inputs are filled with values(), positive ones where `positive` says so. */
  shapes: number[][];
  positive?: boolean;
  /** f is linear in its single input: its gradient is also checked against a basis-vector oracle. */
  linear?: boolean;
  f: (...xs: tf.Tensor[]) => tf.Tensor;
}

const idx = (v: number[]): tf.Tensor1D => tf.tensor1d(v, 'int32');

/** Every op the network and the losses differentiate through. */
const CASES: OpCase[] = [
  { name: 'conv2d 3x3 s1 same', shapes: [[2, 9, 11, 5], [3, 3, 5, 4]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d 3x3 s2 same (odd size)', shapes: [[2, 9, 11, 5], [3, 3, 5, 4]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d 3x3 s2 same (even size)', shapes: [[2, 8, 12, 3], [3, 3, 3, 6]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d 1x1 s1', shapes: [[2, 6, 7, 5], [1, 1, 5, 3]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d 1x1 s2', shapes: [[2, 6, 7, 5], [1, 1, 5, 3]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d 7x7 s1 same', shapes: [[1, 10, 10, 3], [7, 7, 3, 4]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d 3x3 s2 valid', shapes: [[2, 9, 10, 3], [3, 3, 3, 2]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  {
    name: 'conv2d 3x3 s2 explicit padding',
    shapes: [[2, 8, 9, 3], [3, 3, 3, 2]],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
  },
  { name: 'conv2dTranspose 4x4 s2', shapes: [[2, 5, 6, 4], [4, 4, 3, 4]], f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 10, 12, 3], 2, 'same') },
  { name: 'maxPool 3x3 s1', shapes: [[2, 6, 7, 3]], f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same') },
  { name: 'maxPool 2x2 s2', shapes: [[2, 6, 8, 3]], f: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'avgPool 2x2 s2', shapes: [[2, 6, 8, 3]], f: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'resizeNearestNeighbor x2', shapes: [[2, 4, 5, 3]], linear: true, f: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [8, 10]) },
  { name: 'resizeBilinear x2', shapes: [[2, 4, 5, 3]], linear: true, f: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [8, 10]) },
  { name: 'resizeBilinear align corners', shapes: [[2, 4, 5, 3]], linear: true, f: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [7, 9], true) },
  {
    name: 'batchNorm',
    shapes: [[2, 4, 5, 3], [3], [3], [3], [3]],
    f: (x, m, v, o, s) => tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, tf.add(tf.abs(v), 0.5) as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-5),
  },
  {
    name: 'moments (batch statistics)',
    shapes: [[2, 4, 5, 3]],
    f: (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    },
  },
  { name: 'relu', shapes: [[3, 17]], f: (x) => tf.relu(x) },
  { name: 'sigmoid', shapes: [[3, 17]], f: (x) => tf.sigmoid(x) },
  { name: 'log', shapes: [[3, 17]], positive: true, f: (x) => tf.log(x) },
  { name: 'exp', shapes: [[3, 17]], f: (x) => tf.exp(x) },
  { name: 'abs', shapes: [[3, 17]], f: (x) => tf.abs(x) },
  { name: 'pow', shapes: [[3, 17]], positive: true, f: (x) => tf.pow(x, 2) },
  { name: 'pow (tensor exponent)', shapes: [[3, 17], [3, 17]], positive: true, f: (x, e) => tf.pow(x, e) },
  { name: 'sqrt', shapes: [[3, 17]], positive: true, f: (x) => tf.sqrt(x) },
  { name: 'matMul', shapes: [[5, 7], [7, 4]], f: (a, b) => tf.matMul(a, b) },
  { name: 'matMul transposed', shapes: [[7, 5], [4, 7]], f: (a, b) => tf.matMul(a, b, true, true) },
  { name: 'gather axis 0', shapes: [[6, 4]], f: (x) => tf.gather(x, idx([0, 3, 3, 5, 1])) },
  { name: 'gather axis 1 (losses at object centres)', shapes: [[2, 30, 3]], f: (x) => tf.gather(x, idx([4, 4, 29, 0, 7]), 1) },
  { name: 'gather batchDims 1', shapes: [[2, 30, 3]], f: (x) => tf.gather(x, tf.tensor2d([[1, 2, 2], [0, 29, 5]], [2, 3], 'int32'), 1, 1) },
  { name: 'concat', shapes: [[2, 3, 4, 2], [2, 3, 4, 5]], f: (a, b) => tf.concat([a, b], 3) },
  { name: 'slice', shapes: [[2, 6, 7, 3]], f: (x) => tf.slice(x, [0, 1, 2, 0], [2, 4, 3, 2]) },
  { name: 'pad', shapes: [[2, 3, 4, 2]], f: (x) => tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]) },
  { name: 'add/mul/sub/div with broadcast', shapes: [[3, 5], [5]], f: (a, b) => tf.div(tf.sub(tf.mul(tf.add(a, b), a), b), tf.add(tf.abs(b), 1)) },
  { name: 'sum/mean/max', shapes: [[3, 5, 4]], f: (x) => tf.stack([tf.sum(x, 1), tf.mean(x, 1), tf.max(x, 1)]) },
  { name: 'where', shapes: [[4, 6], [4, 6]], f: (a, b) => tf.where(tf.greater(tf.tensor2d(Array.from(values(24, 99)), [4, 6]), 0), a, tf.mul(b, 3)) },
  { name: 'clipByValue', shapes: [[4, 9]], f: (x) => tf.clipByValue(x, -0.4, 0.3) },
  { name: 'oneHot mask', shapes: [[5, 4]], f: (x) => tf.mul(x, tf.oneHot(idx([0, 3, 1, 1, 2]), 4)) },
  { name: 'logSoftmax', shapes: [[5, 4]], f: (x) => tf.logSoftmax(x) },
  { name: 'reshape/transpose', shapes: [[2, 3, 4, 5]], f: (x) => tf.transpose(tf.reshape(x, [2, 12, 5]), [0, 2, 1]) },
  { name: 'maximum/minimum', shapes: [[4, 5], [4, 5]], f: (a, b) => tf.add(tf.maximum(a, b), tf.minimum(a, tf.mul(b, 0.5))) },
  { name: 'square/neg/log1p', shapes: [[4, 5]], positive: true, f: (x) => tf.add(tf.neg(tf.square(x)), tf.log1p(x)) },
  { name: 'sin/cos/atan2 (rotation)', shapes: [[4, 5], [4, 5]], positive: true, f: (a, b) => tf.add(tf.atan2(a, b), tf.mul(tf.sin(a), tf.cos(b))) },
];

/** Value and input gradients of sum(f(x) · r) for a fixed random r, on the current backend. */
function run(c: OpCase, caseIndex: number): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const inputs = c.shapes.map((s, i) => {
      const v = values(s.reduce((p, d) => p * d, 1), 1000 * caseIndex + i + 1);
      return tf.tensor(c.positive ? v.map((e) => Math.abs(e) + 0.1) : v, s);
    });
    const loss = (...xs: tf.Tensor[]): tf.Scalar => {
      const y = c.f(...xs);
      return tf.sum(tf.mul(y, tf.tensor(values(y.size, 7 + caseIndex), y.shape))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(loss)(inputs);
    return { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/** d/dx sum(f(x)·r) for a linear f, one forward pass per input element. */
function linearOracle(c: OpCase, caseIndex: number): Float32Array {
  const shape = c.shapes[0];
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    out[k] = tf.tidy(() => {
      const e = new Float32Array(n);
      e[k] = 1;
      const y = c.f(tf.tensor(e, shape));
      return tf.sum(tf.mul(y, tf.tensor(values(y.size, 7 + caseIndex), y.shape))).dataSync()[0];
    });
  }
  return out;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assert.ok(d <= 1e-4 * scale, `${what}[${i}]: wasm ${actual[i]} vs cpu ${expected[i]} (scale ${scale})`);
  }
}

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  assert.ok(await tf.setBackend(name), `backend ${name} did not initialise`);
  return f();
}

describe('wasm training kernels against the cpu backend', () => {
  before(async () => {
    tf.env().set('PROD', true);
    assert.ok(findWasmDir(), 'the .wasm binaries are found (node_modules when running from out/)');
    assert.ok(prepareWasm());
    registerTrainingKernels('wasm');
    registerTrainingKernels('cpu');
  });

  it('registers every kernel it promises', () => {
    for (const b of ['wasm', 'cpu'] as const) for (const k of TRAINING_KERNELS[b]) assert.ok(tf.getKernel(k, b), `${k} is registered for ${b}`);
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: value and gradient`, async () => {
      const cpu = await onBackend('cpu', () => run(c, i));
      // A missing wasm kernel throws here ("Kernel '...' not registered for backend 'wasm'").
      const wasm = await onBackend('wasm', () => run(c, i));
      assertClose(wasm.value, cpu.value, `${c.name} value`);
      if (c.linear) {
        // The resize ops are linear: the gradient of sum(f(x)·r) is the sum of f(basis)·r per
        // input element, an oracle independent of either backend's gradient kernel.
        const oracle = await onBackend('cpu', () => linearOracle(c, i));
        assertClose(cpu.grads[0], oracle, `${c.name} cpu d/dx0 vs oracle`);
      }
      assert.equal(wasm.grads.length, c.shapes.length);
      wasm.grads.forEach((g, k) => assertClose(g, cpu.grads[k], `${c.name} d/dx${k}`));
    });
  }

  it('UnsortedSegmentSum drops out-of-range ids and keeps the trailing shape', async () => {
    await onBackend('wasm', () => {
      const out = tf.tidy(() => unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([2, 0, 2, -1], 'int32'), 3));
      assert.deepEqual(out.shape, [3, 2]);
      assert.deepEqual(Array.from(out.dataSync()), [3, 4, 0, 0, 1 + 5, 2 + 6]);
      out.dispose();
      assert.throws(() => unsortedSegmentSum(tf.zeros([1]), tf.zeros([1], 'int32'), -1), /numSegments/);
    });
  });
});

describe('the backend ladder', () => {
  /** A fake world: which packages load, which backends initialise; records what was tried. */
  function world(opts: { gpuPkg?: boolean; nodePkg?: boolean; gpu?: boolean; wasm?: boolean; usingGpu?: boolean }): LadderDeps & { loaded: string[] } {
    const loaded: string[] = [];
    let registered = false;
    return {
      loaded,
      loadNative: (pkg) => {
        loaded.push(pkg);
        const ok = pkg === '@tensorflow/tfjs-node-gpu' ? !!opts.gpuPkg : !!opts.nodePkg;
        if (ok) registered = true;
        return ok ? { ok } : { ok, reason: `Cannot find module '${pkg}'` };
      },
      gpuVisible: () => !!opts.gpu,
      prepareWasm: () => opts.wasm !== false,
      setBackend: async (name) => (name === 'tensorflow' ? registered : true),
      usingGpu: () => opts.usingGpu ?? !!opts.gpu,
      hasBackend: (name) => name === 'tensorflow' && registered,
    };
  }

  it('takes tfjs-node-gpu when installed and a GPU is visible', async () => {
    const w = world({ gpuPkg: true, nodePkg: true, gpu: true });
    assert.equal((await climbLadder({}, w)).name, 'tfjs-node-gpu');
    assert.deepEqual(w.loaded, ['@tensorflow/tfjs-node-gpu']);
  });

  it('--gpus -1 never loads the GPU package', async () => {
    const w = world({ gpuPkg: true, nodePkg: true, gpu: true });
    const r = await climbLadder({ cpuOnly: true }, w);
    assert.equal(r.name, 'tfjs-node');
    assert.deepEqual(w.loaded, ['@tensorflow/tfjs-node']);
    assert.match(r.skipped[0].reason, /--gpus -1/);
  });

  it('without a GPU skips the GPU package; the GPU build on no device counts as tfjs-node', async () => {
    const w = world({ gpuPkg: true, nodePkg: true, gpu: false });
    assert.equal((await climbLadder({}, w)).name, 'tfjs-node');
    assert.deepEqual(w.loaded, ['@tensorflow/tfjs-node']);
    const w2 = world({ gpuPkg: true, gpu: true, usingGpu: false });
    assert.equal((await climbLadder({}, w2)).name, 'tfjs-node');
  });

  it('falls back to wasm, then cpu, saying why', async () => {
    const r = await climbLadder({}, world({ gpu: true }));
    assert.equal(r.name, 'wasm');
    assert.deepEqual(r.skipped.map((s) => s.name), ['tfjs-node-gpu', 'tfjs-node']);
    assert.match(r.skipped[1].reason, /Cannot find module/);
    assert.equal((await climbLadder({}, world({ wasm: false }))).name, 'cpu');
  });

  it('a forced rung is tried alone and fails with a clear message', async () => {
    assert.equal((await climbLadder({ force: 'cpu' }, world({ nodePkg: true }))).name, 'cpu');
    await assert.rejects(climbLadder({ force: 'tfjs-node' }, world({})), (e: unknown) => e instanceof BackendUnavailableError && /tfjs-node is not usable/.test(e.message));
  });

  it('reads CENTERFUSION_BACKEND and the GPU environment', () => {
    assert.equal(forcedBackend({ CENTERFUSION_BACKEND: 'wasm' }), 'wasm');
    assert.equal(forcedBackend({}), undefined);
    assert.throws(() => forcedBackend({ CENTERFUSION_BACKEND: 'webgl' }), /not a backend; use one of tfjs-node-gpu, tfjs-node, wasm, cpu/);
    assert.equal(nvidiaGpuVisible({ CUDA_VISIBLE_DEVICES: '-1' }), false);
    assert.equal(nvidiaGpuVisible({}, '/nonexistent'), process.platform === 'win32');
  });
});

describe('training on the backend initTf chooses', () => {
  const cfg: NetConfig = { ...SMALL_NET, height: 32, width: 32, batch: 2, headConv: 8, channels: [8, 8, 16] };

  before(async () => {
    const result = await initTf({ gpus: [-1] });
    assert.equal(backendName(), result.name);
    assert.equal(tf.getBackend(), result.name === 'wasm' || result.name === 'cpu' ? result.name : 'tensorflow');
  });

  /** Losses of `steps` Adam steps from a seed, and the final weights. */
  function train(steps: number, seed: number): { losses: number[]; weights: Float32Array[]; tensorsAfter: number[] } {
    const net = createBenchNet(cfg, seed);
    const opt = tf.train.adam(1e-3);
    const batch = makeBenchBatch(cfg, seed);
    const losses: number[] = [];
    const tensorsAfter: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = opt.minimize(() => benchLoss(net.forward(batch.images), batch), true, net.params) as tf.Scalar;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      tensorsAfter.push(tf.memory().numTensors);
    }
    const weights = net.params.map((p) => p.dataSync() as Float32Array);
    opt.dispose();
    net.dispose();
    batch.dispose();
    return { losses, weights, tensorsAfter };
  }

  it('--seed repeats a run bit for bit (losses and weights) and the loss goes down', () => {
    const a = train(4, 317);
    const b = train(4, 317);
    assert.deepEqual(b.losses, a.losses);
    a.weights.forEach((w, i) => assert.deepEqual(Buffer.from(b.weights[i].buffer), Buffer.from(w.buffer), `weight ${i} differs`));
    assert.ok(a.losses[3] < a.losses[0], `loss ${a.losses.join(' → ')} goes down`);
    const c = train(1, 318);
    assert.notEqual(c.losses[0], a.losses[0], 'another seed gives another run');
  });

  it('keeps tf.memory().numTensors flat over training steps (no leaks)', async () => {
    const before = tf.memory().numTensors;
    const { tensorsAfter } = train(6, 5);
    // After the first step Adam's moments exist; from then on every step must leave the count unchanged.
    assert.deepEqual(tensorsAfter.slice(1), Array(5).fill(tensorsAfter[1]), `tensors after each step: ${tensorsAfter.join(', ')}`);
    // The wasm filter gradients' shared patch matrix lives until the synchronous task that built it ends.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(tf.memory().numTensors, before, 'everything is freed at the end');
  });
});

describe('the wasm glue', () => {
  it('leaves no process-wide exception handlers behind', async () => {
    const { withoutGlueProcessHandlers } = await import('../../src/trainer/backend/wasm');
    const before = process.listeners('uncaughtException').length;
    const added = (): void => undefined;
    await withoutGlueProcessHandlers(async () => {
      process.on('uncaughtException', added);
    });
    assert.equal(process.listeners('uncaughtException').length, before);
  });
});
