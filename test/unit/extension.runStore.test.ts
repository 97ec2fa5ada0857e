// The extension's run store: folding protocol events into runs, epochs and checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/protocol/types';
import { RunStore, type Run } from '../../src/extension/runs/runStore';

const RUN = '20261125-213000-123-abcdef';

/** An event at second `s` after a fixed start (times sort as the stream goes). */
function ev(s: number, body: Record<string, unknown>, run = RUN): RunEvent {
  const t = new Date(Date.UTC(2026, 10, 25, 21, 30, 0) + s * 1000).toISOString();
  // Cast: the bodies below follow protocol v1 (each test checks what it relies on).
  return { v: 1, run, t, ...body } as unknown as RunEvent;
}

const losses = (tot: number) => ({ tot, hm: tot / 2, wh: 0.1, dep: tot / 4 });

/** A short but complete training: 3 epochs, validation each epoch, checkpoints, a warning. */
function stream(): RunEvent[] {
  const out: RunEvent[] = [
    ev(0, {
      type: 'run_start', task: 'ddd', exp_id: 'demo', mode: 'train', argv: ['ddd', '--exp_id', 'demo'],
      opts: { num_epochs: 3, lr: 0.000125 }, save_dir: '/ws/exp/ddd/demo', backend: 'cpu', pid: 4242,
    }),
  ];
  let s = 1;
  for (let epoch = 1; epoch <= 3; epoch++) {
    out.push(ev(s++, { type: 'epoch_start', epoch, lr: 0.000125 }));
    for (let iter = 0; iter < 4; iter++) {
      out.push(ev(s++, { type: 'iter', phase: 'train', epoch, iter, num_iters: 4, losses: losses(5 - epoch - iter / 10) }));
    }
    out.push(ev(s++, { type: 'epoch_end', epoch, train: losses(4 - epoch), val: { ...losses(4.5 - epoch), hm: null }, time_min: 0.1 }));
    out.push(ev(s++, { type: 'checkpoint', epoch, path: '/ws/exp/ddd/demo/model_last.ckpt', kind: 'last', size_bytes: 1_250_000 }));
    if (epoch === 2) out.push(ev(s++, { type: 'log', level: 'warning', message: 'loss went up' }));
  }
  out.push(ev(s++, { type: 'checkpoint', epoch: 3, path: '/ws/exp/ddd/demo/model_3.ckpt', kind: 'epoch' }));
  out.push(ev(s++, { type: 'lr_change', epoch: 3, lr: 0.0000125 }));
  out.push(ev(s++, { type: 'run_end', status: 'completed', exit_code: 0 }));
  return out;
}

/** A comparable picture of a run (maps and objects as plain data). */
function snapshot(run: Run | undefined): unknown {
  assert.ok(run, 'run missing');
  return JSON.parse(JSON.stringify({ ...run, epochs: [...run.epochs.entries()] }));
}

test('folds a training stream into a completed run with epochs, losses and checkpoints', () => {
  const store = new RunStore();
  store.applyAll(stream());
  const run = store.get(RUN);
  assert.ok(run);
  assert.equal(run.status, 'completed');
  assert.equal(run.task, 'ddd');
  assert.equal(run.exp_id, 'demo');
  assert.equal(run.num_epochs, 3);
  assert.equal(run.pid, 4242);
  assert.equal(run.epoch, 3);
  assert.equal(run.exit_code, 0);
  assert.equal(run.started, '2026-11-25T21:30:00.000Z');
  assert.ok(run.ended !== undefined && run.ended > run.started);
  assert.deepEqual([...run.epochs.keys()], [1, 2, 3]);
  assert.ok([...run.epochs.values()].every((e) => e.done && e.lr === 0.000125));
  assert.deepEqual(run.epochs.get(2)?.train, losses(2));
  assert.equal(run.epochs.get(2)?.val?.hm, null, 'NaN travels as null and stays null');
  assert.deepEqual(run.lastLosses, losses(1), 'the last epoch averages, not an older running average');
  assert.equal(run.lr, 0.0000125);
  assert.equal(run.warnings, 1);
  assert.equal(run.problems, 0);
  // model_last is one file: listed once, attributed to the newest epoch only.
  assert.deepEqual(run.checkpoints.map((c) => [c.path.split('/').pop(), c.epoch, c.kind]), [
    ['model_last.ckpt', 3, 'last'],
    ['model_3.ckpt', 3, 'epoch'],
  ]);
  assert.equal(run.checkpoints[0].size_bytes, 1_250_000);
  assert.deepEqual(run.epochs.get(1)?.checkpoints, []);
  assert.deepEqual(run.epochs.get(3)?.checkpoints.map((c) => c.kind), ['last', 'epoch']);
  assert.deepEqual(run.iter && [run.iter.epoch, run.iter.iter, run.iter.num_iters], [3, 3, 4]);
});

