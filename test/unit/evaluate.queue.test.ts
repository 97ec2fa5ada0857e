// Evaluate's inputs and queue: the argument shapes the command is called with (explorer URI,
// Checkpoints node, the dashboard's checkpoint), the Python evaluation (options, and a run against
// the fake CenterFusion checkout), and the visible
// queue (one at a time, in order, cancel a waiting one, a failing job does not stop it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkpointRef, EvaluationQueue, planPythonEvaluation, summaryCandidates } from '../../src/extension/evaluate/evaluateArgs';
import { planPythonLaunch } from '../../src/extension/python/pythonLaunch';
import { PythonProcess } from '../../src/extension/python/pythonProcess';
import { RunStore } from '../../src/extension/runs/runStore';

const REPO = path.resolve(__dirname, '..', '..', '..');

test('checkpoint arguments: URIs, paths, tree nodes and the dashboard\'s checkpoint', () => {
  assert.deepEqual(checkpointRef({ scheme: 'file', fsPath: '/ws/exp/ddd/a/model_last.ckpt', path: '/ws/exp/ddd/a/model_last.ckpt' }), { file: '/ws/exp/ddd/a/model_last.ckpt' });
  assert.equal(checkpointRef({ scheme: 'vscode-remote', fsPath: '/x', path: '/x' }), undefined, 'only files on this machine');
  assert.deepEqual(checkpointRef('/ws/m.pth'), { file: '/ws/m.pth' });
  assert.deepEqual(checkpointRef({ kind: 'checkpoint', runId: 'r1', path: 'exp/ddd/a/model_3.ckpt' }), { file: 'exp/ddd/a/model_3.ckpt', runId: 'r1' });
  assert.deepEqual(checkpointRef({ file: '/ws/m.ckpt', runId: 'r1', checkpoint: { epoch: 3 } }), { file: '/ws/m.ckpt', runId: 'r1' });
  assert.deepEqual(checkpointRef({ runId: 'r2', path: '/ws/m.ckpt' }), { file: '/ws/m.ckpt', runId: 'r2' });
  assert.equal(checkpointRef({ kind: 'run', runId: 'r1' }), undefined, 'a run is not a checkpoint');
  assert.equal(checkpointRef({ runId: 'r1' }), undefined);
  assert.equal(checkpointRef(undefined), undefined);
  assert.equal(checkpointRef(''), undefined);
  assert.equal(checkpointRef(42), undefined);
});

test('Python evaluation: test.py with the run\'s recorded argv, --load_model, --run_dataset_eval; --resume dropped', () => {
  const argv = ['main.py', 'ddd', '--exp_id', 'cf', '--dataset', 'nuscenes', '--radar_sweeps', '3', '--pointcloud', '--resume', '--print_iter', '1'];
  const ev = planPythonEvaluation({ argv }, 'models/cf.pth');
  assert.equal(ev.task, 'ddd');
  assert.equal('eval' in ev.options, false, 'test.py evaluates by itself');
  assert.equal(ev.options.run_dataset_eval, true);
  assert.equal(ev.options.resume, false);
  assert.equal(ev.options.load_model, path.resolve('models/cf.pth'));
  assert.equal(ev.options.radar_sweeps, 3);
  assert.equal(ev.options.pointcloud, true);
  assert.equal('print_iter' in ev.options, false, 'the launch adds its own --print_iter');
  // Through the Python launch planner: the command CenterFusion runs.
  const planned = planPythonLaunch({ folder: '/ws', task: ev.task ?? 'ddd', trainer: { root: '/ws/CenterFusion', script: 'test.py' }, options: ev.options }, 1);
  assert.ok(planned.ok, planned.ok ? '' : planned.problems.join('; '));
  const args = planned.plan.args;
  assert.deepEqual(args.slice(0, 2), ['test.py', 'ddd']);
  for (const flag of ['--run_dataset_eval', '--pointcloud']) assert.ok(args.includes(flag), flag);
  assert.ok(!args.includes('--resume') && !args.includes('--eval'));
  assert.equal(args[args.indexOf('--load_model') + 1], path.resolve('models/cf.pth'));
  assert.equal(args[args.indexOf('--radar_sweeps') + 1], '3');
  assert.equal(planned.plan.cwd, '/ws/CenterFusion/src');
  // Without argv: the config's options (its own print_iter kept, its eval dropped).
  const fromConfig = planPythonEvaluation({ options: { exp_id: 'x', print_iter: 5, eval: true } }, '/m.pth');
  assert.deepEqual(fromConfig.options, { exp_id: 'x', print_iter: 5, run_dataset_eval: true, resume: false, load_model: '/m.pth' });
  assert.throws(() => planPythonEvaluation({}, '/m.pth'), /no options/);
});

