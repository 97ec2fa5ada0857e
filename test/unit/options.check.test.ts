import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkOptions,
  defaultRawOptions,
  folderNameProblem,
  hasErrors,
  parseArgv,
  type OptionProblem,
  type OptionValue,
  type RawOptions,
} from '../../src/shared/options';

function check(overrides: Record<string, OptionValue>, task = 'ddd'): OptionProblem[] {
  return checkOptions({ ...defaultRawOptions(task), save_point: '50', ...overrides } as RawOptions);
}

function only(problems: OptionProblem[], option: string): OptionProblem[] {
  return problems.filter((p) => p.option === option);
}

test('checkOptions: the published command only warns about pillar_dims', () => {
  const raw = parseArgv(
    ('ddd --exp_id centerfusion --shuffle_train --train_split train --val_split mini_val --val_intervals 1 ' +
      '--run_dataset_eval --nuscenes_att --velocity --batch_size 32 --lr 2.5e-4 --num_epochs 60 --lr_step 50 ' +
      '--save_point 20,40,50 --gpus 0,1 --not_rand_crop --flip 0.5 --shift 0.1 --pointcloud --radar_sweeps 3 ' +
      '--pc_z_offset 0.0 --pillar_dims 1.0,0.2,0.2 --max_pc_dist 60.0 --load_model ../models/centernet_baseline_e170.pth').split(' '),
  );
  const problems = checkOptions(raw);
  assert.deepEqual(problems.map((p) => [p.option, p.severity]), [['pillar_dims', 'warning']]);
  assert.match(problems[0].message, /no effect with --pointcloud/);
  assert.deepEqual(check({}), []);
});

test('checkOptions: exp_id must be a plain folder name (always an error)', () => {
  for (const bad of ['../x', 'a/b', '--rm', '', '..', '.', 'a\\b', 'x\ny', 'tab\there', 'C:evil', 'a..b', 'trailing.']) {
    const found = only(check({ exp_id: bad }), 'exp_id');
    assert.equal(found.length, 1, `exp_id ${JSON.stringify(bad)} must be refused`);
    assert.equal(found[0].severity, 'error');
  }
  for (const good of ['default', 'centerfusion', 'run-2024_01', 'v1.5', 'exp 3', 'ÜberLauf']) {
    assert.equal(folderNameProblem(good), undefined, good);
    assert.deepEqual(only(check({ exp_id: good }), 'exp_id'), [], good);
  }
  assert.match(folderNameProblem('../x') ?? '', /'\/'/);
  assert.match(folderNameProblem('--rm') ?? '', /start with '-'/);
  assert.match(folderNameProblem('') ?? '', /empty/);
});

test('checkOptions: lr_step and save_point outside 1..num_epochs are warnings', () => {
  let problems = check({ num_epochs: 60, lr_step: '50,70', save_point: '0,20,90' });
  const step = only(problems, 'lr_step');
  assert.equal(step.length, 1);
  assert.equal(step[0].severity, 'warning');
  assert.match(step[0].message, /70 outside 1\.\.60/);
  const save = only(problems, 'save_point');
  assert.equal(save[0].severity, 'warning');
  assert.match(save[0].message, /0, 90 outside 1\.\.60/);
  assert.equal(hasErrors(problems), false);
  problems = check({ lr_step: '40,20' });
  assert.match(only(problems, 'lr_step')[0].message, /increasing order/);
});

test('checkOptions: val_intervals against num_epochs, and --eval', () => {
  let problems = check({ num_epochs: 10, val_intervals: 10 });
  const [crash] = only(problems, 'val_intervals');
  assert.equal(crash.severity, 'error');
  assert.match(crash.message, /crashes at the last epoch/);
  assert.deepEqual(only(check({ num_epochs: 10, val_intervals: 10, eval: true }), 'val_intervals'), []);
  problems = check({ num_epochs: 10, val_intervals: 11, run_dataset_eval: true });
  assert.equal(only(problems, 'val_intervals')[0].severity, 'warning');
  assert.match(only(problems, 'val_intervals')[0].message, /no validation and no dataset evaluation/);
  assert.equal(only(check({ val_intervals: 0, run_dataset_eval: true }), 'val_intervals')[0].severity, 'warning');
  assert.deepEqual(only(check({ num_epochs: 10, val_intervals: 9 }), 'val_intervals'), []);
});

test('checkOptions: positive num_epochs, batch_size and lr, bounds', () => {
  const problems = check({ num_epochs: 0, batch_size: 0, lr: 0, flip: 1.5, debug: -1 });
  for (const option of ['num_epochs', 'batch_size', 'lr', 'flip', 'debug']) {
    const found = only(problems, option);
    assert.equal(found.length, 1, option);
    assert.equal(found[0].severity, 'error', option);
  }
  assert.match(only(check({ lr: -1e-4 }), 'lr')[0].message, /greater than 0/);
});

test('checkOptions: kinds, unknown keys, task, optimizer, gpus and batch split', () => {
  let problems = checkOptions({ ...defaultRawOptions('ddd'), lr: 'x', lr_step: '1,,2', bogus: true } as RawOptions);
  assert.match(only(problems, 'lr')[0].message, /expected a number/);
  assert.match(only(problems, 'lr_step')[0].message, /comma-separated integers/);
  assert.match(only(problems, 'bogus')[0].message, /unknown option/);
  assert.ok(problems.every((p) => p.severity === 'error' || p.option === 'save_point'));

  assert.match(only(check({}, 'dd'), 'task')[0].message, /unknown task "dd"/);
  assert.match(only(check({}, ''), 'task')[0].message, /missing the task/);
  assert.deepEqual(only(check({}, 'tracking,ddd'), 'task'), []);
  assert.equal(only(check({ optim: 'adamw' }), 'optim')[0].severity, 'error');
  assert.equal(only(check({ gpus: '0,-1' }), 'gpus')[0].severity, 'error');
  assert.equal(only(check({ gpus: '0,0' }), 'gpus')[0].severity, 'warning');
  assert.equal(only(check({ master_batch_size: 40, gpus: '0,1' }), 'master_batch_size')[0].severity, 'error');
  assert.deepEqual(only(check({ master_batch_size: 40 }), 'master_batch_size'), [], 'one GPU takes the whole batch');
  assert.equal(only(check({ batch_size: 2, gpus: '0,1,2,3' }), 'batch_size')[0].severity, 'warning');
  assert.equal(only(check({ input_h: 450 }), 'input_h')[0].severity, 'warning');
  assert.equal(only(check({ down_ratio: 2 }), 'down_ratio')[0].severity, 'warning');
  assert.equal(only(check({ dataset: 'kitti' }), 'dataset')[0].severity, 'warning');
  assert.equal(only(check({ test_scales: '0' }), 'test_scales')[0].severity, 'error');
  assert.match(only(check({ test_scales: '0.75,1' }), 'test_scales')[0].message, /single test scale/);
  assert.equal(only(check({ debug: 1 }), 'debug')[0].severity, 'warning');
  // Missing options count as defaults and nothing throws.
  assert.deepEqual(checkOptions({ task: 'ddd', save_point: '10' }), []);
});
