// Bad input, fuzzed and by hand: the protocol reader and the CenterFusion text adapter on seeded
// random and mutated inputs (bench/fuzz.ts runs 100,000+ of each), and the host modules that
// load config files, option values and metrics files: clear errors, never an exception.
//   CFS_FUZZ_N     cases of each reader (default 3000)   CFS_FUZZ_SEED  seed (default 8)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { adapterCase, adapterCorpus, mutateText, prng, readerCase, runCases, sampleEventLines } from '../../bench/fuzz-cases';
import { parseConfigText } from '../../src/extension/configs/configFile';
import { checkOptions, defaultRawOptions, OptionError, OPTION_SPECS, toArgv, type RawOptions } from '../../src/shared/options';
import { readMetricsSummary } from '../../src/shared/centerfusion';
import { buildReportModel } from '../../src/shared/webview/metricsReport';
import { parseRunRecord } from '../../src/extension/runs/runRecord';
import * as fs from 'node:fs';
import { REPO } from './reliability.helpers';

const N = Number(process.env['CFS_FUZZ_N'] ?? 3000);
const SEED = Number(process.env['CFS_FUZZ_SEED'] ?? 8);

test(`protocol reader: ${N} seeded random and mutated inputs, whole and in random chunks`, () => {
  const lines = sampleEventLines();
  const tally = runCases(N, SEED, (rnd) => readerCase(rnd, lines));
  assert.deepEqual(tally.failures, [], tally.failures.slice(0, 3).join('\n'));
});

test(`CenterFusion text adapter: ${N} seeded mutated windows of the fixtures, every kind`, () => {
  const corpus = adapterCorpus(REPO);
  assert.ok(corpus.texts.length >= 8, 'the fixtures are there');
  const tally = runCases(N, SEED + 1, (rnd) => adapterCase(rnd, corpus));
  assert.deepEqual(tally.failures, [], tally.failures.slice(0, 3).join('\n'));
});

const FILE = '/ws/.centerfusion/configs/bad.json';
const FOLDER = '/ws';

test('config files: bad JSON, wrong types and unknown keys give clear problems, never an exception', () => {
  const cases: [string, RegExp][] = [
    ['{ "name": "x", "task": "ddd", ', /^Not valid JSON: /],
    ['', /^Not valid JSON: /],
    ['[1, 2]', /must be a JSON object/],
    ['null', /must be a JSON object/],
    ['"ddd"', /must be a JSON object/],
  ];
  for (const [text, want] of cases) {
    const c = parseConfigText(text, FILE, FOLDER);
    assert.match(c.parseError ?? '', want, text);
    assert.equal(c.raw, undefined);
  }
  const problems = (text: string): string[] => parseConfigText(text, FILE, FOLDER).problems.filter((p) => p.severity !== 'warning').map((p) => `${p.option}: ${p.message}`);
  assert.deepEqual(problems('{"task": 3}'), ['task: "task" is required: a CenterFusion task such as "ddd"']);
  assert.match(problems('{"task": "ddd", "options": []}').join(), /"options" must be an object/);
  assert.match(problems('{"task": "ddd", "trainer": 7}').join(), /"trainer" must be "builtin" or an object/);
  assert.match(problems('{"task": "ddd", "options": {"num_epochs": "ten"}}').join(), /num_epochs: .*integer/);
  assert.match(problems('{"task": "ddd", "options": {"lr": null}}').join(), /lr: /);
  assert.match(problems('{"task": "ddd", "options": {"num_epoch": 3}}').join(), /num_epoch: unknown option; did you mean "?num_epochs"?\?/);
  assert.match(problems('{"task": "ddd", "options": {"exp_id": "../../etc"}}').join(), /exp_id: /);
  assert.match(problems('{"task": "ddd", "options": {"__proto__": {"polluted": 1}}}').join() + String(({} as Record<string, unknown>)['polluted'] ?? ''), /^[^1]*$/);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
});

