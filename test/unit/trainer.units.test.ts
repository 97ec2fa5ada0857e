// The built-in trainer's pieces, in process: seeded numbers, targets, convolutions and losses
// against plain tfjs / plain arithmetic, checkpoint files, CenterFusion-style text files.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { deriveSeed, Rng } from '../../src/trainer/prng';
import { initTf, tf } from '../../src/trainer/tf';
import { conv2d, im2col, samePadding } from '../../src/trainer/model/ops';
import { createNetwork } from '../../src/trainer/model';
import { decodeRotation, drawGaussian, encodeRotation, gaussianRadius } from '../../src/trainer/data/targets';
import { SyntheticDataset } from '../../src/trainer/data/synthetic';
import { collate, disposeBatch } from '../../src/trainer/data/batch';
import type { Geometry } from '../../src/trainer/data/types';
import { binRotLoss, computeLosses, focalLoss, gatherRows, lossNames, regressionTargetsFor } from '../../src/trainer/losses';
import { createOptimizer, OptimizerError } from '../../src/trainer/optimizer';
import {
  CheckpointError,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type HeaderFields,
} from '../../src/trainer/checkpoint';
import { writeFileAtomic } from '../../src/trainer/fsutil';
import { formatOptTxt, givenDests, pyOptionValue, pyRepr, pyStrRepr } from '../../src/trainer/pyrepr';
import { formatStat, formatStats } from '../../src/trainer/logger';
import { formatTimedelta } from '../../src/trainer/progress';
import { splitStudioArgs } from '../../src/trainer/train';
import { decodeDetections } from '../../src/trainer/decode';
import { DATASET_INFO, parseArgv, resolveOptions } from '../../src/shared/options';

