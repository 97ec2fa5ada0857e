// The model factory (tiny and DLA-34 backbones, CenterFusion's heads and radar branch), the
// losses against hand-computed values, decoding (encode ground truth -> decode -> the same
// boxes), boxes in the global frame, and training steps (the loss falls; a seed repeats).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { initTf, tf } from '../../src/trainer/tf';
import { Rng } from '../../src/trainer/prng';
import { ArchError, createNetwork, KNOWN_ARCHS, PC_FEAT_CHANNELS, type Network, type NetworkSpec } from '../../src/trainer/model';
import { conv } from '../../src/trainer/model/layers';
import { computeLosses, regL1Loss, regressionTargetsFor, weightedBceLoss, lossNames } from '../../src/trainer/losses';
import type { Batch } from '../../src/trainer/data/batch';
import { collate, disposeBatch, stackPcHm } from '../../src/trainer/data/batch';
import { SyntheticDataset } from '../../src/trainer/data/synthetic';
import type { Geometry, Sample } from '../../src/trainer/data/types';
import { encodeRotation } from '../../src/trainer/data/targets';
import { decodeDetections } from '../../src/trainer/decode';
import { pcHmFromFirstStage } from '../../src/trainer/model/pc-inference';
import { cameraBoxToGlobal, DEFAULT_POSE, matrixToQuat, quatToMatrix } from '../../src/trainer/boxes';
import { runDatasetEval } from '../../src/trainer/evaluate';
import { createOptimizer } from '../../src/trainer/optimizer';
import { DATASET_INFO } from '../../src/shared/options';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const GEOMETRY: Geometry = { inputH: 32, inputW: 64, outputH: 8, outputW: 16, downRatio: 4, numClasses: 10, maxObjs: 128 };
const PC_HEADS = { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2, dep_sec: 1, rot_sec: 8, nuscenes_att: 8, velocity: 3 };
const SECONDARY = ['velocity', 'nuscenes_att', 'dep_sec', 'rot_sec'];
const WEIGHTS: Record<string, number> = { hm: 1, reg: 1, wh: 0.1, dep: 1, rot: 1, dim: 1, amodel_offset: 1, dep_sec: 1, rot_sec: 1, nuscenes_att: 1, velocity: 1 };

