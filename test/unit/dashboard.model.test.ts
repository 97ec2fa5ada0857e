import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore } from '../../src/extension/runs/runStore';
import { DashboardTracker, headerOf } from '../../src/extension/dashboard/model';
import { checkHostToDashboard } from '../../src/shared/webview/dashboard';
import { dashboardTarget } from '../../src/extension/dashboard/target';
import { planResume } from '../../src/extension/dashboard/resumeArgs';
import * as path from 'node:path';
import type { RunEvent } from '../../src/shared/protocol/types';

const t = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const base = { v: 1 as const, run: 'r1' };

function start(store: RunStore): void {
  store.apply({ ...base, type: 'run_start', t: t(0), task: 'ddd', exp_id: 'demo', mode: 'train', argv: [], opts: { num_epochs: 2 }, save_dir: 'exp/ddd/demo', backend: 'cpu' } as RunEvent);
  store.apply({ ...base, type: 'epoch_start', t: t(1), epoch: 1, lr: 1e-3 } as RunEvent);
}

test('snapshot, then deltas carry only what changed, and every message passes the contract', () => {
  const store = new RunStore();
  start(store);
  const tracker = new DashboardTracker();
  store.onDidChange(() => tracker.observe(store.get('r1')!));
  const snap = tracker.snapshot(store.get('r1')!, ['copyPath', 'reveal']);
  assert.equal(checkHostToDashboard(snap).ok, true);
  assert.equal(snap.header.epoch, 1);
  assert.equal(snap.header.numEpochs, 2);
  assert.equal(snap.epochs.length, 1);

  for (let i = 1; i <= 3; i++) {
    store.apply({ ...base, type: 'iter', t: t(1 + i), phase: 'train', epoch: 1, iter: i, num_iters: 3, losses: { tot: 3 - i * 0.5 }, eta_s: 3 - i } as RunEvent);
  }
  const d1 = tracker.delta(store.get('r1')!);
  assert.equal(checkHostToDashboard(d1).ok, true);
  assert.deepEqual(d1.iters.map((p) => p.iter), [1, 2, 3]);
  assert.equal(d1.epochs.length, 0, 'no epoch changed');
  assert.equal(d1.checkpoints, undefined);

  store.apply({ ...base, type: 'epoch_end', t: t(10), epoch: 1, train: { tot: 2 }, val: { tot: 2.5 }, time_min: 0.1 } as RunEvent);
  store.apply({ ...base, type: 'checkpoint', t: t(11), epoch: 1, path: 'exp/ddd/demo/model_last.ckpt', kind: 'last' } as RunEvent);
  store.apply({ ...base, type: 'eval', t: t(12), epoch: 1, metrics: { mAP: 0.1, mATE: 1, mASE: 1, mAOE: 1, mAVE: 1, mAAE: 1, NDS: 0.2, per_class: { car: { AP: 0.3, ATE: 1, ASE: 1, AOE: 1, AVE: 1, AAE: 1 } } } } as RunEvent);
  const d2 = tracker.delta(store.get('r1')!);
  assert.equal(d2.iters.length, 0);
  assert.equal(d2.epochs.length, 1);
  assert.deepEqual(d2.epochs[0]?.val, { tot: 2.5 });
  assert.equal(d2.epochs[0]?.eval?.ap['car'], 0.3);
  assert.equal(d2.checkpoints?.[0]?.nds, 0.2);
  assert.equal(d2.header.bestNds, 0.2);
  assert.equal(d2.header.bestNdsEpoch, 1);

  store.apply({ ...base, type: 'epoch_start', t: t(13), epoch: 2, lr: 1e-4 } as RunEvent);
  store.apply({ ...base, type: 'iter', t: t(14), phase: 'train', epoch: 2, iter: 1, num_iters: 3, losses: { tot: 1 } } as RunEvent);
  const d3 = tracker.delta(store.get('r1')!);
  assert.deepEqual(d3.iters.map((p) => [p.epoch, p.iter]), [[2, 1]], 'a new epoch starts the iteration series afresh');
  assert.deepEqual(d3.epochs.map((e) => e.epoch), [2]);

  store.apply({ ...base, type: 'run_end', t: t(20), status: 'completed', exit_code: 0 } as RunEvent);
  const h = headerOf(store.get('r1')!);
  assert.equal(h.status, 'completed');
  assert.equal(h.etaS, null);
});

test('only the run\'s own checkpoint paths are known', () => {
  const store = new RunStore();
  start(store);
  store.apply({ ...base, type: 'checkpoint', t: t(11), epoch: 1, path: 'exp/ddd/demo/model_1.ckpt', kind: 'epoch' } as RunEvent);
  const run = store.get('r1')!;
  assert.equal(DashboardTracker.isKnownCheckpoint(run, 'exp/ddd/demo/model_1.ckpt'), true);
  assert.equal(DashboardTracker.isKnownCheckpoint(run, '/etc/passwd'), false);
});

