// Evaluate on a checkpoint: the evaluation's argv built from the run's recorded argv, the queue,
// and (end to end through the real dist/cli.js) a tiny training followed by its evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgv } from '../../src/shared/options';
import { parseMetricsSummary } from '../../src/shared/eval';
import { planEvaluation, SerialQueue, summaryCandidates, withoutStudioFlags } from '../../src/extension/evaluate/evaluateArgs';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');

test('studio flags are taken out of a recorded trainer argv', () => {
  assert.deepEqual(withoutStudioFlags(['--root-dir', '/w', '--run-id', 'r1', 'ddd', '--exp_id', 'x']), ['ddd', '--exp_id', 'x']);
  assert.deepEqual(withoutStudioFlags(['--root-dir=/w', 'ddd', '--run-id=r', '--lr', '1e-3']), ['ddd', '--lr', '1e-3']);
  assert.deepEqual(withoutStudioFlags(['ddd', '--', '--run-id']), ['ddd', '--', '--run-id']);
});

test('the evaluation keeps the run options and adds --eval, --load_model, --run_dataset_eval; --resume is dropped', () => {
  const plan = planEvaluation(
    { argv: ['--root-dir', '/w', '--run-id', 'r1', 'ddd', '--dataset', 'synthetic', '--exp_id', 'demo', '--num_epochs', '3', '--resume'] },
    '/w/exp/ddd/demo/model_last.ckpt',
  );
  assert.equal(plan.task, 'ddd');
  assert.equal(plan.exp_id, 'demo');
  const back = parseArgv(plan.args);
  assert.equal(back.eval, true);
  assert.equal(back.run_dataset_eval, true);
  assert.equal(back.resume, false);
  assert.equal(back.load_model, '/w/exp/ddd/demo/model_last.ckpt');
  assert.equal(back.num_epochs, 3);
  assert.equal(back.dataset, 'synthetic');
  assert.ok(!plan.args.includes('--root-dir'));
});

test('without argv the config options are used; with neither it says so', () => {
  const raw = parseArgv(['ddd', '--exp_id', 'cfg']);
  assert.equal(planEvaluation({ raw }, '/x/m.ckpt').exp_id, 'cfg');
  assert.throws(() => planEvaluation({}, '/x/m.ckpt'), /no options/);
  assert.throws(() => planEvaluation({ argv: ['ddd', '--num_epoch', '3'] }, '/x/m.ckpt'), /num_epoch/);
});

test('summary candidates: the run folder copy first, then save_dir', () => {
  assert.deepEqual(summaryCandidates('/r', '/s', 'mini_val'), [
    path.join('/r', 'eval', 'eval', 'metrics_summary.json'),
    path.join('/s', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json'),
  ]);
});

test('the queue runs one job at a time, in order, and survives a failing job', async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  let running = 0;
  const job = (name: string, fail = false) => async () => {
    running++;
    assert.equal(running, 1);
    await new Promise((r) => setImmediate(r));
    log.push(name);
    running--;
    if (fail) throw new Error('x');
  };
  const all = [q.push(job('a')), q.push(job('b', true)), q.push(job('c'))];
  assert.equal(q.size, 3);
  await Promise.all(all);
  assert.deepEqual(log, ['a', 'b', 'c']);
  assert.equal(q.size, 0);
});

test('train one epoch, then evaluate its checkpoint with the planned argv: metrics_summary.json is written', { skip: !existsSync(CLI) && 'dist/cli.js not built' }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cfs-eval-'));
  try {
    const trainArgs = ['--root-dir', root, '--run-id', 'train1', 'ddd', '--dataset', 'synthetic', '--exp_id', 'ev', '--num_epochs', '1', '--batch_size', '4', '--gpus', '-1'];
    const trained = spawnSync(process.execPath, [CLI, 'train', ...trainArgs], { cwd: root, encoding: 'utf8' });
    assert.equal(trained.status, 0, trained.stderr);
    const ckpt = path.join(root, 'exp', 'ddd', 'ev', 'model_last.ckpt');
    assert.ok(existsSync(ckpt));
    const plan = planEvaluation({ argv: trainArgs }, ckpt);
    const evaluated = spawnSync(process.execPath, [CLI, 'train', '--root-dir', root, '--run-id', 'eval1', ...plan.args], { cwd: root, encoding: 'utf8' });
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const events = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; mode?: string; summary_path?: string });
    assert.equal(events[0].mode, 'eval');
    const evalEvent = events.find((e) => e.type === 'eval');
    assert.ok(evalEvent?.summary_path);
    const runDir = path.join(root, 'exp', 'ddd', 'ev', 'runs', 'eval1');
    const found = summaryCandidates(runDir, path.join(root, 'exp', 'ddd', 'ev'), 'val').find((f) => existsSync(f));
    assert.ok(found, 'no metrics_summary.json where the extension looks');
    assert.equal(path.resolve(found), path.resolve(evalEvent.summary_path));
    const summary = parseMetricsSummary(readFileSync(found, 'utf8'));
    assert.ok(Number.isFinite(summary.nd_score));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