function pcSpec(arch: string, hc: number): NetworkSpec {
  const headConv: Record<string, number[]> = {};
  for (const h of Object.keys(PC_HEADS)) headConv[h] = SECONDARY.includes(h) ? [hc, hc, hc] : [hc];
  return { arch, heads: PC_HEADS, headConv, downRatio: 4, priorBias: -4.6, secondaryHeads: SECONDARY };
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

before(async () => {
  await initTf();
});

describe('model factory', () => {
  it('refuses an unknown --arch, naming the ones it builds', () => {
    assert.deepEqual([...KNOWN_ARCHS].sort(), ['dla_34', 'tiny']);
    assert.throws(() => createNetwork({ ...pcSpec('resdcn_18', 8) }, new Rng(1)), (e: unknown) => e instanceof ArchError && /unknown architecture "resdcn_18".*dla_34.*tiny/.test(e.message));
  });

  it('builds CenterFusion heads: 3x3 then 1x1 layers, secondary heads on features + pc_hm', () => {
    const net = createNetwork(pcSpec('tiny', 8), new Rng(1));
    const shape = (n: string): number[] => [...(net.state.get(n)?.shape ?? [])];
    const feat = shape('hm.0.weight')[2];
    assert.deepEqual(shape('hm.0.weight'), [3, 3, feat, 8]);
    assert.deepEqual(shape('hm.2.weight'), [1, 1, 8, 10]);
    assert.deepEqual(shape('dep_sec.0.weight'), [3, 3, feat + PC_FEAT_CHANNELS, 8]);
    assert.deepEqual(shape('dep_sec.2.weight'), [1, 1, 8, 8]);
    assert.deepEqual(shape('dep_sec.4.weight'), [1, 1, 8, 8]);
    assert.deepEqual(shape('dep_sec.6.weight'), [1, 1, 8, 1]);
    for (const v of net.state.get('hm.2.bias')?.dataSync() ?? []) close(v, -4.6, 1e-6, 'hm prior bias');
    for (const name of ['wh.0.bias', 'wh.2.bias', 'velocity.4.bias']) assert.ok((net.state.get(name)?.dataSync() ?? [1]).every((v) => v === 0), name);
    // The tiny network's depth heads start at 20 m: 1/sigmoid(-ln 20) - 1 = 20.
    for (const name of ['dep.2.bias', 'dep_sec.6.bias']) close(net.state.get(name)?.dataSync()[0] ?? NaN, -Math.log(20), 1e-6, name);
    net.dispose();
  });

  it('feeds pc_hm to the secondary heads only', () => {
    const net = createNetwork(pcSpec('tiny', 8), new Rng(2));
    const images = tf.randomNormal([1, 32, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const zero = tf.zeros([1, 8, 16, 3]) as tf.Tensor4D;
    const radar = tf.fill([1, 8, 16, 3], 0.5) as tf.Tensor4D;
    const a = net.forward(images, zero);
    const b = net.forward(images, radar);
    assert.deepEqual(Object.keys(a).sort(), Object.keys(PC_HEADS).sort());
    for (const [h, c] of Object.entries(PC_HEADS)) assert.deepEqual(a[h].shape, [1, 8, 16, c]);
    for (const h of ['hm', 'dep', 'rot']) assert.deepEqual(Array.from(a[h].dataSync()), Array.from(b[h].dataSync()), h);
    for (const h of SECONDARY) assert.notDeepEqual(Array.from(a[h].dataSync()), Array.from(b[h].dataSync()), h);
    assert.throws(() => net.forwardSecondStage(net.forwardFirstStage(images).features, tf.zeros([1, 8, 16, 2]) as tf.Tensor4D), /pc_hm has shape \[1, 8, 16, 2\]/);
    net.dispose();
  });

  it('builds DLA-34 with its trees, roots and up-sampling path, down to stride 4', () => {
    const spec: NetworkSpec = { arch: 'dla_34', heads: { hm: 10, reg: 2, dep: 1 }, headConv: { hm: [8], reg: [8], dep: [8] }, downRatio: 4, priorBias: -4.6 };
    const net = createNetwork(spec, new Rng(3));
    const shape = (n: string): number[] | undefined => net.state.get(n)?.shape.slice();
    assert.deepEqual(shape('base.base_layer.0.weight'), [7, 7, 3, 16]);
    // Root widths: 2·out (+ in for level roots, + out for the second sub-tree's root).
    assert.deepEqual(shape('base.level2.root.conv.weight'), [1, 1, 128, 64]);
    assert.deepEqual(shape('base.level3.tree2.root.conv.weight'), [1, 1, 448, 128]);
    assert.deepEqual(shape('base.level5.root.conv.weight'), [1, 1, 1280, 512]);
    assert.deepEqual(shape('base.level4.tree1.project.0.weight'), [1, 1, 128, 256]);
    assert.deepEqual(shape('dla_up.ida_0.proj_1.conv.weight'), [3, 3, 512, 256]);
    assert.deepEqual(shape('dla_up.ida_2.proj_3.conv.weight'), [3, 3, 128, 64]);
    assert.deepEqual(shape('ida_up.proj_2.conv.weight'), [3, 3, 256, 64]);
    assert.deepEqual(shape('hm.0.weight'), [3, 3, 64, 8]);
    // CenterFusion's own initialisation: the depth head's biases start at 0.
    assert.deepEqual(Array.from(net.state.get('dep.2.bias')?.dataSync() ?? [1]), [0]);
    assert.ok(net.state.has('base.level1.1.running_var') && !net.params.has('base.level1.1.running_var'));
    // DLA-34's published size is about 18 M parameters with the deformable up path.
    const count = net.variables().reduce((n, v) => n + v.size, 0);
    assert.ok(count > 15e6 && count < 21e6, `parameters: ${count}`);
    // Input sizes that are not multiples of 32 still come out at input / 4.
    net.training = false;
    const out = tf.tidy(() => net.forward(tf.zeros([1, 40, 72, 3]) as tf.Tensor4D).hm.shape);
    assert.deepEqual(out, [1, 10, 18, 10]);
    // Training mode moves the batch-norm running statistics; evaluation mode does not.
    const rm = (): number[] => Array.from(net.state.get('base.base_layer.1.running_mean')?.dataSync() ?? []);
    const before0 = rm();
    net.training = false;
    tf.tidy(() => net.forward(tf.randomNormal([1, 32, 32, 3], 1, 1, 'float32', 1) as tf.Tensor4D));
    assert.deepEqual(rm(), before0);
    net.training = true;
    tf.tidy(() => net.forward(tf.randomNormal([1, 32, 32, 3], 1, 1, 'float32', 1) as tf.Tensor4D));
    assert.notDeepEqual(rm(), before0);
    net.dispose();
  });

  it('computes convolutions like tf.conv2d on the patch path and on the standard path', () => {
    const x = tf.randomNormal([1, 7, 9, 4], 0, 1, 'float32', 9) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 10);
    const b = tf.randomNormal([5], 0, 1, 'float32', 11);
    const ref = tf.add(tf.conv2d(x, w as tf.Tensor4D, 2, 'same'), b);
    const ours = conv(x, w, b, 2);
    assert.deepEqual(ours.shape, ref.shape);
    const d = tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0];
    assert.ok(d < 1e-4, `max difference ${d}`);
  });
});

/** A one-image batch over a 2×2 output map with the given objects at flat pixels. */
function fakeBatch(rows: number[], reg: Record<string, { target: number[][]; mask: number[][] }>): Batch {
  const n = rows.length;
  const out: Batch['reg'] = {};
  for (const [k, v] of Object.entries(reg)) {
    out[k] = { target: tf.tensor2d(v.target), mask: tf.tensor2d(v.mask), maskSum: v.mask.flat().reduce((a, b) => a + b, 0) };
  }
  return {
    size: 1,
    samples: [],
    image: tf.zeros([1, 8, 8, 3]) as tf.Tensor4D,
    hm: tf.zeros([1, 2, 2, 1]) as tf.Tensor4D,
    objRows: Int32Array.from(rows),
    numObjects: n,
    numSlots: 128,
    catOneHot: tf.ones([n, 1]) as tf.Tensor2D,
    reg: out,
    rotbin: new Int32Array(2 * n),
    rotres: tf.zeros([n, 2]) as tf.Tensor2D,
  };
}

/** [1, 2, 2, C] output with `values[pixel]` per pixel. */
function map4(values: number[][]): tf.Tensor4D {
  return tf.tensor4d(values.flat(), [1, 2, 2, values[0].length]);
}

describe('losses against hand-computed values', () => {
  it('weighted L1: sum of masked |pred - target| over (mask sum + 1e-4)', () => {
    const loss = regL1Loss(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[0, 2], [5, 4]]), tf.tensor2d([[1, 1], [1, 0]]), 3).dataSync()[0];
    close(loss, 3 / 3.0001, 1e-6, 'L1');
  });

  it('BCE on attributes: ln 2 + ln(1 + e^2) over the mask sum', () => {
    const loss = weightedBceLoss(tf.tensor2d([[0, 2]]), tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 1]]), 2).dataSync()[0];
    close(loss, (Math.LN2 + Math.log(1 + Math.E ** 2)) / 2.0001, 1e-5, 'BCE');
  });

  it('depth: L1 after 1/(sigmoid(x) + 1e-6) - 1, for dep and (with sigmoid_dep_sec) dep_sec', () => {
    // Object at pixel 3 with depth 5; outputs 0 there: sigmoid 0.5 -> depth 0.999996.
    const batch = fakeBatch([3], { dep: { target: [[5]], mask: [[1]] } });
    const dep = map4([[9], [9], [9], [0]]);
    const heads = { dep: 1, dep_sec: 1 };
    const expected = Math.abs(1 / (0.5 + 1e-6) - 1 - 5) / (1 + 1e-4);
    const withSigmoid = computeLosses({ dep, dep_sec: dep }, batch, heads, { dep: 1, dep_sec: 2 }, { sigmoidDepSec: true });
    close(withSigmoid.parts.dep.dataSync()[0], expected, 1e-5, 'dep');
    close(withSigmoid.parts.dep_sec.dataSync()[0], expected, 1e-5, 'dep_sec');
    close(withSigmoid.tot.dataSync()[0], 3 * expected, 1e-4, 'tot = 1·dep + 2·dep_sec');
    // Without sigmoid_dep_sec the raw output (0) is compared with the depth.
    const raw = computeLosses({ dep, dep_sec: dep }, batch, heads, { dep: 1, dep_sec: 1 }, { sigmoidDepSec: false });
    close(raw.parts.dep_sec.dataSync()[0], 5 / (1 + 1e-4), 1e-5, 'raw dep_sec');
  });

  it('regression heads (reg, wh, dim, amodel_offset, velocity) gather at the object pixel', () => {
    const batch = fakeBatch([1, 2], { velocity: { target: [[1, 0, -1], [2, 2, 2]], mask: [[1, 1, 1], [1, 1, 1]] } });
    const velocity = map4([[0, 0, 0], [1, 1, 1], [0, 0, 0], [7, 7, 7]]);
    const r = computeLosses({ velocity }, batch, { velocity: 3 }, { velocity: 1 });
    // Pixel 1 outputs [1,1,1] vs [1,0,-1]: 0+1+2; pixel 2 outputs [0,0,0] vs [2,2,2]: 6.
    close(r.parts.velocity.dataSync()[0], 9 / 6.0001, 1e-5, 'velocity');
  });

  it('bin rotation: cross-entropy over all slots plus smooth L1 on sin/cos in each bin', () => {
    // One object, alpha 0: bin 1 (res +pi/2) and bin 2 (res -pi/2). Logits all 0.
    const { bin, res } = encodeRotation(0);
    const batch = fakeBatch([0], {});
    batch.rotbin = Int32Array.from(bin);
    batch.rotres = tf.tensor2d([res]);
    const rot = map4([[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]);
    const loss = computeLosses({ rot }, batch, { rot: 8 }, { rot: 1 }).parts.rot.dataSync()[0];
    // CE: every slot (1 object + 127 empty) costs ln 2 in each bin, averaged over 128 slots.
    const smooth = (d: number): number => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
    const resPart = (r: number): number => smooth(0 - Math.sin(r)) + smooth(0 - Math.cos(r));
    close(loss, 2 * Math.LN2 + resPart(res[0]) + resPart(res[1]), 1e-5, 'rot');
  });

  it('focal loss: one positive at the peak and the negatives around it', () => {
    const batch = fakeBatch([0], {});
    batch.hm = tf.tensor4d([1, 0.5, 0, 0], [1, 2, 2, 1]);
    const logits = map4([[0], [0], [Math.log(0.25 / 0.75)], [0]]);
    const loss = computeLosses({ hm: logits }, batch, { hm: 1 }, { hm: 1 }).parts.hm.dataSync()[0];
    const pos = Math.log(0.5) * 0.25;
    const neg = Math.log(0.5) * 0.25 * 0.5 ** 4 + Math.log(0.75) * 0.0625 + Math.log(0.5) * 0.25;
    close(loss, -(pos + neg), 1e-5, 'focal');
  });
});

