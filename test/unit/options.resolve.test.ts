import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OPTION_SPECS,
  OptionError,
  chunkSizes,
  defaultRawOptions,
  parseArgv,
  posixJoin,
  resolveOptions,
  type DatasetInfo,
  type RawOptions,
} from '../../src/shared/options';

const ROOT = '/home/me/CenterFusion';
const TRAIN =
  'ddd --exp_id centerfusion --shuffle_train --train_split train --val_split mini_val --val_intervals 1 ' +
  '--run_dataset_eval --nuscenes_att --velocity --batch_size 32 --lr 2.5e-4 --num_epochs 60 --lr_step 50 ' +
  '--save_point 20,40,50 --gpus 0,1 --not_rand_crop --flip 0.5 --shift 0.1 --pointcloud --radar_sweeps 3 ' +
  '--pc_z_offset 0.0 --pillar_dims 1.0,0.2,0.2 --max_pc_dist 60.0 --load_model ../models/centernet_baseline_e170.pth';

function resolveArgs(args: string, env: { rootDir?: string; dataset?: DatasetInfo; checkpointExt?: string } = {}) {
  return resolveOptions(parseArgv(args.split(' ')), { rootDir: ROOT, ...env });
}

function errorOptions(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OptionError);
    return e.problems.map((p) => p.option);
  }
  assert.fail('expected an OptionError');
}

