// Faults against the real `centerfusion train` (dist/cli.js): SIGKILL mid-epoch and mid-save, a
// non-zero exit, a full disk during a save, a truncated events file, two launches of one exp_id.
// After each: no half-written checkpoint or run record, everything written before the fault
// readable, the run's final status true, and a clear message. docs/reliability.md lists them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventReader, parseEventLines, serializeEvent } from '../../src/shared/protocol';
import type { RunEvent } from '../../src/shared/protocol/types';
import { readCheckpoint } from '../../src/trainer/checkpoint';
import { EXP_LOCK_FILE } from '../../src/trainer/run-files';
import { readEventsFile, readRunFolder } from '../../src/extension/runs/runLoader';
import { parseRunRecord } from '../../src/extension/runs/runRecord';
import { TrainerProcesses } from '../../src/extension/process/trainerProcess';
import { RunStore } from '../../src/extension/runs/runStore';
import { CliRun, CLI, TINY, cliMissing, readJson, runDirs, tempFiles, until } from './reliability.helpers';

const skip = cliMissing();
let root: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-faults-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function saveDirOf(exp: string, base = root): string {
  return path.join(base, 'exp', 'ddd', exp);
}

/** Every whole line the trainer printed is in events.jsonl, in order, byte for byte. */
function assertStdoutOnDisk(stdout: string, eventsFile: string): void {
  const whole = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
  const disk = fs.readFileSync(eventsFile, 'utf8');
  assert.ok(disk.startsWith(whole), `events.jsonl does not hold every line the trainer printed (${whole.length} bytes printed, ${disk.length} on disk)`);
}

function ofType<T extends RunEvent['type']>(events: readonly RunEvent[], type: T): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

test('SIGKILL mid-epoch: checkpoint and records readable, the run shows as killed, --resume takes over the stale lock', { skip }, async () => {
  const exp = 'kill_epoch';
  const run = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '3', '--num_iters', '30', '--root-dir', root]);
  // Kill once epoch 2 is under way (epoch 1's checkpoint and run.json are written by then).
  await until(() => run.events().some((e) => e.type === 'iter' && e.epoch === 2 && e.iter >= 1), 'an iteration of epoch 2');
  run.kill('SIGKILL');
  const exit = await run.exited;
  assert.equal(exit.signal, 'SIGKILL');

  const saveDir = saveDirOf(exp);
  const [runDir] = runDirs(saveDir);
  const ckpt = readCheckpoint(path.join(saveDir, 'model_last.ckpt'));
  assert.equal(ckpt.header.epoch, 1, 'model_last.ckpt is the last complete save (epoch 1)');
  const record = parseRunRecord(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.ok(record !== undefined, 'run.json parses');
  assert.equal(record.status, 'running', 'the trainer could not finish run.json itself');
  assert.equal(record.last_epoch, 1);
  assertStdoutOnDisk(run.stdout, path.join(runDir, 'events.jsonl'));
  const read = await readEventsFile(path.join(runDir, 'events.jsonl'));
  assert.equal(read.problems.length, 0, JSON.stringify(read.problems));
  assert.deepEqual(tempFiles(saveDir), []);

  // The host reads the folder: a dead pid that never reported its end is killed, not completed.
  const loaded = await readRunFolder(runDir, root);
  assert.equal(loaded?.meta.status, 'killed');
  assert.match(loaded?.meta.note ?? '', /pid \d+\b.*marked killed/, 'the note says why');
  assert.deepEqual(ofType(loaded?.events ?? [], 'epoch_end').map((e) => e.epoch), [1]);

  // The lock of the killed run is stale: a resume of the same exp_id takes it over and finishes.
  assert.ok(fs.existsSync(path.join(saveDir, EXP_LOCK_FILE)), 'the killed run left its lock');
  const resumed = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '2', '--num_iters', '2', '--resume', '--root-dir', root]);
  const done = await resumed.exited;
  assert.equal(done.code, 0, resumed.stderr);
  const starts = ofType(resumed.events(), 'epoch_start').map((e) => e.epoch);
  assert.deepEqual(starts, [2], 'resumed after epoch 1');
  assert.equal(fs.existsSync(path.join(saveDir, EXP_LOCK_FILE)), false, 'the lock is released at the end');
});

