// VS Code reloaded while a run trains: the first window (store + TrainerProcesses) launches a run
// and goes away (dispose: it stops following, the process keeps running); a second window reads
// the run folders (loadRuns with the reattacher) and follows the run again, or, when the process
// died while no window watched, records how it ended. Builtin trainers (a fake CLI that writes
// events.jsonl like the real one) and Python runs (the fake CenterFusion checkout, python3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileTail } from '../../src/extension/process/fileTail';
import { isRecordedProcessAlive, processStartTime, readProcessRecord } from '../../src/extension/process/processRecord';
import { createReattacher } from '../../src/extension/process/reattach';
import { TrainerProcesses, type TrainerExit } from '../../src/extension/process/trainerProcess';
import { planPythonLaunch } from '../../src/extension/python/pythonLaunch';
import { PythonProcess } from '../../src/extension/python/pythonProcess';
import { loadRuns } from '../../src/extension/runs/runLoader';
import { isProcessAlive, runDirOf } from '../../src/extension/runs/runRecord';
import { RunStore } from '../../src/extension/runs/runStore';

const repoRoot = resolve(__dirname, '..', '..', '..');
let root: string;
let cli: string;

/**
 * `cli.js train --root-dir R --run-id ID <task> --exp_id E --epochs N --delay MS`: like the real
 * trainer, every event goes to stdout and to runs/<id>/events.jsonl, run.json is written at start
 * and end, SIGINT ends the run with run_end "stopped".
 */
const FAKE_CLI = String.raw`
const fs = require('fs'), path = require('path');
const a = process.argv.slice(2);
const arg = (name, dflt) => { const i = a.indexOf(name); return i >= 0 ? a[i + 1] : dflt; };
const root = arg('--root-dir'), run = arg('--run-id'), task = a[5], exp = arg('--exp_id', 'default');
const epochs = Number(arg('--epochs', '3')), delay = Number(arg('--delay', '100'));
const dir = path.join(root, 'exp', task, exp, 'runs', run);
fs.mkdirSync(dir, { recursive: true });
const record = { id: run, task, exp_id: exp, pid: process.pid, status: 'running', started: new Date().toISOString() };
fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(record));
const fd = fs.openSync(path.join(dir, 'events.jsonl'), 'a');
const emit = (body) => {
  const line = JSON.stringify({ v: 1, run, t: new Date().toISOString(), ...body }) + '\n';
  fs.writeSync(fd, line);
  process.stdout.write(line);
};
const finish = (status) => {
  emit({ type: 'run_end', status, exit_code: 0 });
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...record, status }));
  process.exit(0);
};
process.on('SIGINT', () => finish('stopped'));
emit({ type: 'run_start', task, exp_id: exp, mode: 'train', argv: a.slice(4), opts: { num_epochs: epochs }, save_dir: path.join(root, 'exp', task, exp), backend: 'cpu', pid: process.pid });
process.stderr.write('training ' + run + '\n');
let epoch = 0;
const next = () => {
  if (epoch > 0) emit({ type: 'epoch_end', epoch, train: { tot: 10 - epoch }, val: null, time_min: 0.001 });
  if (epoch === epochs) return finish('completed');
  epoch++;
  emit({ type: 'epoch_start', epoch, lr: 0.001 });
  setTimeout(next, delay);
};
next();
`;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cfs-reattach-'));
  cli = join(root, 'fake-cli.js');
  writeFileSync(cli, FAKE_CLI);
});
after(() => rmSync(root, { recursive: true, force: true }));

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A window: its store, processes and log, and the reattacher its activation wires in. */
function window(stepMs = 5000) {
  const store = new RunStore();
  const log: string[] = [];
  const processes = new TrainerProcesses(store, (l) => log.push(l), stepMs);
  const exits: TrainerExit[] = [];
  processes.onDidExit((e) => exits.push(e));
  const reattach = createReattacher({ store, processes, log: (l) => log.push(l), stepMs, followMs: 50 });
  return { store, log, processes, exits, reattach, load: (at: string) => loadRuns(store, at, { skip: (id) => processes.get(id) !== undefined, reattach }) };
}

function launch(w: ReturnType<typeof window>, runId: string, exp: string, epochs: number, delay: number) {
  return w.processes.start({
    cliPath: cli,
    root,
    runId,
    args: ['ddd', '--exp_id', exp, '--epochs', String(epochs), '--delay', String(delay)],
    label: `fake ${runId}`,
    meta: { configName: 'fake', task: 'ddd', exp_id: exp },
  });
}

