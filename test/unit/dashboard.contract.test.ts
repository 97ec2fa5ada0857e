import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDashboardState,
  checkDashboardToHost,
  checkHostToDashboard,
  emaSmooth,
  type DashboardHeader,
} from '../../src/shared/webview/dashboard';

const header: DashboardHeader = {
  runId: 'r1', title: 'ddd/demo', status: 'running', epoch: 2, numEpochs: 3, etaS: 12.5, backend: 'cpu',
  started: '2026-01-01T00:00:00Z', ended: null, bestNds: 0.1, bestNdsEpoch: 1, note: null,
};

test('host → page: a snapshot and a delta pass', () => {
  const snap = {
    type: 'snapshot', header,
    epochs: [{ epoch: 1, lr: 1e-3, train: { tot: 1.5, hm: null }, val: null, eval: { NDS: 0.1, mAP: 0.05, mATE: 1, mASE: 1, mAOE: 1, mAVE: null, mAAE: 1, ap: { car: 0.2 } } }],
    iters: [{ epoch: 2, iter: 3, numIters: 10, losses: { tot: 1.2 } }],
    checkpoints: [{ path: 'exp/ddd/demo/model_last.ckpt', name: 'model_last.ckpt', epoch: 1, kind: 'last', sizeBytes: 100, t: 'x', nds: null }],
    actions: ['copyPath', 'reveal'],
  };
  assert.equal(checkHostToDashboard(snap).ok, true);
  assert.equal(checkHostToDashboard({ type: 'delta', header, epochs: [], iters: [] }).ok, true);
  assert.equal(checkHostToDashboard({ type: 'error', message: 'x' }).ok, true);
});