const GEOMETRY: Geometry = { inputH: 32, inputW: 64, outputH: 8, outputW: 16, downRatio: 4, numClasses: 10, maxObjs: 128 };
const DDD_HEADS = { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2 };
const DDD_WEIGHTS = { hm: 1, reg: 1, wh: 0.1, dep: 1, rot: 1, dim: 1, amodel_offset: 1 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let tmp = '';
before(async () => {
  await initTf();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-trainer-units-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('seeded random numbers', () => {
  it('repeats a stream for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });
  it('derives unrelated seeds from nearby parts', () => {
    const seeds = new Set([deriveSeed(317, 1, 0), deriveSeed(317, 1, 1), deriveSeed(317, 2, 0), deriveSeed(318, 1, 0)]);
    assert.equal(seeds.size, 4);
    assert.equal(deriveSeed(317, 1, 0), deriveSeed(317, 1, 0));
  });
  it('shuffles deterministically', () => {
    const order = (seed: number): number[] => new Rng(seed).shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(order(5), order(5));
    assert.deepEqual([...order(5)].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('CenterNet targets', () => {
  it('draws a unit peak at the centre and keeps the maximum', () => {
    const hm = new Float32Array(8 * 8 * 2);
    drawGaussian(hm, 8, 8, 2, 1, 3, 4, 2);
    assert.equal(hm[(4 * 8 + 3) * 2 + 1], 1);
    assert.equal(hm[(4 * 8 + 3) * 2 + 0], 0);
    const side = hm[(4 * 8 + 4) * 2 + 1];
    assert.ok(side > 0 && side < 1);
    drawGaussian(hm, 8, 8, 2, 1, 4, 4, 0);
    assert.equal(hm[(4 * 8 + 4) * 2 + 1], 1);
  });
  it('computes a radius that grows with the box', () => {
    assert.ok(gaussianRadius(4, 4) < gaussianRadius(12, 12));
    assert.ok(gaussianRadius(10, 20) > 0);
  });
  it('round-trips the rotation bins through the decoder', () => {
    for (const alpha of [-3, -2, -1, -0.2, 0, 0.4, 1.5, 2.9]) {
      const { bin, res } = encodeRotation(alpha);
      assert.ok(bin[0] + bin[1] >= 1);
      const rot = [0, bin[0] ? 5 : -5, Math.sin(res[0]), Math.cos(res[0]), 0, bin[1] ? (bin[0] ? 4 : 5) : -5, Math.sin(res[1]), Math.cos(res[1])];
      const back = decodeRotation(rot);
      assert.ok(Math.abs(Math.atan2(Math.sin(back - alpha), Math.cos(back - alpha))) < 1e-9, `alpha ${alpha} -> ${back}`);
    }
  });
});

describe('synthetic dataset', () => {
  const make = (split: 'train' | 'val', seed = 7): SyntheticDataset =>
    new SyntheticDataset({ seed, split, size: 4, geometry: GEOMETRY, classNames: DATASET_INFO.synthetic.class_name });
  it('regenerates a sample exactly and keeps splits and seeds apart', () => {
    const a = make('train').get(2);
    const b = make('train').get(2);
    assert.deepEqual(a.image, b.image);
    assert.deepEqual(a.hm, b.hm);
    assert.notDeepEqual(make('val').get(2).image, a.image);
    assert.notDeepEqual(make('train', 8).get(2).image, a.image);
    assert.throws(() => make('train').get(4), RangeError);
  });
  it('puts a heatmap peak of the right class at every object index', () => {
    const s = make('train').get(1);
    const count = s.mask.reduce((x, y) => x + y, 0);
    assert.ok(count >= 1);
    for (let k = 0; k < count; k++) {
      assert.equal(s.hm[s.ind[k] * GEOMETRY.numClasses + s.cat[k]], 1);
      const depth = s.reg.dep.target[k];
      assert.ok(depth > 4 && depth < 27);
      assert.ok(s.rotbin[2 * k] + s.rotbin[2 * k + 1] >= 1);
    }
    assert.equal(s.image.length, 32 * 64 * 3);
  });
});

describe('convolutions and gathers', () => {
  it('match tf.conv2d and its gradients (stride 1 and 2, SAME padding)', () => {
    const rng = new Rng(1);
    const rand = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    for (const [h, w, stride] of [[6, 7, 1], [8, 10, 2], [7, 9, 2]]) {
      const x = rand([2, h, w, 3]) as tf.Tensor4D;
      const f = rand([3, 3, 3, 4]) as tf.Tensor4D;
      const bias = tf.zeros([4]);
      const ours = conv2d(x, f, bias, stride);
      const ref = tf.conv2d(x, f, stride, 'same');
      assert.deepEqual(ours.shape, ref.shape);
      assert.equal(ours.shape[1], samePadding(h, 3, stride).out);
      assert.ok(maxAbsDiff(ours.dataSync(), ref.dataSync()) < 1e-4);
      const g1 = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, bias, stride))))([x, f]);
      const g2 = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same'))))([x, f]);
      assert.ok(maxAbsDiff(g1[0].dataSync(), g2[0].dataSync()) < 1e-3, 'input gradient');
      assert.ok(maxAbsDiff(g1[1].dataSync(), g2[1].dataSync()) < 1e-3, 'filter gradient');
      tf.dispose([x, f, bias, ours, ref, ...g1, ...g2]);
    }
    assert.equal(im2col(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, 3, 1).cols.shape[1], 18);
  });
  it('gathers rows with the gradient of tf.gather', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const rows = Int32Array.from([3, 1, 3]);
    assert.deepEqual(Array.from(gatherRows(x, rows).dataSync()), [7, 8, 3, 4, 7, 8]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gatherRows(a as tf.Tensor2D, rows), tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]))))(x);
    assert.deepEqual(Array.from(g.dataSync()), [0, 0, 3, 4, 0, 0, 6, 8]);
  });
});

