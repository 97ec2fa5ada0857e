import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OPTION_SPECS,
  OptionError,
  defaultRawOptions,
  parseArgv,
  toArgv,
  type OptionProblem,
  type OptionValue,
  type RawOptions,
} from '../../src/shared/options';
import { mulberry32 } from '../../src/shared/random';

const PUBLISHED_TRAIN =
  'ddd --exp_id centerfusion --shuffle_train --train_split train --val_split mini_val --val_intervals 1 ' +
  '--run_dataset_eval --nuscenes_att --velocity --batch_size 32 --lr 2.5e-4 --num_epochs 60 --lr_step 50 ' +
  '--save_point 20,40,50 --gpus 0,1 --not_rand_crop --flip 0.5 --shift 0.1 --pointcloud --radar_sweeps 3 ' +
  '--pc_z_offset 0.0 --pillar_dims 1.0,0.2,0.2 --max_pc_dist 60.0 --load_model ../models/centernet_baseline_e170.pth';

/** The problems of the OptionError that `fn` throws. */
function problemsOf(fn: () => unknown): OptionProblem[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OptionError, `expected OptionError, got ${String(e)}`);
    assert.equal(e.name, 'OptionError');
    assert.equal(e.message.split('\n').length, e.problems.length);
    return e.problems;
  }
  assert.fail('expected an OptionError');
}

test('parseArgv: the published training command', () => {
  const raw = parseArgv(PUBLISHED_TRAIN.split(' '));
  assert.equal(Object.keys(raw).length, 146);
  const expected = {
    ...defaultRawOptions('ddd'),
    exp_id: 'centerfusion', shuffle_train: true, train_split: 'train', val_split: 'mini_val',
    val_intervals: 1, run_dataset_eval: true, nuscenes_att: true, velocity: true, batch_size: 32,
    lr: 2.5e-4, num_epochs: 60, lr_step: '50', save_point: '20,40,50', gpus: '0,1',
    not_rand_crop: true, flip: 0.5, shift: 0.1, pointcloud: true, radar_sweeps: 3, pc_z_offset: 0,
    pillar_dims: '1.0,0.2,0.2', max_pc_dist: 60, load_model: '../models/centernet_baseline_e170.pth',
  };
  assert.deepEqual(raw, expected);
  // Round trip through the minimal command line.
  const argv = toArgv(raw);
  assert.equal(argv[0], 'ddd');
  assert.ok(!argv.includes('--flip'), 'flip 0.5 is the default');
  assert.ok(!argv.includes('--pc_z_offset'), '0.0 is the default');
  assert.deepEqual(parseArgv(argv), raw);
});

test('parseArgv: the published test command, negative zero and negative values', () => {
  const raw = parseArgv(
    ('ddd --exp_id centerfusion --dataset nuscenes --val_split mini_val --run_dataset_eval --num_workers 4 ' +
      '--nuscenes_att --velocity --gpus 0 --pointcloud --radar_sweeps 3 --max_pc_dist 60.0 --pc_z_offset -0.0 ' +
      '--load_model ../models/centerfusion_e60.pth --flip_test').split(' '),
  );
  assert.ok(Object.is(raw.pc_z_offset, -0));
  assert.equal(raw.flip_test, true);
  assert.deepEqual(parseArgv(toArgv(raw)), raw);
  assert.ok(toArgv(raw).includes('-0'), '-0 differs from the default 0 and survives');

  const neg = parseArgv(['--gpus', '-1', 'ddd', '--prior_bias', '-2.19', '--skip_first', '-5', '--lr', '.5', '--shift', '-.25', '--r_a', '1e-4']);
  assert.equal(neg.task, 'ddd');
  assert.equal(neg.gpus, '-1');
  assert.equal(neg.prior_bias, -2.19);
  assert.equal(neg.skip_first, -5);
  assert.equal(neg.lr, 0.5);
  assert.equal(neg.shift, -0.25);
  assert.equal(neg.r_a, 1e-4);
});

test('parseArgv: --opt=value, repeated options, "--" and whitespace like Python', () => {
  const raw = parseArgv(['--lr=1e-3', 'tracking,ddd', '--lr', '2e-3', '--gpus=0,1', '--exp_id=a=b', '--num_epochs', ' 12 ', '--exp_id', 'x y']);
  assert.equal(raw.task, 'tracking,ddd');
  assert.equal(raw.lr, 2e-3, 'the last repetition wins');
  assert.equal(raw.gpus, '0,1');
  assert.equal(raw.exp_id, 'x y');
  assert.equal(raw.num_epochs, 12);
  const dashed = parseArgv(['--exp_id=-weird', '--', '-task-']);
  assert.equal(dashed.exp_id, '-weird');
  assert.equal(dashed.task, '-task-');
  assert.equal(parseArgv(['ddd', '--exp_id', '']).exp_id, '');
  assert.equal(parseArgv(['ddd', '--exp_id', '-']).exp_id, '-');
});

