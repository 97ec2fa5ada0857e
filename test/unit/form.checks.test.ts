// The options form's checks beyond single values: list editors item by item, the files the
// options need (load_model, the converted annotations of the chosen radar_sweeps), checked on
// disk by the host, the pillar_dims note with --pointcloud, and the checkFiles/files messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getSpec, optionsFromConfig } from '../../src/shared/options';
import { analyzeForm, fieldsFromOptions, isFormToHost, isHostToForm } from '../../src/shared/webview/optionsForm';
import { annotationsDir, joinListItems, listItems, listProblems, requiredFiles } from '../../src/shared/webview/optionsFormChecks';
import { missingFiles, runFolders } from '../../src/extension/optionsForm/formFiles';

const spec = (dest: string) => {
  const s = getSpec(dest);
  assert.ok(s, dest);
  return s;
};

test('list editor: items split and join back to the comma text CenterFusion reads', () => {
  assert.deepEqual(listItems(spec('lr_step'), '20,40'), ['20', '40']);
  assert.equal(joinListItems(['20', '40', '50']), '20,40,50');
  assert.deepEqual(listItems(spec('save_imgs'), ''), [], 'an option that allows an empty list has no item for ""');
  assert.deepEqual(listItems(spec('lr_step'), ''), [''], 'one empty item otherwise, which is invalid');
});

test('list editor: each item is validated on its own', () => {
  assert.deepEqual(listProblems(spec('lr_step'), '20,40'), []);
  assert.deepEqual(
    listProblems(spec('lr_step'), '20,x,0').map((p) => p.index),
    [1, 2],
  );
  assert.match(listProblems(spec('lr_step'), '20,x')[0].message, /"x" is not an integer/);
  assert.match(listProblems(spec('lr_step'), '20,0')[0].message, /epochs start at 1/);
  assert.match(listProblems(spec('gpus'), '0,-2')[0].message, /-1 for the CPU/);
  assert.deepEqual(listProblems(spec('gpus'), '-1'), []);
  assert.match(listProblems(spec('pillar_dims'), '2,0,0.5')[0].message, /more than 0/);
  assert.match(listProblems(spec('test_scales'), '1,')[0].message, /empty/);
  assert.deepEqual(listProblems(spec('ignore_loaded_cats'), ''), []);
});

const raw = (options: Record<string, unknown>) => optionsFromConfig(options, 'ddd');

test('required files: the annotations of the chosen radar_sweeps, per split the run loads', () => {
  assert.equal(annotationsDir(1), 'annotations');
  assert.equal(annotationsDir(3), 'annotations_3sweeps');
  const train = requiredFiles(raw({ radar_sweeps: 3, num_epochs: 10, val_intervals: 5 }));
  assert.deepEqual(
    train.map((f) => [f.option, f.path, f.base]),
    [
      ['radar_sweeps', 'data/nuscenes/annotations_3sweeps/train.json', 'root'],
      ['radar_sweeps', 'data/nuscenes/annotations_3sweeps/val.json', 'root'],
    ],
  );
  // No validation loader (val_intervals >= num_epochs): no val file needed.
  assert.deepEqual(
    requiredFiles(raw({ num_epochs: 10, val_intervals: 10 })).map((f) => f.path),
    ['data/nuscenes/annotations/train.json'],
  );
  // --eval loads only the validation split; load_model is relative to where the trainer runs.
  const ev = requiredFiles(raw({ eval: true, val_split: 'mini_val', load_model: '../models/cf.pth', radar_sweeps: 6 }));
  assert.deepEqual(
    ev.map((f) => [f.option, f.path, f.base]),
    [
      ['load_model', '../models/cf.pth', 'cwd'],
      ['radar_sweeps', 'data/nuscenes/annotations_6sweeps/mini_val.json', 'root'],
    ],
  );
  assert.deepEqual(requiredFiles(raw({ dataset: 'synthetic' })), [], 'other datasets need no converted annotations');
});

test('missing files: checked on disk against the run folders, message names the file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfs-form-'));
  try {
    const ann = path.join(dir, 'data', 'nuscenes', 'annotations_3sweeps');
    mkdirSync(ann, { recursive: true });
    writeFileSync(path.join(ann, 'train.json'), '{}');
    mkdirSync(path.join(dir, 'models'));
    writeFileSync(path.join(dir, 'models', 'cf.pth'), 'x');
    const folders = runFolders(undefined, dir);
    assert.deepEqual(folders, { cwd: dir, root: dir });
    const opts = { radar_sweeps: 3, num_epochs: 10, val_intervals: 5, load_model: 'models/cf.pth' };
    const problems = await missingFiles(raw(opts), folders);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].option, 'radar_sweeps');
    assert.match(problems[0].message, /annotations_3sweeps\/val\.json does not exist/);
    assert.ok(problems[0].message.includes(path.join(ann, 'val.json')));
    const noModel = await missingFiles(raw({ ...opts, load_model: 'models/none.pth', val_intervals: 10 }), folders);
    assert.deepEqual(noModel.map((p) => p.option), ['load_model']);
    assert.match(noModel[0].message, /no file at .*models\/none\.pth/);
    // A directory is not a checkpoint.
    assert.equal((await missingFiles(raw({ load_model: 'models', dataset: 'synthetic' }), folders)).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run folders of a Python config: data/ in the checkout, load_model relative to its src/', () => {
  assert.deepEqual(runFolders({ root: '../CenterFusion' }, '/ws/project'), { cwd: '/ws/CenterFusion/src', root: '/ws/CenterFusion' });
  assert.deepEqual(runFolders('builtin', '/ws/project'), { cwd: '/ws/project', root: '/ws/project' });
  assert.deepEqual(runFolders({ script: 'nope.py' }, '/ws/project'), { cwd: '/ws/project', root: '/ws/project' }, 'an unusable trainer object falls back');
});

test('pillar_dims says it is overwritten with --pointcloud', () => {
  const on = analyzeForm('ddd', fieldsFromOptions({ pointcloud: true }), {}, '/ws');
  const note = on.problems.find((p) => p.option === 'pillar_dims');
  assert.ok(note, 'a note next to pillar_dims');
  assert.equal(note.severity, 'warning');
  assert.match(note.message, /overwritten with --pointcloud.*1\.5,0\.2,0\.2/);
  const off = analyzeForm('ddd', fieldsFromOptions({}), {}, '/ws');
  assert.equal(off.problems.find((p) => p.option === 'pillar_dims'), undefined);
  // A changed value gets one message (checkOptions'), not two.
  const changed = analyzeForm('ddd', fieldsFromOptions({ pointcloud: true, pillar_dims: '1,1,1' }), {}, '/ws');
  assert.equal(changed.problems.filter((p) => p.option === 'pillar_dims').length, 1);
});

test('checkFiles / files messages are validated', () => {
  assert.ok(isFormToHost({ type: 'checkFiles', seq: 3, task: 'ddd', fields: { load_model: 'x' } }));
  assert.ok(!isFormToHost({ type: 'checkFiles', seq: -1, task: 'ddd', fields: {} }));
  assert.ok(!isFormToHost({ type: 'checkFiles', seq: 1, task: 'ddd', fields: { a: 1 } }));
  assert.ok(isHostToForm({ type: 'files', seq: 3, problems: [{ option: 'load_model', message: 'no file', severity: 'error' }] }));
  assert.ok(!isHostToForm({ type: 'files', seq: 3, problems: [{ option: 'load_model' }] }));
  assert.ok(!isHostToForm({ type: 'files', seq: 1.5, problems: [] }));
});
