// Python runs against the fake CenterFusion checkout (test/fixtures/python/fake_centerfusion,
// run by Debian's python3): launch plan, events into the store and events.jsonl, run.json,
// per-epoch metrics copies, Stop ending the whole process group (workers included), killed runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { planPythonLaunch, type PythonLaunchPlan } from '../../src/extension/python/pythonLaunch';
import { PythonProcess } from '../../src/extension/python/pythonProcess';
import { TrainerProcesses } from '../../src/extension/process/trainerProcess';
import { isProcessAlive } from '../../src/extension/runs/runRecord';
import { readRunFolder } from '../../src/extension/runs/runLoader';
import { RunStore } from '../../src/extension/runs/runStore';

const repoRoot = resolve(__dirname, '..', '..', '..');
let work: string;
let checkout: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cfs-py-'));
  checkout = join(work, 'CenterFusion');
  cpSync(join(repoRoot, 'test', 'fixtures', 'python', 'fake_centerfusion'), checkout, { recursive: true });
});
after(() => rmSync(work, { recursive: true, force: true }));

function plan(options: Record<string, unknown>, trainer: Record<string, unknown> = {}): PythonLaunchPlan {
  const r = planPythonLaunch({ folder: work, task: 'ddd', trainer: { python: '', root: 'CenterFusion', ...trainer }, options });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.plan;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the launch plan: script, task, options, print_iter and PYTHONUNBUFFERED added and explained', () => {
  const p = plan({ exp_id: 'a', num_epochs: 3, lr_step: [2] }, { env: { CUDA_VISIBLE_DEVICES: 0 } });
  assert.deepEqual(p.args, ['main.py', 'ddd', '--exp_id', 'a', '--lr_step', '2', '--num_epochs', '3', '--print_iter', '1']);
  assert.equal(p.cwd, join(checkout, 'src'));
  assert.equal(p.saveDir, join(checkout, 'exp', 'ddd', 'a'));
  assert.deepEqual(p.env, { CUDA_VISIBLE_DEVICES: '0', PYTHONUNBUFFERED: '1' });
  assert.match(p.explanation, /--print_iter 1 .*not a terminal.*PYTHONUNBUFFERED=1/);
  const own = plan({ print_iter: 20 }, { env: { PYTHONUNBUFFERED: '1' }, script: 'test.py' });
  assert.deepEqual(own.args, ['test.py', 'ddd', '--print_iter', '20']);
  assert.match(own.explanation, /nothing added/);
  const bad = planPythonLaunch({ folder: work, task: 'ddd', trainer: { script: 'train.py', env: [] , gpu: 1 }, options: { bogus: 1 } });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? [] : bad.problems.map((m) => m.slice(0, 22)), [
    '"trainer.root" is requ',
    '"trainer.script" must ',
    '"trainer.env" must be ',
    '"trainer.gpu" is not a',
  ]);
  const badOptions = planPythonLaunch({ folder: work, task: 'ddd', trainer: { root: 'x' }, options: { num_epoch: 3 } });
  assert.ok(!badOptions.ok && /num_epoch: unknown option/.test(badOptions.problems[0]));
});

test('a Python run that completes: epochs, checkpoints, per-epoch metrics, run.json and events.jsonl', async () => {
  const store = new RunStore();
  const log: string[] = [];
  const p = plan({ exp_id: 'done', num_epochs: 3, val_intervals: 1, run_dataset_eval: true, lr_step: [2], save_point: [3] });
  const proc = new PythonProcess(
    { runId: 'py-done', python: 'python3', plan: p, folder: work, configName: 'fake', task: 'ddd', label: 'fake', followMs: 50,
      // The pause keeps each epoch's metrics_summary.json in place for 0.5 s before the next
      // evaluation overwrites it (a real epoch lasts minutes): a loaded CI machine once polled
      // too late for epoch 1's file.
      baseEnv: { ...process.env, FAKE_CF_ITER_DELAY: '0.05', FAKE_CF_EVAL_PAUSE: '0.5' } },
    store,
    (l) => log.push(l),
  );
  assert.equal(store.get('py-done')?.status, 'running');
  const exit = await proc.exited;
  assert.equal(exit.status, 'completed', log.join('\n'));
  const run = store.get('py-done')!;
  assert.equal(run.backend, 'python');
  assert.equal(run.attached, false);
  assert.deepEqual([...run.epochs.keys()], [1, 2, 3]);
  for (const e of run.epochs.values()) {
    assert.equal(e.done, true, `epoch ${e.epoch} done`);
    assert.ok(e.val !== null && e.val !== undefined, `epoch ${e.epoch} has validation`);
    assert.ok(e.eval !== undefined, `epoch ${e.epoch} has metrics`);
    assert.ok(Math.abs((e.eval.mAP ?? 0) - 0.1 * e.epoch) < 1e-9, `epoch ${e.epoch} metrics are its own: ${e.eval.mAP}`);
  }
  assert.equal(run.lr, 1.25e-5, 'Drop LR to');
  assert.deepEqual(run.checkpoints.map((c) => [c.path.split('/').pop(), c.epoch, c.kind]).sort(), [
    ['model_3.pth', 3, 'epoch'],
    ['model_last.pth', 3, 'last'],
  ]);
  const copies = join(p.saveDir, '.centerfusion-studio', 'metrics');
  const logsDir = readdirSync(copies)[0];
  assert.deepEqual(readdirSync(join(copies, logsDir, 'nuscenes_eval_det_output_val')).sort(), ['epoch_1.json', 'epoch_2.json', 'epoch_3.json']);
  assert.match(readFileSync(join(copies, logsDir, 'nuscenes_eval_det_output_val', 'epoch_1.json'), 'utf8'), /NaN/);
  assert.ok(log.some((l) => l.includes('$ cd ') && l.includes('main.py ddd --exp_id done')), log[0]);
  assert.ok(log.some((l) => l.includes('PYTHONUNBUFFERED=1')));
  // Read back from disk as a reloaded window would.
  const loaded = await readRunFolder(proc.runDir, work, () => false);
  assert.ok(loaded);
  assert.equal(loaded.meta.status, 'completed');
  assert.equal(loaded.meta.backend, 'python');
  assert.equal(loaded.meta.configName, 'fake');
  assert.deepEqual(loaded.problems, []);
  const reloaded = new RunStore().load(loaded.id, loaded.meta, loaded.events);
  assert.deepEqual([...reloaded.epochs.values()].map((e) => [e.epoch, e.done, e.eval?.mAP !== undefined]), [[1, true, true], [2, true, true], [3, true, true]]);
  const record = JSON.parse(readFileSync(join(proc.runDir, 'run.json'), 'utf8'));
  assert.equal(record.logs_dir, logsDir);
  assert.equal(record.last_epoch, 3);
  assert.equal(record.exit_code, 0);
});