test('FileTail: whole lines only, resumes at `consumed`, survives a missing file and a truncation', async () => {
  const file = join(root, 'tail.txt');
  const resets: number[] = [];
  const tail = new FileTail(file, { onReset: (_f, size) => resets.push(size) });
  assert.deepEqual(await tail.read(), [], 'no file yet');
  writeFileSync(file, 'one\ntw');
  assert.deepEqual((await tail.read()).map(String), ['one\n']);
  assert.equal(tail.consumed, 4);
  writeFileSync(file, 'one\ntwo\r3', { flag: 'w' });
  assert.deepEqual((await tail.read()).map(String), [], 'a \\r is not a line end unless asked');
  assert.deepEqual((await tail.drain()).map(String), ['two\r3'], 'drain hands over the unfinished rest');
  const resumed = new FileTail(file, { offset: 4, carriageReturns: true });
  assert.deepEqual((await resumed.read()).map(String), ['two\r']);
  writeFileSync(file, 'x\n');
  assert.deepEqual((await tail.read()).map(String), ['x\n'], 'a shorter file is read from its start');
  assert.deepEqual(resets, [2]);
});

test('process identity: the start time names one process', async () => {
  const start = processStartTime(process.pid);
  if (start === undefined) return; // no /proc here
  assert.match(start, /^\d+$/);
  const me = { pid: process.pid, start_time: start, host: (await import('node:os')).hostname(), backend: 'builtin' as const, started: '' };
  assert.equal(isRecordedProcessAlive(me), true);
  assert.equal(isRecordedProcessAlive({ ...me, start_time: String(Number(start) + 1) }), false, 'same pid, another start: a recycled pid');
  assert.equal(isRecordedProcessAlive({ ...me, host: `${me.host}-elsewhere` }), false);
});

test('builtin: a run survives its window; the next window reattaches and sees it complete with every epoch', async () => {
  const first = window();
  const proc = launch(first, 'b-live', 'live', 6, 250);
  const runDir = runDirOf(root, 'ddd', 'live', 'b-live');
  await until(() => (first.store.get('b-live')?.epoch ?? 0) >= 1, 10_000, 'the first epoch in the first window');
  assert.ok(existsSync(join(runDir, 'stdout.log')) && existsSync(join(runDir, 'stderr.log')), 'stdout and stderr go to files');
  await until(() => existsSync(join(runDir, 'process.json')), 2000, 'process.json');
  const record = await readProcessRecord(runDir);
  assert.equal(record?.pid, proc.pid);
  assert.equal(record?.backend, 'builtin');
  first.processes.dispose(); // the window reloads: it stops following, the trainer keeps going
  assert.ok(isProcessAlive(proc.pid!), 'the trainer outlives its window');

  const second = window();
  await second.load(root);
  const run = second.store.get('b-live');
  assert.equal(run?.status, 'running');
  assert.equal(run?.attached, true, 'followed live by the new window');
  assert.ok(second.processes.get('b-live'), 'Stop can reach it');
  await until(() => second.exits.length === 1, 15_000, 'the end of the run, seen by the second window');
  assert.deepEqual(second.exits[0], { runId: 'b-live', status: 'completed', code: null, signal: null, reported: true });
  const done = second.store.get('b-live')!;
  assert.equal(done.status, 'completed');
  assert.equal(done.attached, false);
  assert.deepEqual([...done.epochs.values()].map((e) => [e.epoch, e.done]), [1, 2, 3, 4, 5, 6].map((e) => [e, true]));
  assert.ok(second.log.some((l) => l.includes('reattached to the trainer')), second.log.join('\n'));
});

test('builtin: Stop on a reattached run signals its process group; the trainer reports stopped', async () => {
  const first = window();
  const proc = launch(first, 'b-stop', 'stop', 1000, 200);
  await until(() => (first.store.get('b-stop')?.epoch ?? 0) >= 1, 10_000, 'the first epoch');
  await until(() => existsSync(join(runDirOf(root, 'ddd', 'stop', 'b-stop'), 'process.json')), 2000, 'process.json');
  first.processes.dispose();
  const second = window();
  await second.load(root);
  assert.equal(second.processes.stop('b-stop'), true);
  await until(() => second.exits.some((e) => e.runId === 'b-stop'), 10_000, 'the stopped run');
  assert.equal(second.store.get('b-stop')?.status, 'stopped');
  await until(() => !isProcessAlive(proc.pid!), 5000, 'the trainer to end');
});

