// The built `centerfusion` CLI (dist/cli.js) as a child process: the training loop's events and
// files, resume, save points, learning-rate drops, determinism, errors and stopping.
// `npm test` builds dist/ first; run `node scripts/build.mjs` before running this file alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { parseEventLines, validateEvent, type RunEvent } from '../../src/shared/protocol';
import { decodeCheckpoint, readCheckpoint } from '../../src/trainer/checkpoint';
import { SYNTHETIC_VAL_SIZE } from '../../src/trainer/data/synthetic';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
/** Small inputs keep every run to a second or two on two cores. */
/** The small backbone (the default dla_34 is CenterFusion's full network). */
const SMALL = ['--dataset', 'synthetic', '--arch', 'tiny', '--head_conv', '8', '--input_h', '32', '--input_w', '64', '--batch_size', '8'];

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every stdout line must be a valid event; returns them. */
function events(r: Ran): RunEvent[] {
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  for (const line of lines) {
    const v = validateEvent(JSON.parse(line));
    assert.ok(v.ok && v.known, `invalid event line: ${line.slice(0, 200)} (${v.ok ? 'unknown type' : v.reason})`);
  }
  const batch = parseEventLines(r.stdout);
  assert.deepEqual(batch.problems, []);
  return batch.events;
}

function ofType<T extends RunEvent['type']>(evs: RunEvent[], type: T): Array<Extract<RunEvent, { type: T }>> {
  return evs.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

function runDirOf(evs: RunEvent[]): string {
  const start = ofType(evs, 'run_start')[0];
  return path.join(start.save_dir, 'runs', start.run);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The weights section of a checkpoint (the header holds a creation time). */
function weightBytes(file: string): Buffer {
  const bytes = fs.readFileSync(file);
  const { header } = decodeCheckpoint(bytes, file);
  return bytes.subarray(bytes.length - header.data_bytes);
}

const LOG_LINE = /^(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}): epoch: (\d+) \|((?:[a-z_]+ +-?\d+\.\d{6} \| )+)$/;

function logPairs(part: string): Array<[string, number]> {
  return part
    .split(' | ')
    .filter((p) => p.trim() !== '')
    .map((p) => {
      const [name, value] = p.trim().split(/ +/);
      return [name, Number(value)] as [string, number];
    });
}

let root = '';
before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs; npm test does)`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-trainer-cli-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('centerfusion command line', () => {
  it('prints help and version, and refuses unknown commands', async () => {
    const [help, version, trainHelp, unknown, none] = await Promise.all([
      cli(['--help']),
      cli(['--version']),
      cli(['help', 'train']),
      cli(['trian']),
      cli([]),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: centerfusion <command>/);
    assert.match(help.stdout, /\n {2}train +\S/);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(trainHelp.code, 0);
    assert.match(trainHelp.stdout, /--root-dir DIR/);
    assert.match(trainHelp.stdout, /--lr_step STR/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "trian"\. Did you mean "train"\?/);
    assert.equal(none.code, 2);
  });
});

describe('centerfusion train', () => {
  let demo: Ran;
  let demoEvents: RunEvent[];
  let saveDir = '';

  before(async () => {
    demo = await cli([
      'train', 'ddd', '--exp_id', 'demo', '--num_epochs', '3', '--val_intervals', '1', '--root-dir', root,
      ...SMALL, '--lr_step', '2', '--save_point', '3',
    ]);
    assert.equal(demo.code, 0, demo.stderr);
    demoEvents = events(demo);
    saveDir = path.join(root, 'exp', 'ddd', 'demo');
  });

  it('emits valid events in the order of the training loop', () => {
    const types = demoEvents.map((e) => e.type).filter((t) => t !== 'iter' && t !== 'log');
    assert.deepEqual(types, [
      'run_start',
      'epoch_start', 'checkpoint', 'epoch_end',
      'epoch_start', 'checkpoint', 'epoch_end', 'lr_change',
      'epoch_start', 'checkpoint', 'checkpoint', 'epoch_end',
      'run_end',
    ]);
    const start = ofType(demoEvents, 'run_start')[0];
    assert.equal(start.task, 'ddd');
    assert.equal(start.exp_id, 'demo');
    assert.equal(start.mode, 'train');
    // The backend ladder picks the fastest usable backend (see trainer.backend tests).
    assert.match(start.backend, /^(cpu|wasm|tfjs-node|tfjs-node-gpu)$/);
    assert.equal(start.save_dir, saveDir);
    assert.equal(start.num_epochs, 3);
    assert.equal(start.start_epoch, 0);
    assert.equal(start.num_iters, 4);
    assert.equal(start.pid, (readJson(path.join(runDirOf(demoEvents), 'run.json')).pid as number));
    assert.deepEqual((start.opts as { heads: unknown }).heads, { hm: 10, reg: 2, wh: 2, dep: 1, rot: 8, dim: 3, amodel_offset: 2 });
    const model = ofType(demoEvents, 'log').find((e) => /^model centerfusion-tiny-v2 \(arch tiny\): \d+ trainable parameters/.test(e.message));
    assert.ok(model && model.level === 'info');
    assert.deepEqual(ofType(demoEvents, 'run_end')[0].status, 'completed');

    // Per epoch: train iterations (the last one always), then val iterations on validation epochs.
    for (const epoch of [1, 2, 3]) {
      const its = ofType(demoEvents, 'iter').filter((e) => e.epoch === epoch);
      const train = its.filter((e) => e.phase === 'train');
      const val = its.filter((e) => e.phase === 'val');
      assert.ok(train.length >= 1 && val.length >= 1);
      assert.equal(train[train.length - 1].iter, 3);
      assert.equal(train[0].num_iters, 4);
      // Validation runs one sample at a time over the whole synthetic val split.
      assert.equal(val[val.length - 1].iter, SYNTHETIC_VAL_SIZE - 1);
      assert.deepEqual(Object.keys(train[0].losses), ['tot', 'hm', 'wh', 'reg', 'dep', 'dim', 'rot', 'amodel_offset']);
      for (const e of its) {
        assert.ok(typeof e.elapsed_s === 'number' && typeof e.eta_s === 'number' && typeof e.data_s === 'number' && typeof e.net_s === 'number');
      }
      const end = ofType(demoEvents, 'epoch_end').find((e) => e.epoch === epoch);
      assert.ok(end && end.val !== null && end.time_min > 0 && typeof end.val_time_min === 'number');
      assert.deepEqual(Object.keys(end.train), Object.keys(train[0].losses));
      assert.deepEqual(end.train, train[train.length - 1].losses);
      assert.deepEqual(end.val, val[val.length - 1].losses);
    }
    const starts = ofType(demoEvents, 'epoch_start');
    assert.deepEqual(starts.map((e) => e.lr), [1.25e-4, 1.25e-4, 1.25e-4 * 0.1]);
  });

  it('writes the same events to events.jsonl and a finished run.json', () => {
    const dir = runDirOf(demoEvents);
    const fileText = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
    assert.equal(fileText, demo.stdout);
    const record = readJson(path.join(dir, 'run.json'));
    assert.equal(record.status, 'completed');
    assert.equal(record.exit_code, 0);
    assert.equal(record.last_epoch, 3);
    assert.equal(record.mode, 'train');
    assert.equal(record.backend, ofType(demoEvents, 'run_start')[0].backend);
    assert.equal(record.save_dir, saveDir);
    assert.ok(typeof record.started === 'string' && typeof record.ended === 'string');
  });

  it('writes checkpoints CenterFusion\'s way: model_last every epoch, model_<N> at save points', () => {
    const cps = ofType(demoEvents, 'checkpoint');
    assert.deepEqual(cps.map((c) => [c.epoch, path.basename(c.path), c.kind]), [
      [1, 'model_last.ckpt', 'last'],
      [2, 'model_last.ckpt', 'last'],
      [3, 'model_last.ckpt', 'last'],
      [3, 'model_3.ckpt', 'save_point'],
    ]);
    for (const c of cps) assert.equal(typeof c.size_bytes, 'number');
    const last = readCheckpoint(path.join(saveDir, 'model_last.ckpt'));
    assert.equal(last.header.epoch, 3);
    assert.equal(last.header.arch, 'tiny');
    assert.equal(last.header.network, 'centerfusion-tiny-v2');
    assert.equal(last.header.version, 2);
    assert.equal(last.header.optimizer.name, 'adam');
    assert.equal(last.header.optimizer.lr, 1.25e-4 * 0.1);
    assert.ok(last.optimizerState && last.optimizerState.step > 0, 'the optimizer state is saved');
    // Adam: two moments per parameter.
    assert.equal(last.optimizerState.slots.size, 2 * last.weights.size);
    assert.equal(readCheckpoint(path.join(saveDir, 'model_3.ckpt')).header.epoch, 3);
    assert.deepEqual(fs.readdirSync(saveDir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('drops the learning rate at lr_step like CenterFusion', () => {
    const change = ofType(demoEvents, 'lr_change');
    assert.equal(change.length, 1);
    assert.equal(change[0].epoch, 2);
    assert.equal(change[0].lr, 1.25e-4 * 0.1);
    assert.match(demo.stderr, /^Drop LR to 1\.25e-05$/m);
    assert.match(demo.stderr, /^Creating model\.\.\.$/m);
    assert.match(demo.stderr, /^Starting training\.\.\.$/m);
  });

  it('writes log.txt lines in CenterFusion\'s format, with val stats', () => {
    const logDirs = fs.readdirSync(saveDir).filter((f) => /^logs_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/.test(f));
    assert.ok(logDirs.length >= 1);
    const text = logDirs.map((d) => fs.readFileSync(path.join(saveDir, d, 'log.txt'), 'utf8')).join('');
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 3);
    const names = ['tot', 'hm', 'wh', 'reg', 'dep', 'dim', 'rot', 'amodel_offset', 'time'];
    lines.forEach((line, i) => {
      const m = LOG_LINE.exec(line);
      assert.ok(m, `log line does not match: ${line}`);
      assert.equal(Number(m[2]), i + 1);
      const pairs = logPairs(m[3]);
      assert.deepEqual(pairs.map((p) => p[0]), [...names, ...names]);
      const end = ofType(demoEvents, 'epoch_end').find((e) => e.epoch === i + 1);
      assert.ok(end && end.val);
      assert.ok(Math.abs(pairs[0][1] - (end.train.tot ?? NaN)) < 1e-5);
      assert.ok(Math.abs(pairs[9][1] - (end.val.tot ?? NaN)) < 1e-5);
    });
    for (const d of logDirs) assert.ok(fs.existsSync(path.join(saveDir, d, 'opt.txt')));
  });

  it('writes opt.txt in CenterFusion\'s shape', () => {
    const lines = fs.readFileSync(path.join(saveDir, 'opt.txt'), 'utf8').split('\n');
    assert.match(lines[0], /^==> commit hash: b'.*\\n'$/);
    assert.match(lines[1], /^==> tfjs version: \d+\.\d+\.\d+$/);
    assert.equal(lines[3], '==> Cmd:');
    assert.match(lines[4], /^\['centerfusion', 'train', 'ddd', '--exp_id', 'demo', /);
    assert.equal(lines[5], '==> Opt:');
    assert.ok(lines.includes('  lr_step: [2]'));
    assert.ok(lines.includes('  save_point: [3]'));
    assert.ok(lines.includes('  lr: 0.000125'));
    assert.ok(lines.includes('  hm_weight: 1'));
    assert.ok(lines.includes(`  save_dir: ${saveDir}`));
    assert.ok(lines.includes("  heads: {'hm': 10, 'reg': 2, 'wh': 2, 'dep': 1, 'rot': 8, 'dim': 3, 'amodel_offset': 2}"));
  });

  it('resumes at the saved epoch with the learning rate of the schedule', async () => {
    const r = await cli(['train', 'ddd', '--exp_id', 'demo', '--num_epochs', '4', '--val_intervals', '1', '--root-dir', root, ...SMALL, '--lr_step', '2', '--resume']);
    assert.equal(r.code, 0, r.stderr);
    const evs = events(r);
    assert.equal(ofType(evs, 'run_start')[0].start_epoch, 3);
    assert.deepEqual(ofType(evs, 'epoch_start').map((e) => [e.epoch, e.lr]), [[4, 1.25e-4 * 0.1]]);
    assert.match(r.stderr, /loaded .*model_last\.ckpt, epoch 3/);
    assert.match(r.stderr, /Resumed optimizer with start lr 1\.25e-05/);
    assert.equal(readCheckpoint(path.join(saveDir, 'model_last.ckpt')).header.epoch, 4);
    assert.equal(ofType(evs, 'run_end')[0].status, 'completed');
  });

  it('validates once with --eval and runs the nuScenes evaluation', async () => {
    const r = await cli(['train', 'ddd', '--exp_id', 'demo', '--eval', '--root-dir', root, ...SMALL, '--load_model', path.join(saveDir, 'model_3.ckpt')]);
    assert.equal(r.code, 0, r.stderr);
    const evs = events(r);
    assert.equal(ofType(evs, 'run_start')[0].mode, 'eval');
    assert.deepEqual(ofType(evs, 'epoch_start'), []);
    const its = ofType(evs, 'iter');
    assert.ok(its.length >= 1 && its.every((e) => e.phase === 'val' && e.epoch === null));
    assert.ok(ofType(evs, 'log').some((e) => e.level === 'info' && /^val: tot /.test(e.message)));
    const ev = ofType(evs, 'eval')[0];
    assert.ok(ev && ev.epoch === null && ev.summary_path && fs.existsSync(ev.summary_path));
    assert.ok(fs.existsSync(path.join(saveDir, 'nuscenes_eval_det_output_val', 'metrics_summary.json')));
    assert.ok(fs.existsSync(path.join(saveDir, 'results_nuscenes_det_val.json')));
    assert.match(r.stderr, /^mAP: \d\.\d{4}$/m);
    assert.equal(ofType(evs, 'run_end')[0].status, 'completed');
  });

  it('evaluates every validation epoch with --run_dataset_eval and keeps a copy per epoch', async () => {
    const r = await cli(['train', 'ddd', '--exp_id', 'dataset_eval', '--num_epochs', '2', '--val_intervals', '1', '--run_dataset_eval', '--root-dir', root, ...SMALL]);
    assert.equal(r.code, 0, r.stderr);
    const evals = ofType(events(r), 'eval');
    assert.deepEqual(evals.map((e) => e.epoch), [1, 2]);
    for (const e of evals) {
      assert.ok(e.summary_path && fs.existsSync(e.summary_path), 'per-epoch metrics_summary.json copy');
      assert.ok(e.metrics.NDS === null || (e.metrics.NDS >= 0 && e.metrics.NDS <= 1));
      assert.equal(Object.keys(e.metrics.per_class).length, 10);
    }
    assert.notEqual(evals[0].summary_path, evals[1].summary_path);
  });

  it('submits at most 500 boxes per sample when --K asks for more (the metric refuses 501)', async () => {
    // 32x64 input -> 8x16 output x 10 classes = 1,280 candidate peaks, so --K 600 decodes 600.
    const r = await cli(['train', 'ddd', '--exp_id', 'demo', '--eval', '--K', '600', '--root-dir', root, ...SMALL, '--load_model', path.join(saveDir, 'model_3.ckpt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ofType(events(r), 'run_end')[0].status, 'completed');
    assert.ok(ofType(events(r), 'eval')[0], 'an eval event');
    const sub = JSON.parse(fs.readFileSync(path.join(saveDir, 'results_nuscenes_det_val.json'), 'utf8')) as { results: Record<string, unknown[]> };
    const counts = Object.values(sub.results).map((boxes) => boxes.length);
    assert.ok(counts.length > 0 && counts.every((n) => n <= 500), `boxes per sample: ${counts.join(',')}`);
    assert.ok(counts.some((n) => n === 500), `--K 600 should fill the cap: ${counts.join(',')}`);
  });
});

describe('centerfusion train: options and determinism', () => {
  it('keeps a model per validation epoch with --save_all, and is bit-identical for one seed', async () => {
    const args = (exp: string): string[] => [
      'train', 'ddd', '--exp_id', exp, '--num_epochs', '2', '--val_intervals', '1', '--save_all', '--seed', '7',
      '--shuffle_train', '--optim', 'sgd', '--lr', '0.01', '--root-dir', root, ...SMALL,
    ];
    const [a, b] = await Promise.all([cli(args('seed_a')), cli(args('seed_b'))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ea = events(a);
    const eb = events(b);
    const kinds = ofType(ea, 'checkpoint').map((c) => [c.epoch, path.basename(c.path), c.kind]);
    assert.deepEqual(kinds, [[1, 'model_1.ckpt', 'epoch'], [2, 'model_2.ckpt', 'epoch']]);
    // Iteration events are throttled by wall time, so compare the iterations both runs reported
    // (the last of every phase always is) and every epoch's averages.
    const byIter = (evs: RunEvent[]): Map<string, unknown> => new Map(ofType(evs, 'iter').map((e) => [`${e.phase}/${e.epoch}/${e.iter}`, e.losses]));
    const ia = byIter(ea);
    const ib = byIter(eb);
    const common = [...ia.keys()].filter((k) => ib.has(k));
    assert.ok(common.includes('train/2/3') && common.includes(`val/2/${SYNTHETIC_VAL_SIZE - 1}`));
    for (const k of common) assert.deepEqual(ia.get(k), ib.get(k), k);
    const ends = (evs: RunEvent[]): unknown[] => ofType(evs, 'epoch_end').map((e) => [e.epoch, e.train, e.val]);
    assert.deepEqual(ends(ea), ends(eb));
    for (const file of ['model_1.ckpt', 'model_2.ckpt']) {
      assert.ok(weightBytes(path.join(root, 'exp', 'ddd', 'seed_a', file)).equals(weightBytes(path.join(root, 'exp', 'ddd', 'seed_b', file))), file);
    }
    // Another seed gives other numbers.
    const c = await cli(['train', 'ddd', '--exp_id', 'seed_c', '--num_epochs', '1', '--seed', '8', '--root-dir', root, ...SMALL]);
    assert.equal(c.code, 0, c.stderr);
    const first = (evs: RunEvent[]): unknown => ofType(evs, 'iter')[0].losses;
    assert.notDeepEqual(first(events(c)), first(ea));
  });

  it('rejects bad options with exit code 2 before starting a run', async () => {
    const [typo, task, value, arch, down] = await Promise.all([
      cli(['train', 'ddd', '--dataset', 'synthetic', '--num_epoch', '3', '--root-dir', root]),
      cli(['train', 'tracking', '--dataset', 'synthetic', '--root-dir', root]),
      cli(['train', 'ddd', '--dataset', 'synthetic', '--lr', 'fast', '--root-dir', root]),
      cli(['train', 'ddd', '--dataset', 'synthetic', '--arch', 'resdcn_18', '--root-dir', root]),
      cli(['train', 'ddd', '--dataset', 'synthetic', '--down_ratio', '32', '--input_res', '64', '--root-dir', root]),
    ]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /down_ratio: dla_34 supports down_ratio 2, 4, 8 or 16, got 32/);
    assert.equal(arch.code, 2);
    assert.match(arch.stderr, /arch: unknown architecture "resdcn_18": the built-in trainer builds dla_34 \(.*\), tiny \(/);
    assert.equal(arch.stdout, '');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /--num_epoch: unknown option .*did you mean --num_epochs\?/);
    assert.equal(typo.stdout, '');
    assert.equal(task.code, 2);
    assert.match(task.stderr, /tracking head .* not supported/);
    assert.equal(value.code, 2);
    assert.match(value.stderr, /--lr: expected a number/);
    assert.ok(!fs.existsSync(path.join(root, 'exp', 'ddd', 'default')));
  });

  it('fails with an error event for a missing checkpoint, an unknown optimizer and missing nuScenes data', async () => {
    const [missing, optim, nusc] = await Promise.all([
      cli(['train', 'ddd', '--exp_id', 'nockpt', '--root-dir', root, ...SMALL, '--load_model', path.join(root, 'nope.ckpt')]),
      cli(['train', 'ddd', '--exp_id', 'badoptim', '--root-dir', root, ...SMALL, '--optim', 'rmsprop']),
      cli(['train', 'ddd', '--exp_id', 'nusc', '--root-dir', root, '--dataset', 'nuscenes']),
    ]);
    const check = (r: Ran, code: number, type: string, pattern: RegExp): void => {
      assert.equal(r.code, code, r.stderr);
      const evs = events(r);
      const err = ofType(evs, 'error')[0];
      assert.ok(err, 'no error event');
      assert.equal(err.error_type, type);
      assert.match(err.message, pattern);
      assert.ok(err.traceback && err.traceback.length > 0);
      const end = ofType(evs, 'run_end')[0];
      assert.equal(end.status, 'failed');
      assert.equal(end.exit_code, code);
      assert.equal(readJson(path.join(runDirOf(evs), 'run.json')).status, 'failed');
    };
    check(missing, 1, 'CheckpointError', /checkpoint not found: .*nope\.ckpt/);
    check(optim, 2, 'OptimizerError', /optimizer not correctly defined/);
    check(nusc, 1, 'DatasetError', /needs .*data\/nuscenes\/annotations.*use --dataset synthetic/i);
  });

  it('stops at an iteration boundary on SIGTERM and records it', async () => {
    let sent = false;
    const r = await cli(
      ['train', 'ddd', '--exp_id', 'stopme', '--num_epochs', '100', '--root-dir', root, ...SMALL, '--batch_size', '2'],
      (out, child) => {
        if (!sent && out.includes('"type":"checkpoint"')) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    );
    assert.ok(sent, 'the run ended before it could be stopped');
    assert.equal(r.code, 143, r.stderr);
    const evs = events(r);
    const end = ofType(evs, 'run_end')[0];
    assert.equal(end.status, 'stopped');
    assert.equal(end.signal, 'SIGTERM');
    assert.equal(end.exit_code, 143);
    const record = readJson(path.join(runDirOf(evs), 'run.json'));
    assert.equal(record.status, 'stopped');
    assert.equal(record.exit_code, 143);
    const dir = path.join(root, 'exp', 'ddd', 'stopme');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    assert.ok(readCheckpoint(path.join(dir, 'model_last.ckpt')).header.epoch >= 1);
  });
});