/** Logits that decode to exactly the sample's targets: the encode -> decode round trip. */
function perfectOutputs(s: Sample, geom: Geometry): Record<string, tf.Tensor4D> {
  const hw = geom.outputH * geom.outputW;
  const hm = Float32Array.from(s.hm, (v) => (v >= 1 ? 12 : v <= 0 ? -12 : Math.log(v / (1 - v)) - 2));
  const maps: Record<string, Float32Array> = {};
  const channels: Record<string, number> = { reg: 2, wh: 2, dep: 1, dim: 3, amodel_offset: 2, velocity: 3, nuscenes_att: 8, rot: 8 };
  for (const [h, c] of Object.entries(channels)) maps[h] = new Float32Array(hw * c);
  for (let k = 0; k < geom.maxObjs; k++) {
    if (!s.mask[k]) continue;
    const pix = s.ind[k];
    for (const h of ['reg', 'wh', 'dim', 'amodel_offset', 'velocity', 'nuscenes_att']) {
      const c = channels[h];
      const t = s.reg[h].target.subarray(k * c, (k + 1) * c);
      const v = h === 'nuscenes_att' ? Array.from(t, (x) => (x > 0.5 ? 8 : -8)) : Array.from(t);
      maps[h].set(v, pix * c);
    }
    maps.dep[pix] = -Math.log(s.reg.dep.target[k]);
    const bins = [s.rotbin[2 * k], s.rotbin[2 * k + 1]];
    const res = [s.rotres[2 * k], s.rotres[2 * k + 1]];
    // The decoder picks bin 1 when its "inside" logit beats bin 2's.
    maps.rot.set([0, bins[0] ? 6 : -6, Math.sin(res[0]), Math.cos(res[0]), 0, bins[1] ? (bins[0] ? 5 : 6) : -6, Math.sin(res[1]), Math.cos(res[1])], pix * 8);
  }
  const out: Record<string, tf.Tensor4D> = { hm: tf.tensor4d(hm, [1, geom.outputH, geom.outputW, geom.numClasses]) };
  for (const [h, c] of Object.entries(channels)) out[h] = tf.tensor4d(maps[h], [1, geom.outputH, geom.outputW, c]);
  return out;
}