test('config files: 3000 mutated configs never throw, and a config that trains has no errors', () => {
  const good = JSON.stringify({ name: 'demo', task: 'ddd', trainer: 'builtin', options: { exp_id: 'demo', dataset: 'synthetic', num_epochs: 3, lr: 1.25e-4, lr_step: '2', gpus: '-1', save_point: '2' } }, null, 2);
  const rnd = prng(SEED + 2);
  const bits = ['{', '}', '"', ':', ',', 'null', '1e999', '-1', '"--x"', '"../"', '\u0000', '[]', 'true', '"task"', '"options"'];
  for (let i = 0; i < 3000; i++) {
    const text = mutateText(good, rnd, bits);
    let c;
    try {
      c = parseConfigText(text, FILE, FOLDER);
    } catch (err) {
      assert.fail(`config ${i} threw ${(err as Error).stack}: ${JSON.stringify(text)}`);
    }
    if (c.raw !== undefined) {
      assert.equal(c.parseError, undefined);
      assert.ok(!c.problems.some((p) => p.severity !== 'warning'), `config ${i} has a raw with errors`);
      // What would be spawned from it: argv without NUL and without a value posing as an option.
      const argv = toArgv(c.raw);
      for (const a of argv) assert.ok(!a.includes('\u0000'), `config ${i}: NUL in argv`);
    }
  }
});

test('option values: random values of every kind give problems, never an exception', () => {
  const rnd = prng(SEED + 3);
  const values: unknown[] = [null, undefined, NaN, Infinity, -1, 0, 1.5, 2 ** 60, '', 'x', '--x', '\u0000', 'a'.repeat(10_000), [], {}, true, '1,2,x', '../..'];
  for (let i = 0; i < 2000; i++) {
    const raw: Record<string, unknown> = { ...defaultRawOptions('ddd') };
    for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
      const spec = OPTION_SPECS[Math.floor(rnd() * OPTION_SPECS.length)];
      raw[spec.dest] = values[Math.floor(rnd() * values.length)];
    }
    if (rnd() < 0.1) raw[`no_such_${i}`] = 1;
    const problems = checkOptions(raw as RawOptions);
    for (const p of problems) assert.ok(typeof p.message === 'string' && p.message.length > 0 && typeof p.option === 'string');
    try {
      toArgv(raw as RawOptions);
    } catch (err) {
      assert.ok(err instanceof OptionError, `toArgv threw ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
});

test('metrics files: broken metrics_summary.json gives a clear error in the report and the adapter, never a crash', () => {
  const good = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'centerfusion', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json'), 'utf8');
  assert.ok(buildReportModel(good).classes.length > 0);
  const rnd = prng(SEED + 4);
  const bits = ['{', '}', '"', ':', ',', 'NaN', 'null', '1e999', '-Infinity', '[]', '"mean_ap"', '"label_aps"', '\u0000'];
  let errors = 0;
  for (let i = 0; i < 1500; i++) {
    const text = i === 0 ? '' : i === 1 ? '{"mean_ap": "high"}' : mutateText(good, rnd, bits);
    try {
      buildReportModel(text);
    } catch (err) {
      // A typed error with a message (the report shows it); a TypeError & co. would be a bug.
      assert.ok(err instanceof Error && !(err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError), `case ${i}: ${(err as Error).stack}`);
      assert.ok((err as Error).message.length > 0);
      errors++;
    }
    const read = readMetricsSummary(text);
    assert.ok(Array.isArray(read.problems));
    assert.ok(!read.problems.some((p) => /internal error/.test(p)), `case ${i}: ${read.problems.join('; ')}`);
  }
  assert.ok(errors > 0, 'some inputs were broken enough to be rejected');
});

test('run.json: any text parses to a record or undefined, fields of the wrong type dropped', () => {
  const rnd = prng(SEED + 5);
  const good = JSON.stringify({ id: 'r', task: 'ddd', exp_id: 'e', pid: 42, status: 'running', argv: ['a'], last_epoch: 1 });
  for (let i = 0; i < 2000; i++) {
    const text = mutateText(good, rnd, ['{', '}', '"', ':', ',', 'null', '-1', '"killed"', '"weird"', '[]', '1.5']);
    const r = parseRunRecord(text);
    if (r === undefined) continue;
    if (r.pid !== undefined) assert.ok(Number.isInteger(r.pid) && r.pid > 0, `pid ${String(r.pid)}`);
    if (r.status !== undefined) assert.ok(['running', 'completed', 'failed', 'stopped', 'killed'].includes(r.status));
    if (r.argv !== undefined) assert.ok(r.argv.every((a) => typeof a === 'string'));
  }
});
