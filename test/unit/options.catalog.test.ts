import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DATASET_INFO,
  OPTION_GROUPS,
  OPTION_SPECS,
  checkOptions,
  defaultRawOptions,
  getSpec,
  hasErrors,
  parseListText,
  valueProblem,
} from '../../src/shared/options';

test('catalog: 146 options, task first and positional, unique dests and flags', () => {
  assert.equal(OPTION_SPECS.length, 146);
  assert.equal(OPTION_SPECS[0].dest, 'task');
  assert.equal(OPTION_SPECS[0].flag, 'task');
  assert.equal(OPTION_SPECS[0].positional, true);
  assert.equal(OPTION_SPECS.filter((s) => s.positional).length, 1);
  assert.equal(new Set(OPTION_SPECS.map((s) => s.dest)).size, 146);
  assert.equal(new Set(OPTION_SPECS.map((s) => s.flag)).size, 146);
  for (const spec of OPTION_SPECS.slice(1)) assert.equal(spec.flag, `--${spec.dest}`);
  assert.equal(OPTION_SPECS[1].dest, 'dataset');
  assert.equal(OPTION_SPECS[145].dest, 'show_velocity');
});

test('catalog: groups are the twelve block comments, in order and contiguous', () => {
  assert.deepEqual([...OPTION_GROUPS], [
    'basic experiment setting', 'system', 'log', 'model', 'input', 'train', 'test', 'dataset',
    'tracking', 'loss', 'custom dataset', 'point clouds and nuScenes dataset (radar/custom)',
  ]);
  const seen: string[] = [];
  for (const spec of OPTION_SPECS) {
    if (seen[seen.length - 1] !== spec.group) seen.push(spec.group);
  }
  assert.deepEqual(seen, [...OPTION_GROUPS]);
});

test('catalog: defaults match the types, choices and list syntax', () => {
  for (const spec of OPTION_SPECS) {
    const kind = { flag: 'boolean', int: 'number', float: 'number', str: 'string' }[spec.type];
    assert.equal(typeof spec.default, kind, spec.dest);
    if (spec.type === 'flag') assert.equal(spec.default, false, spec.dest);
    if (spec.type === 'int') assert.ok(Number.isInteger(spec.default), spec.dest);
    assert.equal(valueProblem(spec, spec.default), undefined, spec.dest);
    if (spec.choices) assert.ok(spec.choices.includes(spec.default as string), spec.dest);
    if (spec.list) {
      assert.equal(spec.type, 'str', spec.dest);
      assert.ok(parseListText(spec, spec.default as string).ok, spec.dest);
    }
    if (spec.min !== undefined && spec.dest !== 'lr') assert.ok((spec.default as number) >= spec.min, spec.dest);
    if (spec.max !== undefined) assert.ok((spec.default as number) <= spec.max, spec.dest);
  }
  assert.deepEqual(
    OPTION_SPECS.filter((s) => s.list).map((s) => `${s.dest}:${s.list}`),
    ['gpus:int', 'save_imgs:str', 'lr_step:int', 'save_point:int', 'test_scales:float', 'ignore_loaded_cats:int', 'pillar_dims:float'],
  );
});

test('catalog: spot-checked defaults and choices', () => {
  const d = (dest: string) => getSpec(dest)?.default;
  assert.equal(d('lr'), 1.25e-4);
  assert.equal(d('num_epochs'), 70);
  assert.equal(d('batch_size'), 32);
  assert.equal(d('val_intervals'), 10);
  assert.equal(d('seed'), 317);
  assert.equal(d('arch'), 'dla_34');
  assert.equal(d('wh_weight'), 0.1);
  assert.equal(d('dataset'), 'nuscenes');
  assert.equal(d('exp_id'), 'default');
  assert.equal(d('head_conv'), -1);
  assert.equal(d('down_ratio'), 4);
  assert.equal(d('print_iter'), 0);
  assert.equal(d('optim'), 'adam');
  assert.equal(d('gpus'), '0');
  assert.equal(d('lr_step'), '60');
  assert.equal(d('save_point'), '90');
  assert.equal(d('pillar_dims'), '2,0.5,0.5');
  assert.equal(d('prior_bias'), -4.6);
  assert.equal(d('max_pc_dist'), 100);
  assert.deepEqual(getSpec('val_split')?.choices, ['val', 'mini_val', 'test']);
  assert.deepEqual(getSpec('debugger_theme')?.choices, ['white', 'black']);
  assert.equal(getSpec('train_split')?.choices?.length, 6);
  assert.equal(getSpec('num_epochs')?.min, 1);
  assert.equal(getSpec('batch_size')?.min, 1);
  assert.match(getSpec('pillar_dims')?.note ?? '', /1\.5,0\.2,0\.2/);
  assert.equal(getSpec('nope'), undefined);
});

test('catalog: every option has a real help text and the specs are frozen', () => {
  const helps = new Set<string>();
  for (const spec of OPTION_SPECS) {
    assert.ok(spec.help.length >= 20, `${spec.dest}: help too short`);
    assert.ok(spec.help.length <= 300, `${spec.dest}: help too long`);
    assert.match(spec.help, /[.)]$/, `${spec.dest}: help should be a sentence`);
    helps.add(spec.help);
    assert.ok(Object.isFrozen(spec), spec.dest);
  }
  assert.ok(helps.size >= 140, 'help texts should be specific to their option');
  assert.ok(Object.isFrozen(OPTION_SPECS));
});

test('catalog: defaults with a task have no errors (save_point 90 > 70 epochs is only a warning)', () => {
  const problems = checkOptions(defaultRawOptions('ddd'));
  assert.equal(hasErrors(problems), false, JSON.stringify(problems));
  assert.deepEqual(problems.map((p) => p.option), ['save_point']);
  const raw = defaultRawOptions();
  assert.equal(raw.task, '');
  assert.equal(Object.keys(raw).length, 146);
});

test('datasets: nuscenes and synthetic', () => {
  const classes = ['car', 'truck', 'bus', 'trailer', 'construction_vehicle', 'pedestrian', 'motorcycle', 'bicycle', 'traffic_cone', 'barrier'];
  assert.equal(DATASET_INFO.nuscenes.num_classes, 10);
  assert.deepEqual(DATASET_INFO.nuscenes.default_resolution, [448, 800]);
  assert.deepEqual([...DATASET_INFO.nuscenes.class_name], classes);
  assert.equal(DATASET_INFO.synthetic.num_classes, 10);
  assert.deepEqual(DATASET_INFO.synthetic.default_resolution, [64, 112]);
  assert.deepEqual([...DATASET_INFO.synthetic.class_name], classes);
});

test('the option module stays pure: no node:, vscode or DOM, and no ../shared', () => {
  const dir = join(__dirname, '..', '..', '..', 'src', 'shared', 'options');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5);
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const imports = [...text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    // Only its own files and the (equally pure) protocol types, e.g. the nuScenes class list.
    for (const spec of imports) assert.ok(spec.startsWith('./') || spec === '../protocol/types', `${file} imports ${spec}`);
    assert.doesNotMatch(text, /\b(?:document|window|process|Buffer|globalThis)\.[A-Za-z_]|__dirname|\brequire\(/, file);
    assert.doesNotMatch(text, /\.\.\/shared/, file);
  }
});

test('docs/options.md: the generated option table matches the catalog', () => {
  const root = join(__dirname, '..', '..', '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-options-doc.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const doc = readFileSync(join(root, 'docs', 'options.md'), 'utf8');
  for (const spec of OPTION_SPECS.slice(1)) assert.ok(doc.includes(`| \`${spec.flag}\` |`), spec.flag);
});