describe('losses', () => {
  it('lists loss names in CenterFusion\'s order, restricted to the heads', () => {
    assert.deepEqual(lossNames(DDD_HEADS), ['tot', 'hm', 'wh', 'reg', 'dep', 'dim', 'rot', 'amodel_offset']);
    assert.deepEqual(lossNames({ hm: 10, reg: 2, wh: 2 }), ['tot', 'hm', 'wh', 'reg']);
    assert.deepEqual(
      lossNames({ hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2, dep_sec: 1, rot_sec: 8, nuscenes_att: 8, velocity: 3 }),
      ['tot', 'hm', 'wh', 'reg', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec', 'amodel_offset', 'nuscenes_att', 'velocity'],
    );
  });

  it('computes the focal loss as CenterNet defines it', () => {
    const ds = new SyntheticDataset({ seed: 3, split: 'train', size: 2, geometry: GEOMETRY, classNames: [] });
    const batch = collate([ds.get(0), ds.get(1)], GEOMETRY, []);
    const rng = new Rng(9);
    const logits = Float32Array.from({ length: 2 * 8 * 16 * 10 }, () => rng.normal() * 2);
    const loss = focalLoss(tf.tensor4d(logits, [2, 8, 16, 10]), batch).dataSync()[0];
    // Direct: every pixel's negative term, then the positive term at each object's index.
    const gt = batch.hm.dataSync();
    const p = Array.from(logits, (v) => Math.min(Math.max(1 / (1 + Math.exp(-v)), 1e-4), 1 - 1e-4));
    let neg = 0;
    for (let i = 0; i < p.length; i++) neg += Math.log(1 - p[i]) * p[i] ** 2 * (1 - gt[i]) ** 4;
    let pos = 0;
    const samples = batch.samples;
    samples.forEach((s, b) => {
      for (let k = 0; k < 128; k++) {
        if (!s.mask[k]) continue;
        const q = p[(b * 128 + s.ind[k]) * 10 + s.cat[k]];
        pos += Math.log(q) * (1 - q) ** 2;
      }
    });
    const expected = -(pos + neg) / batch.numObjects;
    assert.ok(Math.abs(loss - expected) < 1e-3 * Math.abs(expected), `${loss} vs ${expected}`);
    disposeBatch(batch);
  });

  it('matches the all-slots BinRotLoss of CenterNet, empty slots included', () => {
    const ds = new SyntheticDataset({ seed: 4, split: 'train', size: 2, geometry: GEOMETRY, classNames: [] });
    const batch = collate([ds.get(0), ds.get(1)], GEOMETRY, []);
    const rng = new Rng(11);
    const logits = Float32Array.from({ length: 2 * 8 * 16 * 8 }, () => rng.normal());
    const ours = binRotLoss(tf.tensor4d(logits, [2, 8, 16, 8]), batch).dataSync()[0];
    // Reference over all 2·128 slots: masked logits zeroed for the cross-entropy.
    const ce = (a: number, b: number, target: number): number => {
      const m = Math.max(a, b);
      const lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      return lse - (target ? b : a);
    };
    const smooth = (d: number): number => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
    let ce1 = 0;
    let ce2 = 0;
    const res: number[][] = [[], []];
    batch.samples.forEach((s, b) => {
      for (let k = 0; k < 128; k++) {
        const row = Array.from(logits.subarray((b * 128 + s.ind[k]) * 8, (b * 128 + s.ind[k]) * 8 + 8)).map((v) => v * s.mask[k]);
        ce1 += ce(row[0], row[1], s.rotbin[2 * k]);
        ce2 += ce(row[4], row[5], s.rotbin[2 * k + 1]);
        for (const which of [0, 1]) {
          if (s.rotbin[2 * k + which]) {
            const r = s.rotres[2 * k + which];
            res[which].push(smooth(row[4 * which + 2] - Math.sin(r)) + smooth(row[4 * which + 3] - Math.cos(r)));
          }
        }
      }
    });
    let expected = ce1 / 256 + ce2 / 256;
    for (const list of res) if (list.length > 0) expected += list.reduce((a, b) => a + b, 0) / list.length;
    assert.ok(Math.abs(ours - expected) < 1e-4, `${ours} vs ${expected}`);
    disposeBatch(batch);
  });

  it('weights the total by opts.weights', () => {
    const ds = new SyntheticDataset({ seed: 5, split: 'train', size: 2, geometry: GEOMETRY, classNames: [] });
    const batch = collate([ds.get(0), ds.get(1)], GEOMETRY, regressionTargetsFor(DDD_HEADS));
    const model = createNetwork({ arch: 'tiny', heads: DDD_HEADS, headConv: {}, downRatio: 4, priorBias: -4.6 }, new Rng(1));
    tf.tidy(() => {
      const r = computeLosses(model.forward(batch.image), batch, DDD_HEADS, DDD_WEIGHTS);
      let sum = 0;
      for (const [head, w] of Object.entries(DDD_WEIGHTS)) sum += w * r.parts[head].dataSync()[0];
      assert.ok(Math.abs(r.tot.dataSync()[0] - sum) < 1e-3);
      assert.deepEqual(Object.keys(r.parts), lossNames(DDD_HEADS).slice(1));
    });
    model.dispose();
    disposeBatch(batch);
  });
});

describe('model and optimizer', () => {
  it('starts the hm head at the prior bias and other heads at zero', () => {
    const model = createNetwork({ arch: 'tiny', heads: DDD_HEADS, headConv: { hm: [16], reg: [16] }, downRatio: 4, priorBias: -4.6 }, new Rng(2));
    const hmBias = model.params.get('hm.2.bias');
    assert.ok(hmBias);
    for (const v of hmBias.dataSync()) assert.ok(Math.abs(v + 4.6) < 1e-6);
    assert.deepEqual(Array.from(model.params.get('wh.0.bias')?.dataSync() ?? [1]), [0, 0]);
    const out = tf.tidy(() => model.forward(tf.zeros([1, 32, 64, 3]) as tf.Tensor4D).hm.shape);
    assert.deepEqual(out, [1, 8, 16, 10]);
    model.dispose();
  });
  it('refuses optimizers CenterFusion does not build', () => {
    assert.throws(() => createOptimizer('rmsprop', 1e-3), (e: unknown) => e instanceof OptimizerError && /optimizer not correctly defined/.test(e.message));
  });
  it('applies PyTorch-style Adam and SGD updates', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const vars = new Map([['p', p]]);
    const adam = createOptimizer('adam', 0.1);
    adam.step(vars, { p: tf.tensor1d([0.5, -3]) });
    // First Adam step moves each weight by lr·sign(g) (up to eps).
    assert.ok(maxAbsDiff(p.dataSync(), [0.9, -1.9]) < 1e-6);
    const sgd = createOptimizer('sgd', 0.1);
    sgd.step(vars, { p: tf.tensor1d([1, 1]) });
    // d = g + 1e-4·p; p -= lr·d
    assert.ok(maxAbsDiff(p.dataSync(), [0.9 - 0.1 * (1 + 0.9e-4), -1.9 - 0.1 * (1 - 1.9e-4)]) < 1e-6);
    adam.dispose();
    sgd.dispose();
    p.dispose();
  });
  it('hands out and takes back its state (Adam moments and step, SGD momentum)', () => {
    for (const name of ['adam', 'sgd']) {
      const a = tf.variable(tf.tensor1d([1, -2]));
      const b = tf.variable(tf.tensor1d([1, -2]));
      const first = createOptimizer(name, 0.1);
      first.step(new Map([['p', a]]), { p: tf.tensor1d([0.5, -3]) });
      first.step(new Map([['p', a]]), { p: tf.tensor1d([0.25, 1]) });
      const state = first.getState();
      assert.equal(state.step, 2);
      assert.deepEqual(state.slots.map((s) => s.name), name === 'adam' ? ['exp_avg/p', 'exp_avg_sq/p'] : ['momentum_buffer/p']);
      b.assign(a);
      const second = createOptimizer(name, 0.1);
      const skipped = second.setState({ step: state.step, slots: [...state.slots, { name: `${state.slots[0].name.split('/')[0]}/gone`, shape: [2], values: new Float32Array(2) }] }, new Map([['p', b]]));
      assert.deepEqual(skipped, [`No param for optimizer state ${state.slots[0].name.split('/')[0]}/gone.`]);
      // The same next step from the same state gives the same weights.
      first.step(new Map([['p', a]]), { p: tf.tensor1d([-1, 2]) });
      second.step(new Map([['p', b]]), { p: tf.tensor1d([-1, 2]) });
      assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
      assert.deepEqual(second.getState(), first.getState());
      const bad = createOptimizer(name, 0.1);
      assert.match(bad.setState({ step: 1, slots: [{ ...state.slots[0], shape: [1, 2] }] }, new Map([['p', b]]))[0], /^Skip loading optimizer state .*, required shape \[2\], loaded shape \[1, 2\]\.$/);
      for (const o of [first, second, bad]) o.dispose();
      a.dispose();
      b.dispose();
    }
  });
});