test('Stop ends the whole process group, workers included; the run is stopped', async () => {
  const store = new RunStore();
  const log: string[] = [];
  const processes = new TrainerProcesses(store, (l) => log.push(l), 400);
  const pidfile = join(work, 'pids-stop.txt');
  const p = plan({ exp_id: 'stop', num_epochs: 1000 });
  const proc = processes.adopt(
    new PythonProcess(
      { runId: 'py-stop', python: 'python3', plan: p, folder: work, task: 'ddd', label: 'stop', followMs: 50, stepMs: 400,
        baseEnv: { ...process.env, FAKE_CF_WORKERS: '2', FAKE_CF_PIDFILE: pidfile, FAKE_CF_ITER_DELAY: '0.02' } },
      store,
      (l) => log.push(l),
    ),
  );
  await until(() => (store.get('py-stop')?.epoch ?? 0) >= 2 && existsSync(pidfile), 20_000, 'two epochs and the pid file');
  const pids = readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
  assert.equal(pids.length, 3);
  assert.equal(processes.get('py-stop'), proc);
  assert.equal(processes.stop('py-stop'), true);
  assert.equal(proc.stopping, true);
  const exit = await proc.exited;
  assert.equal(exit.status, 'stopped', log.join('\n'));
  assert.equal(exit.signal, 'SIGINT', 'Python re-raises KeyboardInterrupt as SIGINT');
  await until(() => pids.every((pid) => !isProcessAlive(pid)), 5000, `workers ${pids.join(' ')} to end`);
  const run = store.get('py-stop')!;
  assert.equal(run.status, 'stopped');
  assert.ok(run.errors.some((e) => e.startsWith('KeyboardInterrupt')), run.errors.join('; '));
  assert.ok(log.some((l) => l.includes('sent SIGTERM to the rest of process group')), log.join('\n'));
  assert.equal(JSON.parse(readFileSync(join(proc.runDir, 'run.json'), 'utf8')).status, 'stopped');
  assert.equal(processes.get('py-stop'), undefined);
});

test('a run killed from outside is marked killed; a crash is failed with its error', async () => {
  const store = new RunStore();
  const log: string[] = [];
  const pidfile = join(work, 'pids-kill.txt');
  const killed = new PythonProcess(
    { runId: 'py-kill', python: 'python3', plan: plan({ exp_id: 'kill', num_epochs: 1000 }), folder: work, task: 'ddd', label: 'kill', followMs: 50,
      baseEnv: { ...process.env, FAKE_CF_PIDFILE: pidfile } },
    store,
    (l) => log.push(l),
  );
  await until(() => (store.get('py-kill')?.epoch ?? 0) >= 1 && existsSync(pidfile), 20_000, 'an epoch');
  process.kill(-killed.pid!, 'SIGKILL');
  const exit = await killed.exited;
  assert.equal(exit.status, 'killed');
  assert.equal(store.get('py-kill')?.status, 'killed');
  assert.equal(JSON.parse(readFileSync(join(killed.runDir, 'run.json'), 'utf8')).status, 'killed');

  const crash = new PythonProcess(
    { runId: 'py-crash', python: 'python3', plan: plan({ exp_id: 'crash', num_epochs: 5 }), folder: work, task: 'ddd', label: 'crash', followMs: 50,
      baseEnv: { ...process.env, FAKE_CF_FAIL_AT: '2' } },
    store,
    (l) => log.push(l),
  );
  const cexit = await crash.exited;
  assert.equal(cexit.status, 'failed');
  assert.equal(cexit.code, 1);
  const run = store.get('py-crash')!;
  assert.ok(run.errors.some((e) => e.startsWith('RuntimeError: CUDA out of memory')), run.errors.join('; '));
  assert.equal(run.epochs.get(1)?.done, true);

  const missing = new PythonProcess(
    { runId: 'py-missing', python: join(work, 'no-such-python'), plan: plan({ exp_id: 'missing' }), folder: work, task: 'ddd', label: 'missing' },
    store,
    (l) => log.push(l),
  );
  const mexit = await missing.exited;
  assert.equal(mexit.status, 'failed');
  assert.ok(log.some((l) => l.includes('could not run') && l.includes('no-such-python')));
});