test('a live run: progress, running losses and the current epoch before it ends', () => {
  const store = new RunStore();
  const events = stream();
  const upTo = events.findIndex((e) => e.type === 'iter' && e.epoch === 2 && e.iter === 2);
  store.applyAll(events.slice(0, upTo + 1));
  const run = store.get(RUN)!;
  assert.equal(run.status, 'running');
  assert.equal(run.epoch, 2);
  assert.equal(run.epochs.get(2)?.done, false);
  assert.deepEqual(run.lastLosses, losses(5 - 2 - 0.2), 'running averages of the epoch in progress');
});

test('applying the same events again changes nothing (re-reads are idempotent)', () => {
  const store = new RunStore();
  store.applyAll(stream());
  const once = snapshot(store.get(RUN));
  store.applyAll(stream());
  for (const e of stream()) store.apply(e);
  assert.deepEqual(snapshot(store.get(RUN)), once);
});

test('out-of-order and duplicate events: no rewinding, no resurrection, no double counting', () => {
  const inOrder = new RunStore();
  inOrder.applyAll(stream());

  const events = stream();
  const end = events.pop()!;
  const shuffled = [end, ...events.slice().reverse(), events[3], events[7], end];
  const store = new RunStore();
  store.applyAll(shuffled);
  const run = store.get(RUN)!;
  assert.equal(run.status, 'completed', 'events after run_end do not make it running again');
  assert.equal(run.warnings, 1);
  assert.deepEqual(run.iter && [run.iter.epoch, run.iter.iter], [3, 3], 'an older iter does not rewind progress');
  assert.deepEqual(run.lastLosses, losses(1));
  assert.deepEqual(
    run.checkpoints.find((c) => c.kind === 'last')?.epoch,
    3,
    'model_last from an older epoch, arriving late, does not replace the newer one',
  );
  assert.deepEqual(run.epochs.get(1)?.checkpoints, []);
  assert.deepEqual([...run.epochs.keys()].sort(), [1, 2, 3]);
  assert.equal(run.started, inOrder.get(RUN)!.started);
});

test('the newest run_end wins; an event of another run id goes to that run', () => {
  const store = new RunStore();
  store.apply(ev(5, { type: 'run_end', status: 'failed', exit_code: 1 }));
  store.apply(ev(2, { type: 'run_end', status: 'stopped' }));
  assert.equal(store.get(RUN)?.status, 'failed');
  store.apply(ev(9, { type: 'run_end', status: 'killed', signal: 'SIGKILL' }));
  assert.equal(store.get(RUN)?.status, 'killed');
  store.apply(ev(1, { type: 'epoch_start', epoch: 1, lr: 0.1 }, 'other'));
  assert.equal(store.size, 2);
  assert.equal(store.get('other')?.status, 'running');
});

test('listeners hear the run id of every change until disposed; a throwing listener is contained', () => {
  const store = new RunStore();
  const heard: string[] = [];
  store.onDidChange(() => {
    throw new Error('listener bug');
  });
  const sub = store.onDidChange((id) => heard.push(id));
  store.apply(ev(0, { type: 'epoch_start', epoch: 1, lr: 0.1 }));
  store.applyAll([ev(1, { type: 'epoch_start', epoch: 2, lr: 0.1 }), ev(2, { type: 'epoch_start', epoch: 1, lr: 0.1 }, 'b')]);
  store.update(RUN, { configName: 'demo' });
  store.addProblems(RUN, 2);
  store.addProblems(RUN, 0);
  assert.deepEqual(heard, [RUN, RUN, 'b', RUN, RUN]);
  sub.dispose();
  store.apply(ev(3, { type: 'epoch_start', epoch: 3, lr: 0.1 }));
  assert.equal(heard.length, 5);
  assert.equal(store.get(RUN)?.problems, 2);
});

test('load() rebuilds a run from scratch (no double counting) and keeps the launching config name', () => {
  const store = new RunStore();
  store.update(RUN, { configName: 'demo', attached: true });
  store.applyAll(stream());
  store.addProblems(RUN, 3);
  const loaded = store.load(RUN, { folder: '/ws', runDir: '/ws/exp/ddd/demo/runs/x' }, stream(), 1);
  assert.equal(loaded.configName, 'demo');
  assert.equal(loaded.attached, false);
  assert.equal(loaded.problems, 1);
  assert.equal(loaded.warnings, 1);
  assert.equal(loaded.status, 'completed');
  const other = store.load('elsewhere', { status: 'killed', note: 'stale' }, stream());
  assert.equal(other.status, 'killed', 'events of other runs are not folded into it');
  assert.equal(other.epochs.size, 0);
});