describe('checkpoint files', () => {
  const fields: HeaderFields = {
    epoch: 3,
    network: 'tiny-centernet-v1',
    arch: 'dla_34',
    heads: { hm: 10 },
    head_conv: { hm: [256] },
    down_ratio: 4,
    input_h: 32,
    input_w: 64,
    num_classes: 10,
    optimizer: { name: 'adam', lr: 1.25e-4 },
    created: '2026-01-01T00:00:00.000Z',
    producer: 'test',
    tfjs_version: '4.22.0',
  };
  const weights = [
    { name: 'a', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { name: 'b', shape: [1], values: Float32Array.from([0.125]) },
  ];
  it('round-trips header and weights, 4-byte aligned', () => {
    const bytes = encodeCheckpoint(fields, weights);
    const back = decodeCheckpoint(bytes);
    assert.equal(back.header.epoch, 3);
    assert.deepEqual(back.header.optimizer, { name: 'adam', lr: 1.25e-4 });
    assert.deepEqual(Array.from(back.weights.get('a') ?? []), [1, 2, 3, 4, 5, -6.5]);
    assert.deepEqual(Array.from(back.weights.get('b') ?? []), [0.125]);
    assert.equal((bytes.length - back.header.data_bytes) % 4, 0);
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
  it('stores the optimizer state after the weights (version 2) and refuses unknown versions', () => {
    const slots = [{ name: 'exp_avg/a', shape: [2, 3], values: Float32Array.from([0.5, 0, 0, 0, 0, -1]) }];
    const bytes = encodeCheckpoint(fields, weights, { step: 7, slots });
    const back = decodeCheckpoint(bytes);
    assert.equal(back.header.version, 2);
    assert.equal(back.header.data_bytes, (6 + 1 + 6) * 4);
    assert.equal(back.optimizerState?.name, 'adam');
    assert.equal(back.optimizerState?.step, 7);
    assert.deepEqual(Array.from(back.optimizerState?.slots.get('exp_avg/a')?.values ?? []), [0.5, 0, 0, 0, 0, -1]);
    assert.deepEqual(Array.from(back.weights.get('b') ?? []), [0.125]);
    const text = bytes.toString('latin1').replace('"version":2', '"version":9');
    assert.throws(() => decodeCheckpoint(Buffer.from(text, 'latin1'), 'x.ckpt'), /version 9 is not supported \(this trainer reads versions 1, 2\)/);
  });
  it('reports damage clearly', () => {
    const bytes = encodeCheckpoint(fields, weights);
    const bad = (b: Buffer, pattern: RegExp): void => {
      assert.throws(() => decodeCheckpoint(b, 'x.ckpt'), (e: unknown) => e instanceof CheckpointError && pattern.test(e.message));
    };
    bad(bytes.subarray(0, bytes.length - 3), /truncated/);
    bad(Buffer.concat([bytes, Buffer.from([0])]), /corrupt/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] ^= 0xff;
    bad(flipped, /checksum/);
    bad(Buffer.from('PK\x03\x04 this is a zip'), /PyTorch/);
    bad(bytes.subarray(0, 20), /truncated/);
    const badJson = Buffer.from(bytes);
    badJson[12] = 0x7b + 1;
    bad(badJson, /header/);
    assert.throws(() => readCheckpoint(path.join(tmp, 'missing.ckpt')), /checkpoint not found/);
  });
  it('writes atomically without leaving temporary files', () => {
    const file = path.join(tmp, 'model_last.ckpt');
    const size = writeCheckpoint(file, fields, weights);
    assert.equal(fs.statSync(file).size, size);
    writeFileAtomic(path.join(tmp, 'note.txt'), 'hello');
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
    assert.equal(readCheckpoint(file).header.epoch, 3);
  });
});

describe('CenterFusion text files', () => {
  it('prints values the way Python does', () => {
    assert.equal(pyStrRepr('a'), "'a'");
    assert.equal(pyStrRepr("it's"), '"it\'s"');
    assert.equal(pyStrRepr('x\ny'), "'x\\ny'");
    assert.equal(pyRepr(['ddd', '--lr', '1e-4']), "['ddd', '--lr', '1e-4']");
    assert.equal(pyRepr({ hm: 10, reg: 2 }), "{'hm': 10, 'reg': 2}");
    assert.equal(pyRepr([true, null]), '[True, None]');
    const none = new Set<string>();
    assert.equal(pyOptionValue('lr', 1.25e-4, none), '0.000125');
    assert.equal(pyOptionValue('lr', 1e-5, none), '1e-05');
    assert.equal(pyOptionValue('hm_weight', 1, none), '1');
    assert.equal(pyOptionValue('hm_weight', 1, new Set(['hm_weight'])), '1.0');
    assert.equal(pyOptionValue('wh_weight', 0.1, none), '0.1');
    assert.equal(pyOptionValue('max_pc_dist', 100, none), '100.0');
    assert.equal(pyOptionValue('test_scales', [1], none), '[1.0]');
    assert.equal(pyOptionValue('gpus', [0, 1], none), '[0, 1]');
    assert.equal(pyOptionValue('weights', { hm: 1, wh: 0.1 }, none), "{'hm': 1, 'wh': 0.1}");
    assert.equal(pyOptionValue('hm_dist_thresh', { 0: 0, 5: 1 }, none), '{0: 0, 5: 1}');
    assert.equal(pyOptionValue('shuffle_train', false, none), 'False');
    assert.equal(pyOptionValue('exp_id', 'demo', none), 'demo');
    assert.deepEqual([...givenDests(['ddd', '--lr', '1', '--hm_weight=2', '--nope'])].sort(), ['hm_weight', 'lr']);
  });
  it('writes opt.txt in CenterFusion\'s shape', () => {
    const argv = ['ddd', '--dataset', 'synthetic', '--exp_id', 'demo'];
    const opts = resolveOptions(parseArgv(argv), { rootDir: '/r', dataset: DATASET_INFO.synthetic, checkpointExt: '.ckpt' });
    const text = formatOptTxt({ commit: 'v', tfjsVersion: '4.22.0', backend: 'cpu', cmd: ['centerfusion', 'train', ...argv], opts, given: givenDests(argv) });
    const lines = text.split('\n');
    assert.equal(lines[0], "==> commit hash: b'v\\n'");
    assert.match(lines[1], /^==> tfjs version: 4\.22\.0$/);
    assert.equal(lines[3], '==> Cmd:');
    assert.equal(lines[4], "['centerfusion', 'train', 'ddd', '--dataset', 'synthetic', '--exp_id', 'demo']");
    assert.equal(lines[5], '==> Opt:');
    const keys = lines.slice(6, -1).map((l) => /^ {2}(\S+): /.exec(l)?.[1]);
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(lines.includes('  K: 100'));
    assert.ok(lines.includes('  save_dir: /r/exp/ddd/demo'));
    assert.ok(lines.includes('  lr_step: [60]'));
    assert.ok(lines.includes('  eval: False'));
    assert.ok(text.endsWith('\n'));
  });
  it('formats log.txt numbers like {:8f}', () => {
    assert.equal(formatStat(1.5), '1.500000');
    assert.equal(formatStat(Number.NaN), '     nan');
    assert.equal(formatStat(12.3456789), '12.345679');
    assert.equal(formatStats({ tot: 1, hm: 0.25 }), 'tot 1.000000 | hm 0.250000 | ');
  });
  it('formats times like Python timedelta', () => {
    assert.equal(formatTimedelta(116.7), '0:01:56');
    assert.equal(formatTimedelta(90061), '1 day, 1:01:01');
  });
});

describe('decoding detections', () => {
  it('finds a heatmap peak and reads the other heads there', () => {
    const hm = new Float32Array(1 * 8 * 16 * 10).fill(-10);
    hm[(3 * 16 + 5) * 10 + 2] = 5;
    const at = (channels: number, values: number[]): tf.Tensor4D => {
      const t = new Float32Array(8 * 16 * channels);
      t.set(values, (3 * 16 + 5) * channels);
      return tf.tensor4d(t, [1, 8, 16, channels]);
    };
    const outputs = {
      hm: tf.tensor4d(hm, [1, 8, 16, 10]),
      reg: at(2, [0.5, 0.25]),
      dep: at(1, [-2]),
      dim: at(3, [1.5, 1.8, 4]),
      rot: at(8, [0, 5, 0, 1, 0, -5, 0, 1]),
    };
    const dets = decodeDetections(outputs, [{ f: 51.2, cx: 32, cy: 16 }], 4, 3);
    assert.equal(dets[0].length, 3);
    const top = dets[0][0];
    assert.equal(top.cls, 2);
    assert.ok(top.score > 0.99);
    const depth = 1 / (1 / (1 + Math.exp(2)) + 1e-6) - 1;
    assert.ok(Math.abs(top.center[2] - depth) < 1e-3);
    assert.ok(Math.abs(top.center[0] - ((5.5 * 4 - 32) * depth) / 51.2) < 1e-3);
    assert.deepEqual(top.dim.map((v) => Math.round(v * 10) / 10), [1.5, 1.8, 4]);
  });
});

describe('train command line', () => {
  it('takes the Studio flags out, anywhere, and keeps the rest', () => {
    const a = splitStudioArgs(['ddd', '--root-dir', 'r', '--lr', '1', '--run-id=abc'], '/cwd');
    assert.equal(a.rootDir, path.resolve('/cwd', 'r'));
    assert.equal(a.runId, 'abc');
    assert.deepEqual(a.rest, ['ddd', '--lr', '1']);
    assert.equal(splitStudioArgs(['ddd'], '/cwd').rootDir, path.resolve('/cwd'));
    assert.match(splitStudioArgs(['ddd'], '/cwd').runId, /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
    assert.throws(() => splitStudioArgs(['ddd', '--run-id', '../x'], '/cwd'), /run-id/);
    assert.throws(() => splitStudioArgs(['ddd', '--root-dir'], '/cwd'), /expected a value/);
    assert.deepEqual(splitStudioArgs(['--', '--root-dir'], '/cwd').rest, ['--', '--root-dir']);
  });
});
