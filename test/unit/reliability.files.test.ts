// The trainer's file guarantees in-process (fast): an interrupted atomic write leaves the old file,
// a full disk is named as such, the experiment lock refuses a live holder and takes over a dead
// one (removing what it left half-way), releasing only its own lock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atomicTempName, isDiskFull, removeStaleTemps, writeFileAtomic } from '../../src/trainer/fsutil';
import { acquireExpLock, EXP_LOCK_FILE, ExpLockError } from '../../src/trainer/run-files';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-files-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('an atomic write interrupted at any step leaves the previous file whole and no temporary file', () => {
  const target = path.join(dir, 'model_last.ckpt');
  const old = Buffer.alloc(64 * 1024, 1);
  fs.writeFileSync(target, old);
  const next = Buffer.alloc(128 * 1024, 2);
  for (const step of ['beforeWrite', 'beforeRename'] as const) {
    assert.throws(
      () => writeFileAtomic(target, next, { [step]: () => { throw new Error(`crash ${step}`); } }),
      new RegExp(`crash ${step}`),
    );
    assert.ok(fs.readFileSync(target).equals(old), `after a crash ${step}, the target is still the old file`);
    assert.equal(fs.existsSync(atomicTempName(target)), false, 'the temporary file is removed');
  }
  // At the rename point the temporary file is complete: a reader after a kill there sees old or new, never half.
  writeFileAtomic(target, next, { beforeRename: (tmp) => assert.ok(fs.readFileSync(tmp).equals(next)) });
  assert.ok(fs.readFileSync(target).equals(next));
});

test('disk-full errors are recognised (ENOSPC, EDQUOT, EFBIG) and nothing else', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) assert.equal(isDiskFull(Object.assign(new Error('x'), { code })), true);
  for (const err of [new Error('x'), Object.assign(new Error('x'), { code: 'EACCES' }), undefined, null, 'ENOSPC']) assert.equal(isDiskFull(err), false);
});

test('the experiment lock: a live holder refuses, a dead one is taken over with its leftovers, release is the owner\'s', () => {
  const saveDir = fs.mkdtempSync(path.join(dir, 'exp-'));
  const a = acquireExpLock(saveDir, 'run-a', () => true);
  const lockFile = path.join(saveDir, EXP_LOCK_FILE);
  const info = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number; run_id: string };
  assert.deepEqual([info.pid, info.run_id], [process.pid, 'run-a']);
  // This process is alive, and on Linux /proc/<pid>/cmdline must name the run: use a word it holds.
  const word = path.basename(process.argv[1] ?? 'node');
  fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, run_id: word, host: os.hostname(), started: 'now' }));
  assert.throws(() => acquireExpLock(saveDir, 'run-b'), (err: unknown) => {
    assert.ok(err instanceof ExpLockError);
    assert.match(err.message, new RegExp(`already training: run ${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${process.pid}`));
    return true;
  });
  // A lock of a dead process (and the temporary file it left mid-save) is taken over.
  const deadPid = 2 ** 22 + 12345;
  fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid, run_id: 'gone', host: os.hostname(), started: 'then' }));
  const leftover = path.join(saveDir, `.model_last.ckpt.${deadPid}.tmp`);
  const other = path.join(saveDir, `.model_last.ckpt.${process.pid}.tmp`);
  fs.writeFileSync(leftover, 'half');
  fs.writeFileSync(other, 'not the dead one\'s');
  const b = acquireExpLock(saveDir, 'run-b');
  assert.equal(b.tookOver?.run_id, 'gone');
  assert.equal(fs.existsSync(leftover), false, 'the dead run\'s temporary file is removed');
  assert.equal(fs.existsSync(other), true, 'other temporary files are left alone');
  // A garbled lock counts as stale too; release removes only one's own lock.
  a.release();
  assert.equal(fs.existsSync(lockFile), true, 'run-a no longer owns the lock: its release leaves it');
  b.release();
  assert.equal(fs.existsSync(lockFile), false);
  fs.writeFileSync(lockFile, '{"pid": "garbled');
  const c = acquireExpLock(saveDir, 'run-c');
  c.release();
  assert.deepEqual(removeStaleTemps(saveDir, deadPid), []);
  assert.deepEqual(fs.readdirSync(saveDir).filter((n) => n.endsWith('.lock')), []);
});