test('builtin: the trainer dies while no window watches: killed, with the reason and the last epoch; run.json finished', async () => {
  const first = window();
  const proc = launch(first, 'b-dead', 'dead', 1000, 150);
  const runDir = runDirOf(root, 'ddd', 'dead', 'b-dead');
  await until(() => (first.store.get('b-dead')?.epoch ?? 0) >= 2, 10_000, 'two epochs');
  await until(() => existsSync(join(runDir, 'process.json')), 2000, 'process.json');
  first.processes.dispose();
  process.kill(-proc.pid!, 'SIGKILL');
  await until(() => !isProcessAlive(proc.pid!), 5000, 'the trainer to die');
  const seen = first.store.get('b-dead')!.epoch!;

  const second = window();
  await second.load(root);
  await until(() => second.exits.some((e) => e.runId === 'b-dead'), 5000, 'the record to be finished');
  const run = second.store.get('b-dead')!;
  assert.equal(run.status, 'killed');
  assert.match(run.note ?? '', /ended while VS Code was not watching/);
  assert.ok((run.epoch ?? 0) >= seen, `the epochs written before the kill are kept (${run.epoch} >= ${seen})`);
  assert.match(run.note ?? '', new RegExp(`last epoch seen: ${run.epoch}\\b`));
  await until(() => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status === 'killed', 3000, 'run.json to say killed');
  // A third window reads the finished record and has nothing to follow.
  const third = window();
  await third.load(root);
  assert.equal(third.store.get('b-dead')?.status, 'killed');
  assert.equal(third.processes.get('b-dead'), undefined);
});

function pythonPlan(checkout: string, options: Record<string, unknown>) {
  const r = planPythonLaunch({ folder: root, task: 'ddd', trainer: { python: '', root: checkout }, options });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.plan;
}

test('Python: a run reattached after a reload completes with all its epochs; one that crashed unwatched is failed with its traceback', async () => {
  const checkout = join(root, 'CenterFusion');
  cpSync(join(repoRoot, 'test', 'fixtures', 'python', 'fake_centerfusion'), checkout, { recursive: true });
  const first = window();
  const live = new PythonProcess(
    { runId: 'py-live', python: 'python3', plan: pythonPlan(checkout, { exp_id: 'live', num_epochs: 8, num_iters: 5 }), folder: root, configName: 'fake',
      task: 'ddd', label: 'py-live', followMs: 50, baseEnv: { ...process.env, FAKE_CF_ITER_DELAY: '0.2' } },
    first.store,
    (l) => first.log.push(l),
  );
  first.processes.adopt(live);
  const crash = new PythonProcess(
    { runId: 'py-crash', python: 'python3', plan: pythonPlan(checkout, { exp_id: 'crash', num_epochs: 5, num_iters: 5 }), folder: root, configName: 'fake',
      task: 'ddd', label: 'py-crash', followMs: 50, baseEnv: { ...process.env, FAKE_CF_ITER_DELAY: '0.2', FAKE_CF_FAIL_AT: '4' } },
    first.store,
    (l) => first.log.push(l),
  );
  first.processes.adopt(crash);
  await until(() => (first.store.get('py-live')?.epoch ?? 0) >= 1 && (first.store.get('py-crash')?.epoch ?? 0) >= 1, 15_000, 'the first epochs');
  await new Promise((r) => setTimeout(r, 1100)); // console.json written (at most once a second)
  assert.equal(first.store.get('py-crash')?.status, 'running', 'the crash comes after the reload');
  first.processes.dispose();
  await until(() => !isProcessAlive(crash.pid!), 15_000, 'the crashing run to end while no window watches');
  assert.ok(isProcessAlive(live.pid!), 'the live run outlives its window');

  const second = window();
  await loadRuns(second.store, checkout, { skip: (id) => second.processes.get(id) !== undefined, reattach: second.reattach });
  await until(() => second.exits.length === 2, 30_000, `both runs to end in the second window: ${second.log.join('\n')} ${JSON.stringify(second.store.all().map((r) => [r.id, r.status, r.attached, r.backend]))}`);
  const ok = second.store.get('py-live')!;
  assert.equal(ok.status, 'completed', `${ok.note}\n${second.log.join('\n')}`);
  assert.deepEqual([...ok.epochs.values()].filter((e) => e.done).map((e) => e.epoch), [1, 2, 3, 4, 5, 6, 7, 8]);
  const failed = second.store.get('py-crash')!;
  assert.equal(failed.status, 'failed', failed.note);
  assert.match(failed.note ?? '', /ended while VS Code was not watching/);
  assert.ok(failed.errors.some((e) => e.startsWith('RuntimeError: CUDA out of memory')), failed.errors.join('; '));
  for (const id of ['py-live', 'py-crash']) {
    const events = readFileSync(join(checkout, 'exp', 'ddd', id === 'py-live' ? 'live' : 'crash', 'runs', id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events.filter((e) => e.type === 'run_end').length, 1, `${id}: one run_end`);
    assert.equal(events.filter((e) => e.type === 'run_start').length, 1, `${id}: one run_start`);
  }
  const record = JSON.parse(readFileSync(join(checkout, 'exp', 'ddd', 'crash', 'runs', 'py-crash', 'run.json'), 'utf8'));
  assert.equal(record.status, 'failed');
});