describe('decoding', () => {
  const geom: Geometry = { inputH: 64, inputW: 112, outputH: 16, outputW: 28, downRatio: 4, numClasses: 10, maxObjs: 128 };
  const ds = new SyntheticDataset({ seed: 21, split: 'val', size: 6, geometry: geom, classNames: DATASET_INFO.synthetic.class_name });

  it('round-trips ground truth: targets -> decode -> the same 3D boxes', () => {
    let checked = 0;
    for (let i = 0; i < ds.size; i++) {
      const s = ds.get(i);
      const n = s.mask.reduce((a, b) => a + b, 0);
      const pixels = new Set(Array.from(s.ind.subarray(0, n)));
      if (pixels.size < n) continue; // two objects on one output pixel cannot both decode
      const dets = decodeDetections(perfectOutputs(s, geom), [s.calib], geom.downRatio, n)[0];
      for (let k = 0; k < n; k++) {
        const obj = s.objects[k];
        const d = dets.find((x) => x.cls === obj.cls && Math.abs(x.center[2] - obj.center[2]) < 1e-2);
        assert.ok(d, `sample ${i} object ${k} not decoded`);
        assert.ok(d.score > 0.99);
        for (let j = 0; j < 3; j++) {
          close(d.center[j], obj.center[j], 2e-3 * obj.center[2], `centre ${j}`);
          close(d.dim[j], obj.dim[j], 1e-4, `dim ${j}`);
          close(d.velocityCam[j], obj.velocityCam[j], 1e-4, `velocity ${j}`);
        }
        const dy = Math.atan2(Math.sin(d.rotY - obj.rotY), Math.cos(d.rotY - obj.rotY));
        close(dy, 0, 1e-3, 'rotation_y');
        if (obj.attribute !== '') assert.equal(d.attribute, obj.attribute);
        checked++;
      }
    }
    assert.ok(checked >= 5, `only ${checked} objects checked`);
  });

  it('gives a perfect nuScenes score to perfect outputs, through the global frame and the submission file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-model-eval-'));
    try {
      const pose = {
        camToEgo: { translation: [1.5, 0, 1.6] as [number, number, number], rotation: [0.5, -0.5, 0.5, -0.5] as [number, number, number, number] },
        egoToGlobal: { translation: [400, 1200, 0] as [number, number, number], rotation: [Math.cos(0.4), 0, 0, Math.sin(0.4)] as [number, number, number, number] },
      };
      const samples = [];
      for (let i = 0; i < ds.size; i++) {
        const s = ds.get(i);
        const n = s.mask.reduce((a, b) => a + b, 0);
        if (new Set(Array.from(s.ind.subarray(0, n))).size < n) continue;
        const dets = decodeDetections(perfectOutputs(s, geom), [s.calib], geom.downRatio, 20)[0];
        samples.push({ token: s.token, objects: s.objects, detections: dets, pose });
      }
      const out = runDatasetEval({ samples, classNames: DATASET_INFO.synthetic.class_name, saveDir: dir, valSplit: 'val', copyDir: path.join(dir, 'copy'), useRadar: true });
      // Classes with ground truth are found (AP near 1: a box outside the image, or beside a
      // same-class peak, can be lost) with translation error ~0.
      const present = new Set(samples.flatMap((s) => s.objects.filter((o) => o.numPts > 0).map((o) => DATASET_INFO.synthetic.class_name[o.cls])));
      assert.ok(present.size >= 2);
      for (const cls of present) {
        assert.ok(out.summary.mean_dist_aps[cls] > 0.95, `AP ${cls}: ${out.summary.mean_dist_aps[cls]}`);
        assert.ok(out.summary.label_tp_errors[cls].trans_err < 0.05, `${cls} trans_err ${out.summary.label_tp_errors[cls].trans_err}`);
        assert.ok(out.summary.label_tp_errors[cls].scale_err < 0.01);
      }
      const sub = JSON.parse(fs.readFileSync(path.join(dir, 'results_nuscenes_det_val.json'), 'utf8')) as { meta: { use_radar: boolean }; results: Record<string, unknown[]> };
      assert.equal(sub.meta.use_radar, true);
      assert.deepEqual(Object.keys(sub.results).sort(), samples.map((s) => s.token).sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes camera boxes to the global frame through camera -> ego -> global', () => {
    // Default pose: camera z forward -> ego x, camera x right -> ego -y; rotation_y 0 heads along ego -y.
    const a = cameraBoxToGlobal([1, 0.5, 10], [1.5, 1.8, 4], 0, [0, 0, 2]);
    assert.deepEqual(a.translation.map((v) => Math.round(v * 1e9) / 1e9), [10, -1, -0.5]);
    assert.deepEqual(a.size, [1.8, 4, 1.5]);
    const yaw = (q: readonly number[]): number => Math.atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));
    close(yaw(a.rotation), -Math.PI / 2, 1e-9, 'yaw');
    close(a.velocity[0], 2, 1e-9, 'vx');
    // An ego pose turned by 0.8 rad about z and moved: positions and yaw follow it.
    const pose = { camToEgo: DEFAULT_POSE.camToEgo, egoToGlobal: { translation: [100, 50, 0] as [number, number, number], rotation: [Math.cos(0.4), 0, 0, Math.sin(0.4)] as [number, number, number, number] } };
    const b = cameraBoxToGlobal([0, 0, 10], [1.5, 1.8, 4], Math.PI / 2, [0, 0, 0], pose);
    close(b.translation[0], 100 + 10 * Math.cos(0.8), 1e-9, 'x');
    close(b.translation[1], 50 + 10 * Math.sin(0.8), 1e-9, 'y');
    // rotation_y pi/2 heads along camera -z... here +z is forward, so heading (0, 0, -1) -> ego -x.
    close(Math.cos(yaw(b.rotation) - (Math.PI + 0.8)), 1, 1e-9, 'yaw turned with the ego');
    const m = quatToMatrix(matrixToQuat(quatToMatrix([0.3, -0.2, 0.9, 0.1])));
    const ref = quatToMatrix([0.3, -0.2, 0.9, 0.1]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(m[i][j], ref[i][j], 1e-9, 'quaternion round trip');
  });
});

