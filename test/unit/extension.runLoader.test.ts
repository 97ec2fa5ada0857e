// Loading past runs from run folders (run.json + events.jsonl), stale detection, run.json updates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRunDirs, loadRun, loadRuns, readEventsFile } from '../../src/extension/runs/runLoader';
import { finishRunRecord, isProcessAlive, isTrainerAlive, parseRunRecord, runDirOf, writeRunRecord } from '../../src/extension/runs/runRecord';
import { RunStore } from '../../src/extension/runs/runStore';

let root: string;
/** A pid that certainly belonged to a process that has exited. */
let deadPid: number;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cfs-runs-'));
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  deadPid = Number(r.stdout);
  assert.ok(deadPid > 0 && !isProcessAlive(deadPid), 'the child should be gone');
});

after(() => rmSync(root, { recursive: true, force: true }));

function line(run: string, s: number, body: Record<string, unknown>): string {
  const t = new Date(Date.UTC(2026, 10, 25, 8, 0, 0) + s * 1000).toISOString();
  return JSON.stringify({ v: 1, run, t, ...body });
}

/** Writes a run folder; returns its path. `events` are lines (strings), written as given. */
function writeRun(id: string, record: Record<string, unknown> | undefined, events: string[] | undefined, expId = 'demo'): string {
  const dir = runDirOf(root, 'ddd', expId, id);
  mkdirSync(dir, { recursive: true });
  if (record !== undefined) writeFileSync(join(dir, 'run.json'), JSON.stringify({ id, task: 'ddd', exp_id: expId, ...record }));
  if (events !== undefined) writeFileSync(join(dir, 'events.jsonl'), events.join('\n') + '\n');
  return dir;
}

function trainingLines(id: string, epochs: number, end?: string): string[] {
  const out = [
    line(id, 0, { type: 'run_start', task: 'ddd', exp_id: 'demo', mode: 'train', argv: ['ddd'], opts: { num_epochs: 3 }, save_dir: join(root, 'exp/ddd/demo'), backend: 'cpu' }),
  ];
  for (let e = 1; e <= epochs; e++) {
    out.push(line(id, e * 10, { type: 'epoch_start', epoch: e, lr: 0.000125 }));
    out.push(line(id, e * 10 + 1, { type: 'iter', phase: 'train', epoch: e, iter: 0, num_iters: 2, losses: { tot: 3 } }));
    out.push(line(id, e * 10 + 2, { type: 'iter', phase: 'train', epoch: e, iter: 1, num_iters: 2, losses: { tot: 2.5 } }));
    out.push(line(id, e * 10 + 3, { type: 'epoch_end', epoch: e, train: { tot: 2.5 }, val: null, time_min: 0.01 }));
  }
  if (end !== undefined) out.push(line(id, 99, { type: 'run_end', status: end }));
  return out;
}

test('a completed run with a broken line in events.jsonl: folded, the bad line counted', async () => {
  const id = 'r-completed';
  const lines = trainingLines(id, 3, 'completed');
  lines.splice(3, 0, '{"v":1,"type":"iter", this is not json', '');
  writeRun(id, { status: 'completed', pid: deadPid, started: '2026-11-25T08:00:00.000Z' }, lines);
  const store = new RunStore();
  const run = await loadRun(store, runDirOf(root, 'ddd', 'demo', id), root);
  assert.ok(run);
  assert.equal(run.status, 'completed');
  assert.equal(run.problems, 1);
  assert.deepEqual([...run.epochs.keys()], [1, 2, 3]);
  assert.equal(run.folder, root);
  assert.equal(run.runDir, runDirOf(root, 'ddd', 'demo', id));
  assert.equal(run.attached, false);
  assert.equal(run.note, undefined);
  assert.deepEqual(run.iter && [run.iter.epoch, run.iter.iter], [3, 1], 'the last iter event is kept');
});

test('run.json says running but its pid is dead and no run_end: killed (stale), with the reason', async () => {
  const id = 'r-stale';
  writeRun(id, { status: 'running', pid: deadPid }, trainingLines(id, 1));
  const run = await loadRun(new RunStore(), runDirOf(root, 'ddd', 'demo', id), root);
  assert.ok(run);
  assert.equal(run.status, 'killed');
  assert.match(run.note ?? '', new RegExp(`pid ${deadPid}`));
  assert.match(run.note ?? '', /ended while VS Code was not watching/);
  assert.match(run.note ?? '', /last epoch seen: 1\b/);
  // Display only: the folder may be shared with another machine, so run.json is left alone.
  assert.equal(parseRunRecord(readFileSync(join(runDirOf(root, 'ddd', 'demo', id), 'run.json'), 'utf8'))?.status, 'running');
});

test('running with a live trainer stays running; another host\'s run is never judged by local pids', async () => {
  // A live process whose command line names the run, as the trainer's does (--run-id <id>).
  const trainer = spawn(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 30000)', '--', '--run-id', 'r-live'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Once it writes, exec is done and /proc shows its own command line.
  await new Promise((resolve, reject) => {
    trainer.stdout.once('data', resolve);
    trainer.once('exit', (code) => reject(new Error(`the stand-in trainer exited (${code})`)));
  });
  try {
    writeRun('r-live', { status: 'running', pid: trainer.pid }, trainingLines('r-live', 1));
    writeRun('r-recycled', { status: 'running', pid: process.pid }, trainingLines('r-recycled', 1)); // alive, but not its trainer
    writeRun('r-remote', { status: 'running', pid: deadPid, host: `${hostname()}-elsewhere` }, trainingLines('r-remote', 1));
    writeRun('r-here', { status: 'running', pid: deadPid, host: hostname() }, trainingLines('r-here', 1));
    const store = new RunStore();
    for (const id of ['r-live', 'r-recycled', 'r-remote', 'r-here']) await loadRun(store, runDirOf(root, 'ddd', 'demo', id), root);
    assert.equal(store.get('r-live')?.status, 'running');
    assert.equal(store.get('r-recycled')?.status, process.platform === 'linux' ? 'killed' : 'running');
    assert.equal(store.get('r-remote')?.status, 'running');
    assert.equal(store.get('r-here')?.status, 'killed');
    assert.equal(isTrainerAlive(trainer.pid!, 'r-live'), true);
    assert.equal(isTrainerAlive(deadPid, 'r-live'), false);
  } finally {
    trainer.kill();
  }
});