test('SIGKILL mid-checkpoint-save (through the host): the previous checkpoint stands, the run is killed, run.json finished', { skip }, async () => {
  const exp = 'kill_save';
  const store = new RunStore();
  const log: string[] = [];
  const processes = new TrainerProcesses(store, (line) => log.push(line), 200);
  const runId = 'kill-save-run';
  const proc = processes.start({
    cliPath: CLI,
    root,
    runId,
    args: ['ddd', ...TINY, '--exp_id', exp, '--num_epochs', '3', '--num_iters', '2'],
    label: exp,
    meta: { task: 'ddd', exp_id: exp },
    env: { ...process.env, CFS_TEST_CHECKPOINT_PAUSE: 'before-rename:1500' },
  });
  // The first save pauses and completes; the second is killed while paused before its rename.
  const pauses = (): number => log.filter((l) => /cfs-test: checkpoint paused before-rename/.test(l)).length;
  await until(() => pauses() >= 2, 'the second checkpoint save');
  process.kill(proc.pid as number, 'SIGKILL');
  const exit = await proc.exited;
  assert.equal(exit.status, 'killed');
  assert.equal(exit.reported, false);

  const saveDir = saveDirOf(exp);
  const runDir = path.join(saveDir, 'runs', runId);
  const ckpt = readCheckpoint(path.join(saveDir, 'model_last.ckpt'));
  assert.equal(ckpt.header.epoch, 1, 'the file is still the complete epoch-1 checkpoint');
  const leftovers = tempFiles(saveDir);
  assert.equal(leftovers.length, 1, 'the complete but unrenamed temporary file of the killed save');
  assert.match(path.basename(leftovers[0]), /^\.model_last\.ckpt\.\d+\.tmp$/);

  const run = store.get(runId);
  assert.equal(run?.status, 'killed');
  assert.deepEqual([...(run?.epochs.keys() ?? [])].filter((e) => run?.epochs.get(e)?.train !== undefined), [1]);
  assert.deepEqual(run?.checkpoints.map((c) => c.epoch), [1], 'no checkpoint event for the save that never finished');
  assert.ok(log.some((l) => /without reporting the end of the run/.test(l)), 'the log says why');
  // run.json is finished by the host (asynchronously after the exit).
  const record = await until(() => {
    const r = parseRunRecord(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    return r?.status === 'killed' ? r : undefined;
  }, 'run.json to say killed', 5000);
  assert.equal(record.signal, 'SIGKILL');
  processes.dispose();

  // The next run of the exp_id removes the dead run's temporary file when it takes over the lock.
  const next = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '1', '--num_iters', '1', '--root-dir', root]);
  assert.equal((await next.exited).code, 0, next.stderr);
  assert.deepEqual(tempFiles(saveDir), []);
});

