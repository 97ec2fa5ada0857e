// Trainer processes against a fake trainer (a small node script written to a temp folder):
// events into the store, stderr and bad lines into the log, ends without run_end, Stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferStatus, TrainerProcesses, type TrainerExit } from '../../src/extension/process/trainerProcess';
import { isProcessAlive, runDirOf } from '../../src/extension/runs/runRecord';
import { RunStore } from '../../src/extension/runs/runStore';

let root: string;
let cli: string;

/**
 * The fake trainer: `cli.js train --root-dir R --run-id ID <task> [--exp_id E] --behave B`.
 * Writes run.json (status running) like the real one, then behaves as B says.
 */
const FAKE_CLI = String.raw`
const fs = require('fs'), path = require('path');
const a = process.argv.slice(2);
const arg = (name, dflt) => { const i = a.indexOf(name); return i >= 0 ? a[i + 1] : dflt; };
const root = arg('--root-dir'), run = arg('--run-id'), task = a[5], exp = arg('--exp_id', 'default');
const behave = arg('--behave', 'complete');
const dir = path.join(root, 'exp', task, exp, 'runs', run);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id: run, task, exp_id: exp, pid: process.pid, status: 'running' }));
let s = 0;
const emit = (body) => process.stdout.write(JSON.stringify({ v: 1, run, t: new Date(Date.UTC(2026, 0, 1) + 1000 * s++).toISOString(), ...body }) + '\n');
emit({ type: 'run_start', task, exp_id: exp, mode: 'train', argv: a.slice(4), opts: { num_epochs: 2 }, save_dir: path.join(root, 'exp', task, exp), backend: 'cpu' });
process.stderr.write('loading synthetic data\npartial line without newline');
if (behave === 'complete') {
  for (let epoch = 1; epoch <= 2; epoch++) {
    emit({ type: 'epoch_start', epoch, lr: 0.001 });
    emit({ type: 'epoch_end', epoch, train: { tot: 3 - epoch }, val: null, time_min: 0.01 });
  }
  process.stdout.write('this is not an event\n');
  emit({ type: 'run_end', status: 'completed', exit_code: 0 });
} else if (behave === 'crash') {
  emit({ type: 'epoch_start', epoch: 1, lr: 0.001 });
  process.exitCode = 3;
} else {
  // Loop until stopped. 'graceful' reports its end on SIGINT; 'stubborn' ignores SIGINT and
  // SIGTERM (only SIGKILL ends it); 'plain' has no handler, so SIGINT ends it by signal.
  if (behave === 'graceful') process.on('SIGINT', () => { emit({ type: 'run_end', status: 'stopped' }); process.exit(0); });
  if (behave === 'stubborn') { process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); }
  emit({ type: 'epoch_start', epoch: 1, lr: 0.001 });
  let i = 0;
  setInterval(() => emit({ type: 'iter', phase: 'train', epoch: 1, iter: i++, num_iters: 1000000, losses: { tot: 1 } }), 20);
}
`;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cfs-proc-'));
  cli = join(root, 'fake-cli.js');
  writeFileSync(cli, FAKE_CLI);
});

after(() => rmSync(root, { recursive: true, force: true }));

function setup(stepMs = 5000): { store: RunStore; log: string[]; processes: TrainerProcesses; exits: TrainerExit[] } {
  const store = new RunStore();
  const log: string[] = [];
  const processes = new TrainerProcesses(store, (line) => log.push(line), stepMs);
  const exits: TrainerExit[] = [];
  processes.onDidExit((exit) => exits.push(exit));
  return { store, log, processes, exits };
}