describe('pc_hm at inference', () => {
  it('associates the radar pillars with the first-stage boxes (CenterFusion generate_pc_hm)', () => {
    const H = 8;
    const W = 16;
    const at = (c: number, pix: number, values: number[]): tf.Tensor4D => {
      const t = new Float32Array(H * W * c);
      t.set(values, pix * c);
      return tf.tensor4d(t, [1, H, W, c]);
    };
    const pix = 4 * W + 8; // peak at x 8, y 4
    const hm = new Float32Array(H * W * 10).fill(-10);
    hm[pix * 10 + 0] = 8;
    const outputs = {
      hm: tf.tensor4d(hm, [1, H, W, 10]),
      wh: at(2, pix, [6, 4]),
      dep: at(1, pix, [-Math.log(20)]), // 20 m
      dim: at(3, pix, [1.5, 1.8, 4]),
      rot: at(8, pix, [0, 5, 0, 1, 0, -5, 0, 1]),
    };
    // One radar return at 21 m inside the box (pillar over x 7..10, y 3..6), one far behind it.
    const radar = {
      count: 2,
      xyz: Float32Array.from([0, 0, 21, 0, 0, 45]),
      vel: Float32Array.from([1.5, -2, 9, 9]),
      pillar: Float32Array.from([7, 3, 10, 6, 7, 3, 10, 6]),
    };
    const opts = { hmToBoxRatio: 0.3, frustumExpansionRatio: 0, maxPcDist: 100, normalizeDepth: true };
    const calib = { f: 51.2, cx: 32, cy: 16 };
    const pc = pcHmFromFirstStage(outputs, [{ calib, radar }], 4, 1, opts).dataSync();
    const centre = (4 * W + 8) * 3;
    close(pc[centre], 0.21, 1e-6, 'pc_dep (21 m / max_pc_dist)');
    close(pc[centre + 1], 1.5, 1e-6, 'pc_vx');
    close(pc[centre + 2], -2, 1e-6, 'pc_vz');
    // Far from the box nothing is painted; without radar the map is empty.
    assert.equal(pc[(0 * W + 0) * 3], 0);
    assert.ok(pcHmFromFirstStage(outputs, [{ calib }], 4, 1, opts).dataSync().every((v) => v === 0));
  });
});

