// What the trees show: run and epoch descriptions, numbers, sizes; and the refresh throttle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/protocol/types';
import { RunStore } from '../../src/extension/runs/runStore';
import {
  checkpointDescription,
  checkpointFile,
  epochDescription,
  formatBytes,
  formatClock,
  formatLr,
  runDescription,
  runLabel,
} from '../../src/extension/views/format';
import { throttle } from '../../src/extension/views/throttle';

function ev(s: number, body: Record<string, unknown>): RunEvent {
  const t = new Date(2026, 10, 25, 9, 5, s).toISOString(); // local 09:05
  // Cast: the bodies below follow protocol v1.
  return { v: 1, run: 'r', t, ...body } as unknown as RunEvent;
}

test('numbers: learning rates, sizes, clock', () => {
  assert.equal(formatLr(0.000125), '1.25e-4');
  assert.equal(formatLr(0.001), '1e-3');
  assert.equal(formatLr(0.00012), '1.2e-4');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1_258_291), '1.2 MB');
  assert.equal(formatBytes(undefined), undefined);
  assert.equal(formatClock(new Date(2026, 0, 2, 7, 4).toISOString()), '07:04');
  assert.equal(formatClock(undefined), '--:--');
});

test('run rows: label, starting, live epoch and loss, then the final status', () => {
  const store = new RunStore();
  store.update('r', { exp_id: 'demo', num_epochs: 10, started: new Date(2026, 10, 25, 9, 5).toISOString() });
  assert.equal(runLabel(store.get('r')!), 'demo · 09:05');
  assert.equal(runDescription(store.get('r')!), 'starting…');
  store.apply(ev(1, { type: 'epoch_start', epoch: 3, lr: 0.000125 }));
  store.apply(ev(2, { type: 'iter', phase: 'train', epoch: 3, iter: 4, num_iters: 50, losses: { tot: 1.23449, hm: 0.5 } }));
  assert.equal(runDescription(store.get('r')!), 'epoch 3/10 · tot 1.234');
  assert.equal(runDescription(store.get('r')!, true), 'stopping… · epoch 3/10 · tot 1.234');
  const live = store.get('r')!;
  assert.equal(epochDescription(live.epochs.get(3)!, live), 'iter 5/50 · tot 1.2345 · lr 1.25e-4');
  store.apply(ev(3, { type: 'epoch_end', epoch: 3, train: { tot: 1.2345 }, val: { tot: 1.3456 }, time_min: 0.2 }));
  store.apply(ev(4, { type: 'run_end', status: 'completed' }));
  const done = store.get('r')!;
  assert.equal(runDescription(done), 'completed · 1 epoch');
  assert.equal(epochDescription(done.epochs.get(3)!, done), 'tot 1.2345 · val 1.3456 · lr 1.25e-4');
});

test('epochs without validation, and interrupted epochs of ended runs', () => {
  const store = new RunStore();
  store.applyAll([
    ev(1, { type: 'epoch_start', epoch: 1, lr: 0.001 }),
    ev(2, { type: 'epoch_end', epoch: 1, train: { loss: 2 }, val: null, time_min: 0.1 }),
    ev(3, { type: 'epoch_start', epoch: 2, lr: 0.001 }),
    ev(4, { type: 'run_end', status: 'stopped' }),
  ]);
  const run = store.get('r')!;
  assert.equal(epochDescription(run.epochs.get(1)!, run), 'tot 2.0000 · lr 1e-3');
  assert.equal(epochDescription(run.epochs.get(2)!, run), 'not finished · lr 1e-3');
  assert.equal(runDescription(run), 'stopped · 1 epoch');
});

test('checkpoint rows', () => {
  const store = new RunStore();
  store.update('r', { folder: '/ws' });
  store.apply(ev(1, { type: 'checkpoint', epoch: 2, path: 'exp/ddd/demo/model_last.ckpt', kind: 'last', size_bytes: 1_300_000 }));
  const run = store.get('r')!;
  assert.equal(checkpointDescription(run.checkpoints[0]), 'epoch 2 · last · 1.2 MB');
  assert.equal(checkpointFile(run.checkpoints[0], run), '/ws/exp/ddd/demo/model_last.ckpt');
});

test('throttle: the first call runs at once, a burst folds into one trailing call', async () => {
  let calls = 0;
  const t = throttle(() => calls++, 40);
  t();
  assert.equal(calls, 1);
  for (let i = 0; i < 20; i++) t();
  assert.equal(calls, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, 2, 'one trailing call for the burst');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, 2, 'nothing more without new calls');
  t();
  t();
  t.dispose();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, 3, 'dispose drops the pending call');
});