function launch(processes: TrainerProcesses, runId: string, behave: string) {
  return processes.start({
    cliPath: cli,
    root,
    runId,
    args: ['ddd', '--exp_id', 'fake', '--behave', behave],
    label: `fake ${runId}`,
    meta: { configName: 'fake', task: 'ddd', exp_id: 'fake' },
  });
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const recordStatus = (runId: string): unknown =>
  JSON.parse(readFileSync(join(runDirOf(root, 'ddd', 'fake', runId), 'run.json'), 'utf8')).status;

test('a trainer that completes: events folded, stderr and bad lines logged with the run label', async () => {
  const { store, log, processes, exits } = setup();
  const proc = launch(processes, 'p-complete', 'complete');
  assert.equal(store.get('p-complete')?.status, 'running', 'shown at once, before the first event');
  assert.equal(store.get('p-complete')?.attached, true);
  const exit = await proc.exited;
  assert.deepEqual(exit, { runId: 'p-complete', status: 'completed', code: 0, signal: null, reported: true });
  await until(() => exits.length === 1, 1000, 'the exit listener');
  const run = store.get('p-complete')!;
  assert.equal(run.status, 'completed');
  assert.equal(run.attached, false);
  assert.equal(run.configName, 'fake');
  assert.equal(run.problems, 1);
  assert.equal(run.pid, proc.pid);
  assert.deepEqual([...run.epochs.keys()], [1, 2]);
  assert.ok(log[0].startsWith('[fake p-complete] $ node '), log[0]);
  assert.ok(log[0].includes("train --root-dir") && log[0].includes('--run-id p-complete ddd --exp_id fake'), log[0]);
  assert.ok(log.includes('[fake p-complete] loading synthetic data'), log.join('\n'));
  assert.ok(log.includes('[fake p-complete] partial line without newline'), 'the last partial stderr line is flushed');
  assert.ok(log.some((l) => l.startsWith('[fake p-complete] bad event line') && l.includes('this is not an event')), log.join('\n'));
  assert.equal(proc.stop(), false, 'nothing to stop any more');
});

test('a trainer that dies without run_end: failed, and run.json finished for it', async () => {
  const { store, log, processes } = setup();
  const exit = await launch(processes, 'p-crash', 'crash').exited;
  assert.deepEqual(exit, { runId: 'p-crash', status: 'failed', code: 3, signal: null, reported: false });
  const run = store.get('p-crash')!;
  assert.equal(run.status, 'failed');
  assert.equal(run.exit_code, 3);
  assert.match(run.note ?? '', /exit code 3/);
  assert.ok(log.some((l) => l.includes('without reporting the end')));
  await until(() => recordStatus('p-crash') === 'failed', 2000, 'run.json to say failed');
});

test('Stop: SIGINT to the group, the trainer reports "stopped"', async () => {
  const { store, processes } = setup();
  const proc = launch(processes, 'p-graceful', 'graceful');
  await until(() => (store.get('p-graceful')?.iter?.iter ?? -1) >= 2, 5000, 'some iterations');
  assert.equal(processes.stop('p-graceful'), true);
  assert.equal(proc.stopping, true);
  const exit = await proc.exited;
  assert.equal(exit.status, 'stopped');
  assert.equal(exit.reported, true);
  assert.equal(store.get('p-graceful')?.status, 'stopped');
});

test('Stop escalates: SIGTERM, then SIGKILL for a trainer that ignores both; killed', async () => {
  const { store, log, processes } = setup(150);
  const proc = launch(processes, 'p-stubborn', 'stubborn');
  await until(() => store.get('p-stubborn')?.iter !== undefined, 5000, 'the first iteration');
  const pid = proc.pid!;
  processes.stop('p-stubborn');
  const exit = await proc.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.status, 'killed');
  assert.equal(store.get('p-stubborn')?.status, 'killed');
  assert.ok(log.some((l) => l.includes('sent SIGTERM')) && log.some((l) => l.includes('sent SIGKILL')), log.join('\n'));
  assert.equal(isProcessAlive(pid), false);
  await until(() => recordStatus('p-stubborn') === 'killed', 2000, 'run.json to say killed');
});

test('Stop of a run this window did not start (found on disk): signals its recorded pid, reports when gone', async () => {
  const owner = setup();
  const proc = launch(owner.processes, 'p-foreign', 'graceful');
  await until(() => owner.store.get('p-foreign')?.iter !== undefined, 5000, 'the first iteration');
  const other = setup(); // another window: knows the run only from run.json
  other.store.update('p-foreign', { status: 'running', pid: proc.pid });
  other.store.update('p-done', { status: 'completed', pid: proc.pid });
  assert.equal(other.processes.stop('p-done'), false, 'a finished run is never signalled');
  other.store.update('p-stranger', { status: 'running', pid: process.pid });
  assert.equal(other.processes.stop('p-stranger'), process.platform !== 'linux', 'a pid that is not its trainer is never signalled');
  const gone = new Promise<void>((resolve) => assert.equal(other.processes.stop('p-foreign', resolve), true));
  await gone;
  assert.equal((await proc.exited).status, 'stopped');
  other.processes.dispose();
});

test('a trainer ended by SIGINT without a handler counts as stopped, not killed', async () => {
  const { processes, store } = setup();
  const proc = launch(processes, 'p-plain', 'plain');
  await until(() => store.get('p-plain')?.iter !== undefined, 5000, 'the first iteration');
  processes.stop('p-plain');
  const exit = await proc.exited;
  assert.equal(exit.signal, 'SIGINT');
  assert.equal(exit.status, 'stopped');
});

test('a trainer that cannot start: failed, with the reason', async () => {
  const { store, processes } = setup();
  const exit = await processes.start({ cliPath: cli, root, runId: 'p-nonode', args: ['ddd'], label: 'x', execPath: join(root, 'no-such-node') }).exited;
  assert.equal(exit.status, 'failed');
  assert.match(store.get('p-nonode')?.note ?? '', /could not be started/);
});

test('inferStatus', () => {
  assert.equal(inferStatus(0, null, false), 'completed');
  assert.equal(inferStatus(1, null, true), 'failed');
  assert.equal(inferStatus(null, 'SIGTERM', true), 'stopped');
  assert.equal(inferStatus(null, 'SIGTERM', false), 'killed');
  assert.equal(inferStatus(null, 'SIGKILL', true), 'killed');
});