test('Python evaluation against the fake CenterFusion checkout: a run of mode eval that loads the checkpoint', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'cfs-eval-py-'));
  try {
    const checkout = path.join(work, 'CenterFusion');
    cpSync(path.join(REPO, 'test', 'fixtures', 'python', 'fake_centerfusion'), checkout, { recursive: true });
    const ckpt = path.join(checkout, 'exp', 'ddd', 'cf', 'model_last.pth');
    mkdirSync(path.dirname(ckpt), { recursive: true });
    writeFileSync(ckpt, 'weights');
    // What a Python training run recorded: [script, task, ...options].
    const ev = planPythonEvaluation({ argv: ['main.py', 'ddd', '--exp_id', 'cf', '--num_iters', '3', '--val_split', 'mini_val'] }, ckpt);
    const planned = planPythonLaunch({ folder: work, task: ev.task ?? 'ddd', trainer: { root: 'CenterFusion', script: 'test.py' }, options: ev.options }, 1);
    assert.ok(planned.ok, planned.ok ? '' : planned.problems.join('; '));
    const store = new RunStore();
    const log: string[] = [];
    const proc = new PythonProcess(
      { runId: 'ev-1', python: 'python3', plan: planned.plan, folder: work, task: 'ddd', label: 'eval model_last.pth', followMs: 50 },
      store,
      (l) => log.push(l),
    );
    const exit = await proc.exited;
    assert.equal(exit.status, 'completed', log.join('\n'));
    const run = store.get('ev-1');
    assert.equal(run?.mode, 'eval');
    const record = JSON.parse(readFileSync(path.join(proc.runDir, 'run.json'), 'utf8')) as { mode: string; argv: string[] };
    assert.equal(record.mode, 'eval');
    assert.equal(record.argv[record.argv.indexOf('--load_model') + 1], ckpt, 'the evaluation names its checkpoint');
    const summary = summaryCandidates(undefined, planned.plan.saveDir, 'mini_val')[0];
    assert.ok(existsSync(summary), `${summary} written`);
    assert.equal(run?.lastEval?.NDS, 0.25);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the evaluation queue: one at a time, in order, visible, cancellable while waiting', async () => {
  const q = new EvaluationQueue();
  const seen: string[] = [];
  let changes = 0;
  q.onDidChange(() => changes++);
  const log: string[] = [];
  let running = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const job = (name: string, fail = false, wait?: Promise<void>) => async () => {
    running++;
    assert.equal(running, 1, 'never two at once');
    if (wait) await wait;
    await new Promise((r) => setImmediate(r));
    log.push(name);
    running--;
    if (fail) throw new Error('x');
  };
  const a = q.push('a.ckpt', job('a', false, gate));
  const b = q.push('b.ckpt', job('b', true));
  const c = q.push('c.ckpt', job('c'));
  const d = q.push('d.ckpt', job('d'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(q.entries().map((e) => `${e.label}:${e.state}`), ['a.ckpt:running', 'b.ckpt:queued', 'c.ckpt:queued', 'd.ckpt:queued']);
  assert.equal(q.size, 4);
  assert.equal(q.cancel(a.id), false, 'the running one is not cancelled here');
  assert.equal(q.cancel(c.id), true);
  assert.equal(q.cancel(c.id), false);
  await c.done; // a cancelled job settles at once
  for (const e of q.entries()) seen.push(e.label);
  assert.deepEqual(seen, ['a.ckpt', 'b.ckpt', 'd.ckpt']);
  release();
  await Promise.all([a.done, b.done, d.done]);
  assert.deepEqual(log, ['a', 'b', 'd'], 'in order, the failing b does not stop d, the cancelled c never ran');
  assert.equal(q.size, 0);
  assert.deepEqual(q.entries(), []);
  assert.ok(changes >= 8, `listeners hear pushes, starts, the cancel and ends (${changes})`);
});