test('resolve: the published training command', () => {
  const r = resolveArgs(TRAIN);
  assert.deepEqual(r.heads, { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2, dep_sec: 1, rot_sec: 8, nuscenes_att: 8, velocity: 3 });
  assert.deepEqual(Object.keys(r.heads), ['hm', 'reg', 'wh', 'dep', 'rot', 'dim', 'amodel_offset', 'dep_sec', 'rot_sec', 'nuscenes_att', 'velocity']);
  const one = [256];
  const three = [256, 256, 256];
  assert.deepEqual(r.head_conv, {
    hm: one, reg: one, wh: one, dep: one, rot: one, dim: one, amodel_offset: one,
    dep_sec: three, rot_sec: three, nuscenes_att: three, velocity: three,
  });
  assert.deepEqual(r.weights, { hm: 1, reg: 1, wh: 0.1, dep: 1, rot: 1, dim: 1, amodel_offset: 1, dep_sec: 1, rot_sec: 1, nuscenes_att: 1, velocity: 1 });
  assert.deepEqual(r.chunk_sizes, [16, 16]);
  assert.equal(r.master_batch_size, 16);
  assert.deepEqual(r.gpus, [0, 1]);
  assert.equal(r.gpus_str, '0,1');
  assert.equal(r.num_workers, 4);
  assert.equal(r.num_classes, 10);
  assert.deepEqual([r.input_h, r.input_w, r.input_res], [448, 800, 800]);
  assert.deepEqual([r.output_h, r.output_w, r.output_res], [112, 200, 200]);
  assert.deepEqual(r.pillar_dims, [1.5, 0.2, 0.2], 'the command line value 1.0,0.2,0.2 is overwritten');
  assert.deepEqual(r.lr_step, [50]);
  assert.deepEqual(r.save_point, [20, 40, 50]);
  assert.deepEqual(r.test_scales, [1]);
  assert.deepEqual(r.save_imgs, []);
  assert.deepEqual(r.ignore_loaded_cats, []);
  assert.equal(r.test_dataset, 'nuscenes');
  assert.equal(r.root_dir, ROOT);
  assert.equal(r.data_dir, `${ROOT}/data`);
  assert.equal(r.exp_dir, `${ROOT}/exp/ddd`);
  assert.equal(r.save_dir, `${ROOT}/exp/ddd/centerfusion`);
  assert.equal(r.debug_dir, `${ROOT}/exp/ddd/centerfusion/debug`);
  assert.equal(r.load_model, '../models/centernet_baseline_e170.pth');
  assert.equal(r.lr, 2.5e-4);
  // --pointcloud fixed values
  assert.deepEqual(r.secondary_heads, ['velocity', 'nuscenes_att', 'dep_sec', 'rot_sec']);
  assert.equal(r.pc_roi_method, 'pillars');
  assert.deepEqual(r.pc_feat_lvl, ['pc_dep', 'pc_vx', 'pc_vz']);
  assert.deepEqual(r.pc_feat_channels, { pc_dep: 0, pc_vx: 1, pc_vz: 2 });
  assert.equal(r.frustumExpansionRatio, 0);
  assert.equal(r.sigmoid_dep_sec, true);
  assert.equal(r.normalize_depth, true);
  assert.equal(r.sort_det_by_dist, false);
  assert.deepEqual(r.hm_dist_thresh, { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1, 7: 1, 8: 0, 9: 0 });
  assert.deepEqual(r.custom_head_convs, { dep_sec: 3, rot_sec: 3, velocity: 3, nuscenes_att: 3 });
  assert.equal(r.pc_atts.length, 18);
  // parse() extras
  assert.equal(r.fix_res, true);
  assert.equal(r.pad, 31);
  assert.equal(r.num_stacks, 1);
  assert.equal(r.pre_img, false);
  assert.equal(r.tracking, false);
  // every raw option is there
  for (const spec of OPTION_SPECS) assert.ok(spec.dest in r, spec.dest);
  // The resolved object is plain JSON-safe data.
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('resolve: without --pointcloud the fixed values keep their plain defaults', () => {
  const r = resolveArgs('ddd --pillar_dims 2,0.5,0.25');
  assert.deepEqual(r.pillar_dims, [2, 0.5, 0.25]);
  assert.equal(r.hm_dist_thresh, null);
  assert.deepEqual(r.secondary_heads, []);
  assert.deepEqual(r.custom_head_convs, {});
  assert.equal(r.sigmoid_dep_sec, false);
  assert.equal('pc_roi_method' in r, false);
  assert.equal('pc_feat_lvl' in r, false);
  assert.deepEqual(r.heads, { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2 });
  assert.deepEqual(r.gpus, [0]);
  assert.deepEqual(r.chunk_sizes, [32]);
  assert.equal(r.num_workers, 4);
});

test('resolve: chunk sizes, gpus renumbering and CPU', () => {
  assert.deepEqual(chunkSizes(32, 3, 10), [10, 11, 11]);
  assert.deepEqual(chunkSizes(32, 3), [10, 11, 11]);
  assert.deepEqual(chunkSizes(33, 4, 3), [3, 10, 10, 10]);
  assert.deepEqual(chunkSizes(32, 4, 5), [5, 9, 9, 9]);
  assert.deepEqual(chunkSizes(31, 4, 4), [4, 9, 9, 9]);
  assert.deepEqual(chunkSizes(30, 4, 4), [4, 9, 9, 8]);
  let r = resolveArgs('ddd --batch_size 32 --gpus 0,1,2 --master_batch_size 10');
  assert.deepEqual(r.chunk_sizes, [10, 11, 11]);
  assert.equal(r.num_workers, 6, 'max(4, 2 * 3 GPUs)');
  r = resolveArgs('ddd --gpus -1');
  assert.deepEqual(r.gpus, [-1]);
  assert.equal(r.gpus_str, '-1');
  assert.deepEqual(r.chunk_sizes, [32]);
  r = resolveArgs('ddd --gpus 2,3');
  assert.deepEqual(r.gpus, [0, 1]);
  assert.equal(r.gpus_str, '2,3');
  assert.deepEqual(r.chunk_sizes, [16, 16]);
  assert.deepEqual(resolveArgs('ddd --gpus -1,4').gpus, [-1]);
  assert.deepEqual(errorOptions(() => resolveArgs('ddd --batch_size 8 --master_batch_size 9 --gpus 0,1')), ['master_batch_size']);
});

test('resolve: resume with an empty load_model, and the checkpoint extension', () => {
  assert.equal(resolveArgs('ddd --exp_id run1 --resume').load_model, `${ROOT}/exp/ddd/run1/model_last.pth`);
  assert.equal(resolveArgs('ddd --exp_id run1 --resume', { checkpointExt: '.ckpt' }).load_model, `${ROOT}/exp/ddd/run1/model_last.ckpt`);
  assert.equal(resolveArgs('ddd --resume --load_model a.pth').load_model, 'a.pth');
  assert.equal(resolveArgs('ddd').load_model, '');
});

test('resolve: heads with a loss weight of 0 are removed, their weights stay', () => {
  const r = resolveArgs('ddd --velocity --nuscenes_att --velocity_weight 0 --dim_weight 0 --wh_weight 0');
  assert.deepEqual(Object.keys(r.heads), ['hm', 'reg', 'dep', 'rot', 'amodel_offset', 'nuscenes_att']);
  assert.equal(r.weights.velocity, 0);
  assert.equal(r.weights.dim, 0);
  assert.equal(r.weights.wh, 0);
  assert.equal('velocity' in r.head_conv, false);
  // dep_weight 0 drops dep and dep_sec, but --pointcloud re-adds dep_sec's head_conv entry as CenterFusion does.
  const pc = resolveArgs('ddd --pointcloud --dep_weight 0');
  assert.equal('dep' in pc.heads, false);
  assert.equal('dep_sec' in pc.heads, false);
  assert.deepEqual(pc.head_conv.dep_sec, [256, 256, 256]);
  assert.deepEqual(pc.head_conv.velocity, [256, 256, 256]);
});

test('resolve: head_conv defaults by architecture and num_head_conv', () => {
  let r = resolveArgs('ddd --arch res_18 --num_head_conv 2');
  assert.deepEqual(r.head_conv.hm, [64, 64]);
  assert.deepEqual(r.head_conv.reg, [64], 'reg always has one layer');
  r = resolveArgs('ddd --arch dlav0_34 --head_conv 128');
  assert.deepEqual(r.head_conv.wh, [128]);
  r = resolveArgs('ctdet --arch hourglass');
  assert.equal(r.pad, 127);
  assert.equal(r.num_stacks, 2);
  assert.deepEqual(r.head_conv.hm, [64]);
  assert.deepEqual(r.heads, { hm: 10, reg: 2, wh: 2 });
});

test('resolve: input size precedence and output size', () => {
  let r = resolveArgs('ddd --input_res 512');
  assert.deepEqual([r.input_h, r.input_w, r.output_h, r.output_w, r.input_res, r.output_res], [512, 512, 128, 128, 512, 128]);
  r = resolveArgs('ddd --input_res 512 --input_h 384');
  assert.deepEqual([r.input_h, r.input_w, r.input_res], [384, 512, 512]);
  r = resolveArgs('ddd --input_w 802 --down_ratio 4');
  assert.deepEqual([r.input_h, r.input_w, r.output_h, r.output_w], [448, 802, 112, 200]);
  r = resolveArgs('ddd --num_classes 3');
  assert.equal(r.heads.hm, 3);
  r = resolveArgs('ddd --dataset synthetic');
  assert.deepEqual([r.input_h, r.input_w, r.output_h, r.output_w], [64, 112, 16, 28]);
  const custom: DatasetInfo = { name: 'mine', num_classes: 3, default_resolution: [96, 160], class_name: ['a', 'b', 'c'] };
  r = resolveArgs('ddd --dataset mine', { dataset: custom });
  assert.equal(r.heads.hm, 3);
  assert.equal(r.input_w, 160);
  assert.equal(r.dataset, 'mine');
});

test('resolve: tracking, debug and test_dataset', () => {
  let r = resolveArgs('tracking,ddd --track_thresh 0.4 --out_thresh 0.1 --pre_thresh 0.5');
  assert.equal(r.tracking, true);
  assert.equal(r.out_thresh, 0.4);
  assert.equal(r.pre_thresh, 0.5);
  assert.equal(r.new_thresh, 0.4);
  assert.equal(r.pre_img, true);
  assert.equal(r.show_track_color, true);
  assert.equal(r.heads.tracking, 2);
  assert.deepEqual(Object.keys(r.heads).slice(0, 5), ['hm', 'reg', 'wh', 'tracking', 'dep']);
  assert.equal(r.exp_dir, `${ROOT}/exp/tracking,ddd`);
  r = resolveArgs('tracking --no_pre_img');
  assert.equal(r.pre_img, false);
  assert.equal(r.show_track_color, false);

  r = resolveArgs('ddd --debug 2 --gpus 3,4 --batch_size 16 --num_workers 8');
  assert.equal(r.num_workers, 0);
  assert.equal(r.batch_size, 1);
  assert.deepEqual(r.gpus, [0]);
  assert.equal(r.master_batch_size, -1);
  assert.deepEqual(r.chunk_sizes, [8, 8], 'computed before debug mode, as in CenterFusion');

  assert.equal(resolveArgs('ddd --test_dataset synthetic').test_dataset, 'synthetic');
  assert.equal(resolveArgs('ddd --keep_res').fix_res, false);
});

test('resolve: impossible combinations throw OptionError', () => {
  assert.deepEqual(errorOptions(() => resolveArgs('ddd --dataset coco')), ['dataset']);
  assert.deepEqual(errorOptions(() => resolveArgs('multi_pose')), ['task']);
  const withJoints: DatasetInfo = { name: 'hp', num_classes: 1, default_resolution: [512, 512], class_name: ['person'], num_joints: 17 };
  const hp = resolveArgs('multi_pose', { dataset: withJoints });
  assert.deepEqual(hp.heads, { hm: 1, reg: 2, wh: 2, hps: 34, hm_hp: 17, hp_offset: 2 });
  assert.deepEqual(errorOptions(() => resolveArgs('ddd --down_ratio 0')), ['down_ratio']);
  assert.deepEqual(errorOptions(() => resolveArgs('ddd --exp_id=../../etc')), ['exp_id']);
  const raw: RawOptions = { ...defaultRawOptions('ddd'), lr: 'fast', bogus: 1 };
  assert.deepEqual(errorOptions(() => resolveOptions(raw, { rootDir: ROOT })).sort(), ['bogus', 'lr']);
  // Missing options count as their defaults.
  assert.equal(resolveOptions({ task: 'ddd' }, { rootDir: ROOT }).num_epochs, 70);
});

test('posixJoin', () => {
  assert.equal(posixJoin('/a/b', 'exp', 'ddd'), '/a/b/exp/ddd');
  assert.equal(posixJoin('/a/b/', './exp//', 'x'), '/a/b/exp/x');
  assert.equal(posixJoin('a', '..', 'b'), 'b');
  assert.equal(posixJoin('..', 'a'), '../a');
  assert.equal(posixJoin('/', '..', 'a'), '/a');
  assert.equal(posixJoin('', ''), '.');
  assert.equal(posixJoin('C:/work', 'exp'), 'C:/work/exp');
});