describe('training steps', () => {
  const ds = new SyntheticDataset({ seed: 5, split: 'train', size: 4, geometry: GEOMETRY, classNames: DATASET_INFO.synthetic.class_name });
  const heads = PC_HEADS;

  function train(seed: number, steps: number): number[] {
    const net: Network = createNetwork(pcSpec('tiny', 8), new Rng(seed));
    const opt = createOptimizer('adam', 2e-3);
    const samples = [0, 1, 2, 3].map((i) => ds.get(i));
    // A synthetic pc_hm (the frustum association is the data side's): depth/60 under each object.
    for (const s of samples) {
      const pc = new Float32Array(GEOMETRY.outputH * GEOMETRY.outputW * 3);
      for (let k = 0; k < 128; k++) if (s.mask[k]) pc[s.ind[k] * 3] = s.reg.dep.target[k] / 60;
      s.pcHm = pc;
    }
    const batch = collate(samples, GEOMETRY, regressionTargetsFor(heads), true);
    assert.deepEqual(Array.from(batch.pcHm?.dataSync() ?? []), Array.from(stackPcHm(samples.map((s) => s.pcHm), 8, 16)));
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const { value, grads } = tf.variableGrads(() => computeLosses(net.forward(batch.image, batch.pcHm), batch, heads, WEIGHTS).tot, net.variables());
      losses.push(value.dataSync()[0]);
      const named: Record<string, tf.Tensor> = {};
      for (const [name, v] of net.params) if (grads[v.name]) named[name] = grads[v.name];
      opt.step(net.params, named);
      tf.dispose([value, ...Object.values(grads)]);
    }
    disposeBatch(batch);
    opt.dispose();
    net.dispose();
    return losses;
  }

  it('reduce the loss on a batch within a few steps', () => {
    const losses = train(11, 12);
    assert.equal(lossNames(heads).length, 12);
    assert.ok(losses.every((l) => Number.isFinite(l)));
    assert.ok(losses[losses.length - 1] < 0.8 * losses[0], `losses: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  });

  it('repeat exactly with the same seed and differ with another', () => {
    const a = train(11, 3);
    const b = train(11, 3);
    const c = train(12, 3);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});
