// "New Config from Script": experiments/train.sh style scripts into configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionsFromConfig } from '../../src/shared/options';
import { importScript, splitCommands } from '../../src/shared/scriptImport';

const TRAIN_SH = `#!/bin/bash
# CenterFusion's published training command
export CUDA_VISIBLE_DEVICES=0,1
cd src
## Train
python main.py \\
    ddd \\
    --exp_id centerfusion \\
    --shuffle_train \\
    --train_split train \\
    --val_split mini_val \\
    --val_intervals 1 \\
    --run_dataset_eval \\
    --nuscenes_att \\
    --velocity \\
    --batch_size 32 \\
    --lr 2.5e-4 \\
    --num_epochs 60 \\
    --lr_step 50 \\
    --save_point 20,40,50 \\
    --gpus $CUDA_VISIBLE_DEVICES \\
    --not_rand_crop \\
    --flip 0.5 \\
    --shift 0.1 \\
    --pointcloud \\
    --radar_sweeps 3 \\
    --pc_z_offset 0.0 \\
    --pillar_dims 1.0,0.2,0.2 \\
    --max_pc_dist 60.0 \\
    --load_model ../models/centernet_baseline_e170.pth \\
    # --freeze_backbone \\
`;

test('the published train.sh becomes a config', () => {
  const r = importScript(TRAIN_SH);
  assert.equal(r.script, 'main.py');
  assert.equal(r.cwd, 'src');
  assert.deepEqual(r.env, { CUDA_VISIBLE_DEVICES: '0,1' });
  assert.equal(r.config.task, 'ddd');
  assert.equal(r.config.name, 'centerfusion');
  const o = r.config.options;
  assert.equal(o.exp_id, 'centerfusion');
  assert.equal(o.gpus, '0,1');
  assert.equal(o.lr, 2.5e-4);
  assert.equal(o.num_epochs, 60);
  assert.equal(o.save_point, '20,40,50');
  assert.equal(o.pointcloud, true);
  assert.equal(o.load_model, '../models/centernet_baseline_e170.pth');
  assert.equal(o.batch_size, undefined, 'defaults are left out (32 is the default)');
  assert.deepEqual(r.unknownOptions, []);
  assert.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);
  // The config is valid for the option module.
  assert.equal(optionsFromConfig(o, r.config.task).num_epochs, 60);
});

test('unknown options are reported with a suggestion and left out, values too', () => {
  const r = importScript('python3 -u main.py ddd --num_epoch 5 --bogus x --exp_id a');
  assert.deepEqual(r.unknownOptions, ['--num_epoch', '--bogus']);
  assert.ok(r.problems.some((p) => /num_epochs/.test(p.message)));
  assert.deepEqual(r.config.options, { exp_id: 'a' });
});

test('quotes, semicolons, && and ${VAR}; a bad value is dropped with its message', () => {
  const r = importScript("EXP=my_run; cd /x && python main.py ddd --exp_id \"${EXP}\" --lr 'abc' --batch_size 8 # comment");
  assert.equal(r.cwd, '/x');
  assert.equal(r.config.options.exp_id, 'my_run');
  assert.equal(r.config.options.batch_size, 8);
  assert.equal(r.config.options.lr, undefined);
  assert.ok(r.problems.some((p) => p.severity === 'error' && /--lr/.test(p.message)));
});

test('scripts without a python command, and the word splitter', () => {
  assert.throws(() => importScript('echo hi\ncd src\n'), /no `python main.py/);
  const { commands } = splitCommands("a 'b c' d\\ e \\\n f; g");
  assert.deepEqual(commands.map((c) => c.words), [['a', 'b c', 'd e', 'f'], ['g']]);
  assert.equal(importScript('python test.py ddd --exp_id t\npython main.py ddd --exp_id m').script, 'main.py');
});
