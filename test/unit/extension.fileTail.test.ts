/**
 * FileTail: whole pieces from an appended file, and the fs.watch notifications that let the host
 * read a trainer's output at once instead of at its next poll (bench/live.ts measures the effect).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTail } from '../../src/extension/process/fileTail';

function tempFile(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cfs-tail-'));
  return { dir, file: join(dir, 'stdout.log') };
}

/** Resolves with the number of onChange calls once `count` have arrived (or rejects after `ms`). */
function changes(count: number, ms: number): { onChange: () => void; reached: Promise<number> } {
  let seen = 0;
  let resolve!: (n: number) => void;
  let timer: NodeJS.Timeout | undefined;
  // The watcher does not keep the process alive (persistent: false), so this timer does.
  const reached = new Promise<number>((res, rej) => {
    resolve = res;
    timer = setTimeout(() => rej(new Error(`only ${seen} of ${count} change notifications within ${ms} ms`)), ms);
  });
  return {
    onChange: () => {
      seen++;
      if (seen >= count) {
        clearTimeout(timer);
        resolve(seen);
      }
    },
    reached,
  };
}

test('an append is announced by onChange and read as whole lines; the unfinished line waits', async () => {
  const { dir, file } = tempFile();
  try {
    writeFileSync(file, '');
    const c = changes(1, 5000);
    const tail = new FileTail(file, { onChange: c.onChange });
    assert.equal(tail.watching, true, 'an existing file is watched from the start');
    appendFileSync(file, '{"a":1}\n{"b":');
    await c.reached;
    const pieces = await tail.read();
    assert.equal(Buffer.concat(pieces).toString('utf8'), '{"a":1}\n');
    assert.equal(tail.consumed, 8);
    appendFileSync(file, '2}\n');
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), '{"b":2}\n');
    tail.close();
    assert.equal(tail.watching, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that appears later is watched from the first read that finds it', async () => {
  const { dir, file } = tempFile();
  try {
    const c = changes(1, 5000);
    const tail = new FileTail(file, { onChange: c.onChange });
    assert.equal(tail.watching, false, 'nothing to watch yet');
    assert.deepEqual(await tail.read(), [], 'a missing file is no pieces, no error');
    writeFileSync(file, 'epoch 1\n');
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), 'epoch 1\n');
    assert.equal(tail.watching, true);
    appendFileSync(file, 'epoch 2\n');
    await c.reached;
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), 'epoch 2\n');
    tail.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('removal and close: no notification after close, no throw, a replaced file is read from its start', async () => {
  const { dir, file } = tempFile();
  try {
    writeFileSync(file, 'old line\n');
    let calls = 0;
    const resets: number[] = [];
    const tail = new FileTail(file, { onChange: () => calls++, onReset: (_f, size) => resets.push(size) });
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), 'old line\n');
    rmSync(file);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, 'new\n');
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), 'new\n', 'the shorter replacement is read from 0');
    assert.deepEqual(resets, [4]);
    tail.close();
    tail.close();
    const before = calls;
    appendFileSync(file, 'after close\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls, before, 'no onChange after close()');
    assert.equal(Buffer.concat(await tail.read()).toString('utf8'), 'after close\n', 'read() still works after close()');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without onChange nothing is watched (the poll alone follows the file)', () => {
  const { dir, file } = tempFile();
  try {
    writeFileSync(file, '');
    const tail = new FileTail(file);
    assert.equal(tail.watching, false);
    tail.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