test('status sources: run_end beats run.json; a finished run.json stands in for a missing run_end', async () => {
  writeRun('r-end-wins', { status: 'running', pid: deadPid }, trainingLines('r-end-wins', 2, 'stopped'));
  writeRun('r-record', { status: 'failed', exit_code: 3, ended: '2026-11-25T08:05:00.000Z' }, trainingLines('r-record', 1));
  writeRun('r-events-only', undefined, trainingLines('r-events-only', 1, 'completed'));
  const store = new RunStore();
  for (const id of ['r-end-wins', 'r-record', 'r-events-only']) await loadRun(store, runDirOf(root, 'ddd', 'demo', id), root);
  assert.equal(store.get('r-end-wins')?.status, 'stopped');
  assert.equal(store.get('r-end-wins')?.note, undefined);
  assert.equal(store.get('r-record')?.status, 'failed');
  assert.equal(store.get('r-record')?.exit_code, 3);
  assert.equal(store.get('r-events-only')?.status, 'completed');
  assert.equal(store.get('r-events-only')?.task, 'ddd');
});

test('loadRuns scans exp/*/*/runs/*, skips what it is told to, and reloading does not double count', async () => {
  const scan = mkdtempSync(join(tmpdir(), 'cfs-scan-'));
  try {
    for (const [task, expId, id] of [['ddd', 'a', 'r1'], ['ddd', 'b', 'r2'], ['ctdet', 'a', 'r3']]) {
      const dir = runDirOf(scan, task, expId, id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'events.jsonl'), trainingLines(id, 2, 'completed').join('\n') + '\nnot json\n');
    }
    mkdirSync(join(scan, 'exp', 'ddd', 'a', 'runs', 'empty'), { recursive: true }); // neither file: not a run
    writeFileSync(join(scan, 'exp', 'ddd', 'a', 'opt.txt'), 'a file among the folders');
    const store = new RunStore();
    const first = await loadRuns(store, scan, { skip: (id) => id === 'r3' });
    assert.deepEqual(first, { runs: 2, problems: 2 });
    assert.deepEqual(store.all().map((r) => r.id).sort(), ['r1', 'r2']);
    await loadRuns(store, scan, {});
    assert.equal(store.size, 3);
    assert.equal(store.get('r1')?.problems, 1, 'reloading replaces, never adds');
    assert.equal((await findRunDirs(scan, 2)).length, 2, 'bounded');
    assert.deepEqual(await loadRuns(store, join(scan, 'missing')), { runs: 0, problems: 0 });
  } finally {
    rmSync(scan, { recursive: true, force: true });
  }
});

test('readEventsFile: a missing file is no events and no problem', async () => {
  assert.deepEqual(await readEventsFile(join(root, 'nope', 'events.jsonl')), { events: [], problems: [], bytes: 0 });
});

test('readEventsFile: `bytes` ends at the last whole line (where a reattached window follows on)', async () => {
  const lines = trainingLines('r-bytes', 1);
  const whole = `${lines.join('\n')}\n`;
  const file = join(root, 'bytes-events.jsonl');
  writeFileSync(file, `${whole}{"v":1,"type":"epoch_st`); // a line being written
  const read = await readEventsFile(file);
  assert.equal(read.bytes, Buffer.byteLength(whole));
  assert.equal(read.events.filter((e) => e.type === 'epoch_end').length, 1);
});

test('finishRunRecord ends a run.json that still says running, atomically, keeping other fields', async () => {
  const dir = writeRun('r-finish', { status: 'running', pid: deadPid, backend: 'cpu', last_epoch: 1 }, undefined);
  const ended = '2026-11-25T09:00:00.000Z';
  assert.equal(await finishRunRecord(dir, { status: 'killed', ended, exit_code: null, signal: 'SIGKILL' }), true);
  const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(record.status, 'killed');
  assert.equal(record.ended, ended);
  assert.equal(record.exit_code, null);
  assert.equal(record.signal, 'SIGKILL');
  assert.equal(record.backend, 'cpu');
  assert.equal(record.last_epoch, 1);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'run.json'), [], 'no temporary file left behind');
  // Already finished (by the trainer or before): left alone.
  assert.equal(await finishRunRecord(dir, { status: 'failed', ended }), false);
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status, 'killed');
  assert.equal(await finishRunRecord(join(root, 'no-such-run'), { status: 'failed', ended }), false);
});

test('run.json parsing drops fields of the wrong type and rejects non-objects', async () => {
  assert.equal(parseRunRecord('[1]'), undefined);
  assert.equal(parseRunRecord('{oops'), undefined);
  const r = parseRunRecord(JSON.stringify({ id: 5, status: 'exploded', pid: -1, argv: ['a', 2], task: 'ddd', extra: true }));
  assert.deepEqual(r, { task: 'ddd', extra: true });
  const dir = join(root, 'write-test');
  mkdirSync(dir);
  await writeRunRecord(dir, { id: 'w', status: 'running' });
  assert.ok(existsSync(join(dir, 'run.json')));
});