test('host → page: malformed messages are rejected with a reason', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    [{ type: 'nope' }, /unknown message type/],
    [{ type: 'delta', header: { ...header, status: 'weird' }, epochs: [], iters: [] }, /header\.status/],
    [{ type: 'delta', header, epochs: [{ epoch: 1.5, lr: null, train: {}, val: null, eval: null }], iters: [] }, /epochs\[0\]\.epoch/],
    [{ type: 'delta', header, epochs: [{ epoch: 1, lr: null, train: { tot: 'x' }, val: null, eval: null }], iters: [] }, /train/],
    [{ type: 'delta', header, epochs: [], iters: [{ epoch: 1, iter: 1, numIters: 2, losses: { tot: Infinity } }] }, /losses/],
    [{ type: 'delta', header, epochs: [], iters: [], checkpoints: [{ path: 'a' }] }, /checkpoints\[0\]/],
    [{ type: 'snapshot', header, epochs: [], iters: [], checkpoints: [], actions: ['rm -rf'] }, /actions\[0\]/],
  ];
  for (const [msg, reason] of cases) {
    const r = checkHostToDashboard(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('page → host: ready and checkpoint actions; others rejected', () => {
  assert.deepEqual(checkDashboardToHost({ type: 'ready', extra: 1 }), { ok: true, value: { type: 'ready' } });
  const ok = checkDashboardToHost({ type: 'checkpointAction', action: 'copyPath', path: '/x/model_last.ckpt' });
  assert.equal(ok.ok, true);
  for (const bad of [
    { type: 'checkpointAction', action: 'delete', path: '/x' },
    { type: 'checkpointAction', action: 'reveal', path: 42 },
    { type: 'checkpointAction', action: 'reveal', path: '' },
    { type: 'openFile', path: '/etc/passwd' },
    'ready',
  ]) {
    const r = checkDashboardToHost(bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.ok(r.reason.length > 0);
  }
});

test('saved state: checked, bad fields defaulted', () => {
  assert.deepEqual(checkDashboardState({ runId: 'a', smoothing: 0.5, logScale: true, focusEpoch: 3, tpError: 'AVE' }), { runId: 'a', smoothing: 0.5, logScale: true, focusEpoch: 3, tpError: 'AVE' });
  // An older page's state (no focus, no TP choice) and bad fields read as defaults.
  assert.deepEqual(checkDashboardState({ runId: 'a', smoothing: 7 }), { runId: 'a', smoothing: 0, logScale: false, focusEpoch: null, tpError: 'ATE' });
  assert.deepEqual(checkDashboardState({ runId: 'a', focusEpoch: 1.5, tpError: 'rm' }), { runId: 'a', smoothing: 0, logScale: false, focusEpoch: null, tpError: 'ATE' });
  assert.equal(checkDashboardState({ smoothing: 0.5 }), undefined);
  assert.equal(checkDashboardState('x'), undefined);
});

test('EMA smoothing is debiased (TensorBoard) and skips nulls', () => {
  assert.deepEqual(emaSmooth([1, 2, 3], 0), [1, 2, 3]);
  const s = emaSmooth([5, 5, 5], 0.9);
  for (const v of s) assert.ok(Math.abs((v ?? 0) - 5) < 1e-9, 'a constant stays constant');
  const t = emaSmooth([0, null, 10], 0.5);
  assert.equal(t[1], null);
  // debiased: (0.5*0 + 0.5*... ) → last = 0.25*0*... ; second real value: last=0.5*0+0.5*10=5 → /(1-0.25)=6.667
  assert.ok(Math.abs((t[2] ?? 0) - 20 / 3) < 1e-9);
});

test('comparison: differing options, and the compare messages checked', async () => {
  const { differingOptions, checkHostToCompare, checkCompareState, checkCompareToHost } = await import('../../src/shared/webview/dashboard');
  const rows = differingOptions([{ lr: 0.001, batch_size: 4, save_dir: '/a' }, { lr: 0.0005, batch_size: 4, save_dir: '/b', seed: 1 }], ['save_dir']);
  assert.deepEqual(rows, [
    { option: 'lr', values: ['0.001', '0.0005'] },
    { option: 'seed', values: ['', '1'] },
  ]);
  assert.equal(checkHostToCompare({ type: 'compare', runs: [{ header, epochs: [] }], differing: rows }).ok, true);
  assert.equal(checkHostToCompare({ type: 'compare', runs: [{ header: {}, epochs: [] }], differing: [] }).ok, false);
  assert.equal(checkHostToCompare({ type: 'compare', runs: [], differing: [{ option: 'x', values: [1] }] }).ok, false);
  assert.equal(checkCompareToHost({ type: 'ready' }).ok, true);
  assert.equal(checkCompareToHost({ type: 'open', path: '/etc' }).ok, false);
  assert.deepEqual(checkCompareState({ runIds: ['a', 'b'] }), { runIds: ['a', 'b'], logScale: false });
  assert.equal(checkCompareState({ runIds: [] }), undefined);
});

test('focus messages, snapshot focusEpoch and per-class TP errors are checked', () => {
  assert.equal(checkHostToDashboard({ type: 'focus', epoch: 2 }).ok, true);
  assert.equal(checkHostToDashboard({ type: 'focus', epoch: null }).ok, true);
  for (const bad of [{ type: 'focus', epoch: '2' }, { type: 'focus', epoch: 2.5 }, { type: 'focus' }]) {
    const r = checkHostToDashboard(bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.match(r.reason, /focus\.epoch/);
  }
  const evalPoint = { NDS: 0.1, mAP: 0.05, mATE: 1, mASE: 1, mAOE: 1, mAVE: null, mAAE: 1, ap: { car: 0.2 } };
  const snap = (extra: Record<string, unknown>, tp?: unknown): unknown => ({
    type: 'snapshot', header, iters: [], checkpoints: [], actions: [],
    epochs: [{ epoch: 1, lr: null, train: {}, val: null, eval: tp === undefined ? evalPoint : { ...evalPoint, tp } }],
    ...extra,
  });
  assert.equal(checkHostToDashboard(snap({ focusEpoch: 1 }, { car: { ATE: 0.5, ASE: null, AOE: 1, AVE: 1, AAE: 1 } })).ok, true);
  const badFocus = checkHostToDashboard(snap({ focusEpoch: 'x' }));
  assert.equal(badFocus.ok, false);
  if (!badFocus.ok) assert.match(badFocus.reason, /focusEpoch/);
  const badTp = checkHostToDashboard(snap({ focusEpoch: null }, { car: { ATE: 'far' } }));
  assert.equal(badTp.ok, false);
  if (!badTp.ok) assert.match(badTp.reason, /eval\.tp/);
});
