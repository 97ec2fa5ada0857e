// The options form's logic: fields ⇄ config options, validation as you type, derived values,
// the command preview, the saved file text (unknown keys and key order kept), the message guards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OPTION_SPECS } from '../../src/shared/options';
import {
  analyzeForm,
  configText,
  FORM_SPECS,
  fieldsFromOptions,
  isFormToHost,
  isHostToForm,
  isNonDefault,
  optionsFromFields,
} from '../../src/shared/webview/optionsForm';

const REPO = path.resolve(__dirname, '..', '..', '..');
const DEMO = path.join(REPO, 'demo', '.centerfusion', 'configs', 'demo.json');

test('every option but the task has a field; values come from the config or the default', () => {
  assert.equal(FORM_SPECS.length, OPTION_SPECS.length - 1);
  const f = fieldsFromOptions({ num_epochs: 3, lr_step: [20, 40], pointcloud: true });
  assert.equal(f.num_epochs, '3');
  assert.equal(f.lr_step, '20,40');
  assert.equal(f.pointcloud, true);
  assert.equal(f.batch_size, '32');
  assert.equal(Object.keys(f).length, FORM_SPECS.length);
});

test('the demo config: changing num_epochs updates the options and the command preview; other keys stay', () => {
  const text = readFileSync(DEMO, 'utf8');
  const doc = JSON.parse(text) as { task: string; options: Record<string, unknown> };
  const fields = fieldsFromOptions(doc.options);
  fields.num_epochs = '4';
  const a = analyzeForm(doc.task, fields, doc.options, '/ws');
  assert.deepEqual(a.problems.filter((p) => p.severity !== 'warning'), []);
  assert.match(a.command, /^python main\.py ddd .*--num_epochs 4/);
  assert.deepEqual(Object.keys(a.options ?? {}), Object.keys(doc.options));
  assert.equal(a.options?.num_epochs, 4);
  assert.equal(a.options?.lr_step, doc.options.lr_step);
  assert.equal(a.derived?.save_dir, '/ws/exp/ddd/demo');
  assert.match(a.derived?.heads ?? '', /hm:/);
  const out = JSON.parse(configText(text, 'demo', doc.task, a.options ?? {})) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), Object.keys(JSON.parse(text) as object));
  assert.equal((out.options as Record<string, unknown>).num_epochs, 4);
});

test('bad values are rejected with a message for the field', () => {
  const fields = fieldsFromOptions({});
  fields.num_epochs = 'abc';
  let a = analyzeForm('ddd', fields, {}, '/ws');
  assert.ok(a.problems.some((p) => p.option === 'num_epochs' && /integer/.test(p.message)));
  assert.equal(a.options, undefined);
  fields.num_epochs = '0';
  a = analyzeForm('ddd', fields, {}, '/ws');
  assert.ok(a.problems.some((p) => p.option === 'num_epochs' && p.severity !== 'warning'), JSON.stringify(a.problems));
  fields.num_epochs = '10';
  fields.lr_step = '20,x';
  a = analyzeForm('ddd', fields, {}, '/ws');
  assert.ok(a.problems.some((p) => p.option === 'lr_step'));
  fields.lr_step = '50';
  a = analyzeForm('ddd', fields, {}, '/ws');
  assert.ok(a.problems.some((p) => p.option === 'lr_step' && p.severity === 'warning'), 'lr_step outside 1..num_epochs warns');
  assert.ok(isNonDefault(FORM_SPECS.find((s) => s.dest === 'num_epochs')!, '10'));
  assert.ok(!isNonDefault(FORM_SPECS.find((s) => s.dest === 'batch_size')!, '32'));
});

test('unknown option keys in the file are kept; defaults not in the file are not added', () => {
  const original = { zzz_custom: 1, num_epochs: 3 };
  const { options, problems } = optionsFromFields(fieldsFromOptions(original), original);
  assert.deepEqual(problems, []);
  assert.deepEqual(options, { zzz_custom: 1, num_epochs: 3 });
});

test('configText keeps extra top-level keys, indentation and the final newline', () => {
  const text = '{\n    "name": "x",\n    "note": {"a": 1},\n    "task": "ddd",\n    "options": {}\n}';
  const out = configText(text, 'x', 'tracking,ddd', { num_epochs: 2 });
  assert.ok(!out.endsWith('\n'));
  assert.match(out, /\n {4}"note"/);
  assert.deepEqual(Object.keys(JSON.parse(out) as object), ['name', 'note', 'task', 'options']);
  const fresh = JSON.parse(configText(undefined, 'new', 'ddd', {})) as Record<string, unknown>;
  assert.deepEqual(fresh, { name: 'new', task: 'ddd', trainer: 'builtin', options: {} });
});

test('message guards', () => {
  assert.ok(isFormToHost({ type: 'save', task: 'ddd', fields: { num_epochs: '4', eval: false } }));
  assert.ok(!isFormToHost({ type: 'save', task: 'ddd', fields: { num_epochs: 4 } }));
  assert.ok(!isFormToHost({ type: 'exec', cmd: 'rm' }));
  assert.ok(isHostToForm({ type: 'init', file: '/a.json', name: 'a', task: 'ddd', options: {}, rootDir: '/' }));
  assert.ok(!isHostToForm({ type: 'init', file: '/a.json' }));
});
