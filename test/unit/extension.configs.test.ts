// Config files (.centerfusion/configs/*.json): parsing, option problems, reading a folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toArgv } from '../../src/shared/options';
import {
  CONFIGS_DIR,
  DEMO_CONFIG,
  expIdOf,
  hasBlockingProblems,
  isPythonTrainer,
  parseConfigText,
  readConfigFile,
  readConfigs,
} from '../../src/extension/configs/configFile';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/unit -> repo
const FILE = '/ws/.centerfusion/configs/my.json';

test('the demo config parses with no blocking problem and turns into a trainer command line', () => {
  const text = readFileSync(join(repoRoot, 'demo', '.centerfusion', 'configs', 'demo.json'), 'utf8');
  assert.deepEqual(JSON.parse(text), DEMO_CONFIG, 'demo/ and the "Create Demo Config" command write the same config');
  const config = parseConfigText(text, FILE, '/ws');
  assert.equal(config.parseError, undefined);
  assert.deepEqual(config.problems, [], 'the demo should not even show a warning');
  assert.equal(hasBlockingProblems(config), false);
  assert.equal(config.name, 'demo');
  assert.equal(config.task, 'ddd');
  assert.equal(config.trainer, 'builtin');
  assert.equal(expIdOf(config), 'demo');
  assert.ok(config.raw);
  const argv = toArgv(config.raw);
  assert.equal(argv[0], 'ddd', 'task first');
  for (const [flag, value] of [['--exp_id', 'demo'], ['--num_epochs', '3'], ['--dataset', 'synthetic'], ['--gpus', '-1']]) {
    const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    assert.ok(at > 0, `${flag} missing from ${argv.join(' ')}`);
    assert.ok(argv[at] === `${flag}=${value}` || argv[at + 1] === value, `${flag} ${value} in ${argv.join(' ')}`);
  }
});

test('malformed JSON and non-object JSON: a parse error, never an exception', () => {
  for (const text of ['{"name": "x", ', '[]', '42', 'null', '']) {
    const config = parseConfigText(text, FILE, '/ws');
    assert.ok(config.parseError, `no parse error for ${JSON.stringify(text)}`);
    assert.equal(config.name, 'my', 'named after the file');
    assert.equal(config.raw, undefined);
    assert.equal(hasBlockingProblems(config), true);
  }
  assert.match(parseConfigText('{"name": ', FILE, '/ws').parseError ?? '', /JSON/);
  assert.equal(parseConfigText('\ufeff{"name":"bom","task":"ddd","options":{}}', FILE, '/ws').parseError, undefined, 'a BOM is fine');
});

test('bad options become problems naming the option; nothing is trainable then', () => {
  const config = parseConfigText(
    JSON.stringify({ name: 'bad', task: 'ddd', trainer: 'builtin', options: { num_epoch: 3, lr: 'fast', exp_id: 'demo' } }),
    FILE,
    '/ws',
  );
  assert.equal(config.parseError, undefined);
  assert.equal(config.raw, undefined);
  assert.equal(hasBlockingProblems(config), true);
  const byOption = new Map(config.problems.map((p) => [p.option, p.message]));
  assert.match(byOption.get('num_epoch') ?? '', /unknown option.*num_epochs/);
  assert.ok(byOption.has('lr'), `lr not reported: ${JSON.stringify(config.problems)}`);
  assert.equal(config.name, 'bad');
});

test('semantic option errors (checkOptions) block; shape problems are reported one by one', () => {
  const semantic = parseConfigText(JSON.stringify({ name: 's', task: 'ddd', options: { exp_id: '../escape' } }), FILE, '/ws');
  assert.ok(semantic.problems.some((p) => p.option === 'exp_id' && p.severity !== 'warning'), JSON.stringify(semantic.problems));
  assert.equal(semantic.raw, undefined);

  const shape = parseConfigText(JSON.stringify({ name: 7, trainer: 'pytorch', options: [] }), FILE, '/ws');
  assert.deepEqual(shape.problems.map((p) => p.option).sort(), ['name', 'options', 'task', 'trainer']);
  assert.equal(shape.name, 'my');
});

test('a Python trainer is kept as written and not validated as builtin options', () => {
  const config = parseConfigText(
    JSON.stringify({ name: 'py', task: 'ddd', trainer: { python: '/usr/bin/python3', repo: '~/CenterFusion' }, options: { anything: 1 } }),
    FILE,
    '/ws',
  );
  assert.ok(isPythonTrainer(config.trainer));
  assert.deepEqual(config.trainer, { python: '/usr/bin/python3', repo: '~/CenterFusion' });
  assert.deepEqual(config.problems, []);
  assert.equal(config.raw, undefined);
  assert.equal(expIdOf(config), 'default', "CenterFusion's default exp_id");
});

test('readConfigs: every *.json of the folder, sorted by name, broken ones included; a missing folder is empty', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'cfs-configs-'));
  try {
    assert.deepEqual(await readConfigs(ws), []);
    const dir = join(ws, CONFIGS_DIR);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'z.json'), JSON.stringify({ name: 'alpha', task: 'ddd', options: {} }));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'beta', task: 'ddd', options: {} }));
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    writeFileSync(join(dir, 'notes.txt'), 'not a config');
    mkdirSync(join(dir, 'folder.json'));
    const configs = await readConfigs(ws);
    assert.deepEqual(configs.map((c) => c.name), ['alpha', 'beta', 'broken']);
    assert.ok(configs[2].parseError);
    assert.ok(configs.every((c) => c.folder === ws && c.file.startsWith(dir)));
    const missing = await readConfigFile(join(dir, 'gone.json'), ws);
    assert.match(missing.parseError ?? '', /Cannot read/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