test('a reloaded window recognises a live Python run by CFS_RUN_ID, and a vanished one as gone', async () => {
  const { spawn } = await import('node:child_process');
  const { isTrainerAlive } = await import('../../src/extension/runs/runRecord');
  const child = spawn('python3', ['-c', 'import time; time.sleep(30)'], { env: { ...process.env, CFS_RUN_ID: 'py-env-1' }, stdio: 'ignore' });
  try {
    await until(() => child.pid !== undefined, 2000, 'the pid');
    await until(() => isTrainerAlive(child.pid!, 'py-env-1'), 5000, 'the environment to be readable');
    assert.equal(isTrainerAlive(child.pid!, 'py-env-2'), false, 'another run id: a recycled pid is not this run');
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((r) => child.once('exit', r));
  assert.equal(isTrainerAlive(child.pid!, 'py-env-1'), false);
});

test('finding the interpreter: a name on PATH, a path relative to the folder, nothing', async () => {
  const { findExecutable } = await import('../../src/extension/python/pythonLaunch');
  const onPath = await findExecutable('python3', process.env.PATH, work);
  assert.ok(onPath !== undefined && onPath.endsWith('/python3'), String(onPath));
  const { symlinkSync, mkdirSync: mk } = await import('node:fs');
  mk(join(work, 'venv', 'bin'), { recursive: true });
  symlinkSync(onPath, join(work, 'venv', 'bin', 'python'));
  assert.equal(await findExecutable('venv/bin/python', process.env.PATH, work), join(work, 'venv', 'bin', 'python'));
  assert.equal(await findExecutable('no-such-python-here', process.env.PATH, work), undefined);
  assert.equal(await findExecutable('venv/bin', process.env.PATH, work), undefined, 'a folder is not an interpreter');
});

test('test.py: a run of mode eval with its metrics (the printout and metrics_summary.json); an old file is not its result', async () => {
  const store = new RunStore();
  const log: string[] = [];
  const p = plan({ exp_id: 'evaluate', num_iters: 5, run_dataset_eval: true, val_split: 'mini_val' }, { script: 'test.py' });
  assert.deepEqual(p.args.slice(0, 2), ['test.py', 'ddd']);
  const proc = new PythonProcess({ runId: 'py-eval', python: 'python3', plan: p, folder: work, configName: 'fake', task: 'ddd', label: 'eval', followMs: 50 }, store, (l) => log.push(l));
  const exit = await proc.exited;
  assert.equal(exit.status, 'completed', log.join('\n'));
  const run = store.get('py-eval')!;
  assert.equal(run.mode, 'eval');
  assert.equal(run.epochs.size, 0, 'an evaluation has no epochs');
  assert.equal(run.iter?.phase, 'test');
  assert.equal(run.lastEval?.NDS, 0.25);
  const summary = join(p.saveDir, 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');
  const events = readFileSync(join(proc.runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const evals = events.filter((e) => e['type'] === 'eval');
  assert.ok(evals.some((e) => e['summary_path'] === summary), `an eval event points at ${summary}`);
  assert.ok(evals.every((e) => e['epoch'] === null));
  assert.equal(JSON.parse(readFileSync(join(proc.runDir, 'run.json'), 'utf8')).mode, 'eval');
  const loaded = await readRunFolder(proc.runDir, work, () => false);
  assert.equal(loaded?.meta.mode, 'eval');

  // A second evaluation that crashes leaves the first one's file in place: not its result.
  await new Promise((r) => setTimeout(r, 1500)); // a later start (mtimes within a second of the start count)
  const crash = new PythonProcess(
    { runId: 'py-eval-crash', python: 'python3', plan: p, folder: work, task: 'ddd', label: 'eval-crash', followMs: 50, baseEnv: { ...process.env, FAKE_CF_FAIL_AT: '2' } },
    store,
    (l) => log.push(l),
  );
  assert.equal((await crash.exited).status, 'failed');
  const crashed = store.get('py-eval-crash')!;
  assert.equal(crashed.lastEval, undefined, 'the earlier metrics_summary.json is stale for this run');
  assert.ok(crashed.errors.some((e) => e.startsWith('RuntimeError')), crashed.errors.join('; '));
});