test('a 200-epoch run with 10,000 iteration events: snapshot built and checked quickly, iteration points capped', () => {
  const store = new RunStore();
  start(store);
  const tracker = new DashboardTracker();
  const events: RunEvent[] = [];
  for (let e = 1; e <= 200; e++) {
    events.push({ ...base, type: 'epoch_end', t: t(e), epoch: e, train: { tot: 1 / e, hm: 0.5 / e }, val: { tot: 1.1 / e }, time_min: 1 } as RunEvent);
  }
  store.applyAll(events);
  const t0 = performance.now();
  for (let i = 1; i <= 10_000; i++) {
    store.apply({ ...base, type: 'iter', t: t(300), phase: 'train', epoch: 201, iter: i, num_iters: 10_000, losses: { tot: 1 } } as RunEvent);
    tracker.observe(store.get('r1')!);
  }
  const snap = tracker.snapshot(store.get('r1')!, []);
  assert.equal(checkHostToDashboard(snap).ok, true);
  const ms = performance.now() - t0;
  assert.ok(snap.iters.length <= 2000, `${snap.iters.length} iteration points`);
  assert.equal(snap.iters[snap.iters.length - 1]?.iter, 10_000);
  assert.equal(snap.epochs.length, 201);
  console.log(`# 10,000 iterations folded + observed + snapshot of 200 epochs: ${ms.toFixed(0)} ms, ${JSON.stringify(snap).length} bytes`);
});

test('seed: the newest epoch\'s iteration points come back from the events (finished run loaded from disk)', () => {
  const store = new RunStore();
  start(store);
  const iters: RunEvent[] = [];
  for (const epoch of [1, 2]) {
    for (let i = 1; i <= 4; i++) iters.push({ ...base, type: 'iter', t: t(epoch * 10 + i), phase: 'train', epoch, iter: i, num_iters: 4, losses: { tot: i } } as RunEvent);
  }
  iters.push({ ...base, type: 'iter', t: t(30), phase: 'val', epoch: 2, iter: 1, num_iters: 1, losses: { tot: 9 } } as RunEvent);
  store.applyAll(iters);
  const tracker = new DashboardTracker();
  tracker.seed(store.get('r1')!, iters);
  const snap = tracker.snapshot(store.get('r1')!, []);
  assert.deepEqual(snap.iters.map((p) => [p.epoch, p.iter]), [[2, 1], [2, 2], [2, 3], [2, 4]]);
});

test('per-class TP errors reach the page; the snapshot carries the epoch to highlight', () => {
  const store = new RunStore();
  start(store);
  store.apply({ ...base, type: 'eval', t: t(12), epoch: 1, metrics: { mAP: 0.1, mATE: 1, mASE: 1, mAOE: 1, mAVE: 1, mAAE: 1, NDS: 0.2, per_class: {
    car: { AP: 0.3, ATE: 0.4, ASE: 0.2, AOE: 0.9, AVE: 1.1, AAE: 0.05 },
    barrier: { AP: 0.1, ATE: 0.6, ASE: 0.3, AOE: 1.2, AVE: null, AAE: null },
  } } } as RunEvent);
  const tracker = new DashboardTracker();
  const snap = tracker.snapshot(store.get('r1')!, ['copyPath'], 1);
  assert.equal(checkHostToDashboard(snap).ok, true);
  assert.equal(snap.focusEpoch, 1);
  const ev = snap.epochs[0]?.eval;
  assert.deepEqual(ev?.tp?.['car'], { ATE: 0.4, ASE: 0.2, AOE: 0.9, AVE: 1.1, AAE: 0.05 });
  assert.deepEqual(ev?.tp?.['barrier'], { ATE: 0.6, ASE: 0.3, AOE: 1.2, AVE: null, AAE: null });
  assert.equal(new DashboardTracker().snapshot(store.get('r1')!, []).focusEpoch, null);
});

test('openDashboard arguments: run id, run id + epoch (epoch rows), tree nodes; nothing else', () => {
  assert.deepEqual(dashboardTarget('r1'), { runId: 'r1', epoch: null });
  assert.deepEqual(dashboardTarget('r1', 3), { runId: 'r1', epoch: 3 });
  // A context menu passes the selection as the second argument, not an epoch.
  assert.deepEqual(dashboardTarget('r1', [{ kind: 'run', runId: 'r1' }]), { runId: 'r1', epoch: null });
  assert.deepEqual(dashboardTarget({ kind: 'epoch', runId: 'r2', epoch: 2 }), { runId: 'r2', epoch: 2 });
  assert.deepEqual(dashboardTarget({ kind: 'run', runId: 'r2' }, []), { runId: 'r2', epoch: null });
  for (const bad of [undefined, '', 42, { kind: 'group', name: 'demo' }, { kind: 'run' }, { kind: 'epoch', runId: 7, epoch: 1 }]) {
    assert.equal(dashboardTarget(bad), undefined, JSON.stringify(bad));
  }
});

test('Resume from here: the run\'s own options with --resume --load_model <checkpoint>, --eval cleared', () => {
  const argv = ['--root-dir', '/ws', '--run-id', 'r9', 'ddd', '--dataset', 'synthetic', '--exp_id', 'demo', '--num_epochs', '5', '--lr', '0.001'];
  const plan = planResume({ argv }, 'exp/ddd/demo/model_3.ckpt');
  assert.equal(plan.task, 'ddd');
  assert.equal(plan.exp_id, 'demo');
  assert.equal(plan.num_epochs, 5);
  assert.equal(plan.args[0], 'ddd');
  assert.ok(!plan.args.includes('--root-dir') && !plan.args.includes('--run-id'), plan.args.join(' '));
  assert.ok(plan.args.includes('--resume'), plan.args.join(' '));
  const i = plan.args.indexOf('--load_model');
  assert.equal(plan.args[i + 1], path.resolve('exp/ddd/demo/model_3.ckpt'));
  assert.ok(!plan.args.includes('--eval'));
  assert.equal(plan.args[plan.args.indexOf('--lr') + 1], '0.001');
  assert.throws(() => planResume({}, 'x.ckpt'), /records no options/);
  assert.throws(() => planResume({ argv: ['ddd', '--eval'] }, 'x.ckpt'), /evaluation/);
});