test('the trainer exiting non-zero: status failed in run.json and events, exit code and a clear message', { skip }, async () => {
  const exp = 'fails';
  const missing = path.join(root, 'no-such-model.ckpt');
  const run = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '2', '--num_iters', '1', '--load_model', missing, '--root-dir', root]);
  const exit = await run.exited;
  assert.equal(exit.code, 1);
  assert.match(run.stderr, new RegExp(`error: checkpoint not found: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const [runDir] = runDirs(saveDirOf(exp));
  const record = readJson(path.join(runDir, 'run.json'));
  assert.equal(record.status, 'failed');
  assert.equal(record.exit_code, 1);
  const events = parseEventLines(fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).events;
  assert.match(ofType(events, 'error')[0]?.message ?? '', /checkpoint not found/);
  assert.equal(ofType(events, 'run_end')[0]?.status, 'failed');
  const loaded = await readRunFolder(runDir, root);
  assert.equal(loaded?.meta.status, 'failed');
  assert.equal(fs.existsSync(path.join(saveDirOf(exp), EXP_LOCK_FILE)), false, 'a failed run releases its lock');
});

/** Mounts a small tmpfs (root only); undefined where that is not possible here. */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0;
}

test('disk full during a save: clear message, run failed, the previous checkpoint and the records intact', { skip, timeout: 120_000 }, async (t) => {
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-full-'));
  if (!mountTmpfs(disk, '16m')) {
    fs.rmSync(disk, { recursive: true, force: true });
    t.skip('needs root and mount -t tmpfs to make a small disk');
    return;
  }
  try {
    const exp = 'full';
    const run = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '3', '--num_iters', '2', '--root-dir', disk], {
      CFS_TEST_CHECKPOINT_PAUSE: 'before-write:1000',
    });
    // Epoch 1 saves normally; when epoch 2's save is about to write, fill the disk but for 32 KiB.
    await until(() => (run.stderr.match(/cfs-test: checkpoint paused before-write/g) ?? []).length >= 2, 'the second save');
    const st = fs.statfsSync(disk);
    const free = st.bavail * st.bsize;
    const filler = path.join(disk, 'filler.bin');
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(1 << 20);
    let left = free - 32 * 1024;
    while (left > 0) left -= fs.writeSync(fd, block, 0, Math.min(block.length, left));
    fs.closeSync(fd);
    const exit = await run.exited;

    assert.equal(exit.code, 1, run.stderr);
    assert.match(run.stderr, /error: cannot save .*model_last\.ckpt: no space left \(ENOSPC\).*previous checkpoint, if any, is unchanged/);
    const saveDir = saveDirOf(exp, disk);
    assert.equal(readCheckpoint(path.join(saveDir, 'model_last.ckpt')).header.epoch, 1);
    assert.deepEqual(tempFiles(saveDir), [], 'the failed save removed its temporary file');
    const [runDir] = runDirs(saveDir);
    const record = readJson(path.join(runDir, 'run.json'));
    assert.equal(record.status, 'failed');
    const events = (await readEventsFile(path.join(runDir, 'events.jsonl'))).events;
    assert.match(ofType(events, 'error')[0]?.message ?? '', /no space left/);
    assert.equal(ofType(events, 'run_end')[0]?.status, 'failed');
    assert.deepEqual(ofType(events, 'checkpoint').map((c) => c.epoch), [1]);
  } finally {
    spawnSync('umount', [disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  }
});

test('an events file truncated mid-line: every whole event is kept, the partial line is reported', { skip }, async () => {
  // A real events file: the completed run of the non-zero test is short; make a fresh one.
  const exp = 'truncate';
  const run = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '2', '--num_iters', '2', '--root-dir', root]);
  assert.equal((await run.exited).code, 0, run.stderr);
  const [runDir] = runDirs(saveDirOf(exp));
  const full = fs.readFileSync(path.join(runDir, 'events.jsonl'));
  const lines = full.toString('utf8').split('\n').slice(0, -1);
  const all = parseEventLines(full.toString('utf8')).events;
  assert.equal(all.length, lines.length);

  // Cut at every byte of the last three lines and at line starts across the file.
  const ends: number[] = [];
  let at = 0;
  for (const line of lines) {
    at += Buffer.byteLength(line) + 1;
    ends.push(at);
  }
  const cuts = new Set<number>();
  for (let c = ends[ends.length - 4]; c <= full.length; c++) cuts.add(c);
  for (let i = 0; i < ends.length; i += 3) cuts.add(ends[i] - 7);
  const file = path.join(root, 'truncated.jsonl');
  for (const cut of cuts) {
    fs.writeFileSync(file, full.subarray(0, cut));
    const whole = ends.filter((e) => e <= cut).length;
    const partial = cut > (ends[whole - 1] ?? 0);
    const partialText = full.subarray(ends[whole - 1] ?? 0, cut).toString('utf8');
    // A cut just before a newline leaves a complete JSON object: that last event is whole too.
    const partialIsWhole = partial && parseEventLines(partialText).events.length === 1;
    const read = await readEventsFile(file);
    const expected = whole + (partialIsWhole ? 1 : 0);
    // readEventsFile keeps only the newest iter; compare the non-iter events and the last one.
    const want = all.slice(0, expected);
    const wantNonIter = want.filter((e) => e.type !== 'iter').map((e) => serializeEvent(e));
    const gotNonIter = read.events.filter((e) => e.type !== 'iter').map((e) => serializeEvent(e));
    assert.deepEqual(gotNonIter, wantNonIter, `cut at ${cut}: events`);
    const reader = new EventReader();
    const a = reader.push(full.subarray(0, cut));
    const b = reader.end();
    assert.equal(a.events.length + b.events.length, expected, `cut at ${cut}: reader events`);
    const problems = [...a.problems, ...b.problems, ...read.problems];
    if (partial && !partialIsWhole) {
      assert.equal(read.problems.length, 1, `cut at ${cut}: the partial line is reported once`);
      assert.equal(read.problems[0].line, whole + 1, `cut at ${cut}: on its line number`);
    } else {
      assert.deepEqual(problems, [], `cut at ${cut}: no problem for whole lines`);
    }
  }
});

test('two runs of one exp_id at once: the second is refused with a clear message, the first is unharmed', { skip }, async () => {
  const exp = 'twice';
  const first = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '3', '--num_iters', '40', '--root-dir', root, '--run-id', 'first-run']);
  // The lock is taken before run_start; the first run then builds its data and trains for a while.
  await until(() => first.events().some((e) => e.type === 'run_start'), 'the first run to start');
  const second = new CliRun(['train', 'ddd', ...TINY, '--exp_id', exp, '--num_epochs', '1', '--num_iters', '1', '--root-dir', root, '--run-id', 'second-run']);
  const refused = await second.exited;
  assert.equal(refused.code, 1);
  assert.match(second.stderr, new RegExp(`refused: exp_id "${exp}" is already training: run first-run \\(pid ${first.pid}\\b.*stop that run, or train with another --exp_id`));
  const events = second.events();
  assert.equal(ofType(events, 'error')[0]?.error_type, 'ExpLockError');
  assert.equal(ofType(events, 'run_end')[0]?.status, 'failed');
  assert.deepEqual(runDirs(saveDirOf(exp)).map((d) => path.basename(d)), ['first-run'], 'the refused run wrote nothing in the folder');
  assert.equal(first.child.exitCode, null, 'the first run still trains');

  first.kill('SIGINT');
  const stopped = await first.exited;
  assert.equal(stopped.code, 130, first.stderr);
  assert.equal(readJson(path.join(saveDirOf(exp), 'runs', 'first-run', 'run.json')).status, 'stopped');
  assert.equal(fs.existsSync(path.join(saveDirOf(exp), EXP_LOCK_FILE)), false);
});