test('parseArgv errors: unknown option with a suggestion, abbreviations refused', () => {
  let problems = problemsOf(() => parseArgv(['ddd', '--num_epoch', '5']));
  assert.equal(problems.length, 1, 'the value of the misspelt option is not also an extra positional');
  assert.equal(problems[0].option, '--num_epoch');
  assert.match(problems[0].message, /abbreviations are not accepted/);
  assert.match(problems[0].message, /did you mean --num_epochs\?/);

  problems = problemsOf(() => parseArgv(['ddd', '--batchsize', '8']));
  assert.match(problems[0].message, /did you mean --batch_size\?/);
  problems = problemsOf(() => parseArgv(['ddd', '-lr', '0.1']));
  assert.match(problems[0].message, /did you mean --lr\?/);
  problems = problemsOf(() => parseArgv(['ddd', '--save']));
  assert.match(problems[0].message, /one of --save_all, .*--save_point/);
  problems = problemsOf(() => parseArgv(['ddd', '--zzzzzzzzzz']));
  assert.equal(problems[0].message, 'unknown option');
});

test('parseArgv errors: bad int, bad float, bad choice, missing value, missing task, all at once', () => {
  const problems = problemsOf(() =>
    parseArgv(['--K', '1.5', '--num_epochs', 'abc', '--lr', 'fast', '--val_split', 'train', '--seed', '1e3', '--gpus']),
  );
  const byOption = new Map(problems.map((p) => [p.option, p.message]));
  assert.match(byOption.get('--K') ?? '', /expected an integer, got "1\.5"/);
  assert.match(byOption.get('--num_epochs') ?? '', /expected an integer, got "abc"/);
  assert.match(byOption.get('--seed') ?? '', /expected an integer/);
  assert.match(byOption.get('--lr') ?? '', /expected a number, got "fast"/);
  assert.match(byOption.get('--val_split') ?? '', /invalid choice "train" \(choose from val, mini_val, test\)/);
  assert.match(byOption.get('--gpus') ?? '', /expected a value/);
  assert.match(byOption.get('task') ?? '', /missing the task/);
  assert.equal(problems.length, 7);
  assert.ok(problems.every((p) => p.severity === 'error'));
});

test('parseArgv errors: flags with values, values that look like options, NaN, lists, extras', () => {
  let problems = problemsOf(() => parseArgv(['ddd', '--eval=yes']));
  assert.match(problems[0].message, /flag and takes no value/);
  problems = problemsOf(() => parseArgv(['ddd', '--exp_id', '--eval']));
  assert.equal(problems[0].option, '--exp_id');
  assert.match(problems[0].message, /expected a value/);
  problems = problemsOf(() => parseArgv(['ddd', '--load_model', '-model.pth']));
  assert.match(problems[0].message, /--load_model=-model\.pth/);
  problems = problemsOf(() => parseArgv(['ddd', '--lr', 'nan']));
  assert.match(problems[0].message, /finite number.*NaN and infinity are not accepted/);
  problems = problemsOf(() => parseArgv(['ddd', '--max_pc_dist=inf']));
  assert.match(problems[0].message, /finite/);
  problems = problemsOf(() => parseArgv(['ddd', '--lr_step', '20,x']));
  assert.equal(problems[0].message, 'expected comma-separated integers like "50" or "20,40", got "20,x"');
  problems = problemsOf(() => parseArgv(['ddd', '--gpus', '']));
  assert.match(problems[0].message, /GPU ids/);
  problems = problemsOf(() => parseArgv(['ddd', 'ctdet']));
  assert.equal(problems[0].option, 'ctdet');
  assert.match(problems[0].message, /unexpected extra positional/);
  problems = problemsOf(() => parseArgv(['ddd', '--num_epochs', '99999999999999999999']));
  assert.match(problems[0].message, /too large/);
  // Empty lists are fine where CenterFusion maps '' to [].
  assert.equal(parseArgv(['ddd', '--ignore_loaded_cats', '']).ignore_loaded_cats, '');
});

test('toArgv: defaults omitted, includeDefaults, flags bare, validation', () => {
  assert.deepEqual(toArgv({ task: 'ddd' }), ['ddd']);
  assert.deepEqual(toArgv({ task: 'ddd', lr: 0.000125, eval: false }), ['ddd']);
  assert.deepEqual(toArgv({ task: 'ddd', eval: true, lr: 1e-7, exp_id: '-x', gpus: '-1' }), [
    'ddd', '--exp_id=-x', '--eval', '--gpus', '-1', '--lr', '1e-7',
  ]);
  assert.deepEqual(parseArgv(['ddd', '--lr', '1e-7']).lr, 1e-7);
  const all = toArgv({ task: 'ddd' }, { includeDefaults: true });
  const valueOptions = OPTION_SPECS.filter((s) => !s.positional && s.type !== 'flag').length;
  assert.equal(all.length, 1 + 2 * valueOptions, 'every non-flag option as --name value; false flags cannot be written');
  assert.deepEqual(parseArgv(all), defaultRawOptions('ddd'));
  assert.deepEqual(toArgv({ task: '-odd' }), ['--', '-odd']);

  const problems = problemsOf(() => toArgv({ task: 'ddd', num_epoch: 3, lr: '1e-4', K: 1.5, val_split: 'nope' } as RawOptions));
  assert.deepEqual(problems.map((p) => p.option).sort(), ['K', 'lr', 'num_epoch', 'val_split']);
  assert.match(problems.find((p) => p.option === 'num_epoch')?.message ?? '', /did you mean num_epochs/);
});

// ---- property: parseArgv(toArgv(x)) deep-equals x for valid option sets


function randomDouble(rnd: () => number): number {
  const pick = rnd();
  if (pick < 0.1) return [0, -0, 1, -1, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, -4.6, 0.000125][Math.floor(rnd() * 10)];
  if (pick < 0.4) return Math.round((rnd() - 0.5) * 2000) / 100;
  if (pick < 0.7) return (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
  // Arbitrary bit patterns cover every exponent and the subnormals.
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    view.setUint32(0, Math.floor(rnd() * 2 ** 32));
    view.setUint32(4, Math.floor(rnd() * 2 ** 32));
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

function randomInt(rnd: () => number): number {
  const pick = rnd();
  if (pick < 0.5) return Math.floor(rnd() * 200) - 10;
  if (pick < 0.8) return Math.floor((rnd() - 0.5) * 2e6);
  return Math.floor((rnd() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
}

const STRING_PIECES = ['a', 'Z', '0', '-', '--', '=', ',', ' ', '.', '/', '..', 'é', '雷达', '\t', '-1', '--lr', 'x=y', '"', "'"];

function randomString(rnd: () => number): string {
  const n = Math.floor(rnd() * 5);
  let s = '';
  for (let i = 0; i < n; i++) s += STRING_PIECES[Math.floor(rnd() * STRING_PIECES.length)];
  return s;
}

function randomRaw(rnd: () => number): RawOptions {
  const tasks = ['ddd', 'ctdet', 'tracking,ddd', 'multi_pose', 'tracking', '', 'x y', '-weird', '--'];
  const raw: Record<string, OptionValue> = defaultRawOptions(tasks[Math.floor(rnd() * tasks.length)]);
  const changeRate = rnd() * 0.6;
  for (const spec of OPTION_SPECS) {
    if (spec.positional || rnd() > changeRate) continue;
    let value: OptionValue;
    if (spec.type === 'flag') value = rnd() < 0.5;
    else if (spec.type === 'int') value = randomInt(rnd);
    else if (spec.type === 'float') value = randomDouble(rnd);
    else if (spec.choices) value = spec.choices[Math.floor(rnd() * spec.choices.length)];
    else if (spec.list === 'int' || spec.list === 'float') {
      if (spec.allowEmptyList && rnd() < 0.2) value = '';
      else {
        const n = 1 + Math.floor(rnd() * 4);
        const items: string[] = [];
        for (let i = 0; i < n; i++) {
          const text = spec.list === 'int' ? String(randomInt(rnd)) : String(randomDouble(rnd));
          items.push(rnd() < 0.1 ? ` ${text} ` : text);
        }
        value = items.join(',');
      }
    } else value = randomString(rnd);
    raw[spec.dest] = value;
  }
  return raw as RawOptions;
}

test('round trip: parseArgv(toArgv(x)) deep-equals x for 500 seeded random option sets', () => {
  const rnd = mulberry32(20240317);
  for (let i = 0; i < 500; i++) {
    const raw = randomRaw(rnd);
    const argv = toArgv(raw);
    let back: RawOptions;
    try {
      back = parseArgv(argv);
    } catch (e) {
      assert.fail(`case ${i}: ${JSON.stringify(argv)} failed: ${(e as Error).message}`);
    }
    assert.deepStrictEqual(back, raw, `case ${i}: ${JSON.stringify(argv)}`);
    if (i % 5 === 0) assert.deepStrictEqual(parseArgv(toArgv(raw, { includeDefaults: true })), raw, `case ${i} (all)`);
  }
});
