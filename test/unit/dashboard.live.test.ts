/**
 * The live path to the dashboard (issue 9, item 2): every folded iteration reaches the panel's
 * tracker (RunStore.onDidFoldIters), in order and once, bounded by thinning old points only; the
 * leading-edge throttle; the page's incremental running-loss series (webview/dashboard/iterSeries.ts).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore, type IterProgress } from '../../src/extension/runs/runStore';
import { DashboardTracker, MAX_ITER_POINTS } from '../../src/extension/dashboard/model';
import { LeadingThrottle, type ThrottleClock } from '../../src/extension/dashboard/throttle';
import { checkHostToDashboard, emaSmooth, type IterPoint } from '../../src/shared/webview/dashboard';
import { IterSeriesSet } from '../../webview/dashboard/iterSeries';
import type { RunEvent } from '../../src/shared/protocol/types';
import { mulberry32 } from '../../src/shared/random';

const t = (ms: number): string => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const base = { v: 1 as const, run: 'r1' };

function iterEvent(epoch: number, iter: number, phase: 'train' | 'val' = 'train'): RunEvent {
  return { ...base, type: 'iter', t: t(epoch * 1e6 + iter), phase, epoch, iter, num_iters: 100_000, losses: { tot: 3 / Math.sqrt(1 + iter), hm: 1 + (iter % 7) / 10 } } as RunEvent;
}

function started(): RunStore {
  const store = new RunStore();
  store.apply({ ...base, type: 'run_start', t: t(0), task: 'ddd', exp_id: 'demo', mode: 'train', argv: [], opts: { num_epochs: 3 }, save_dir: 'exp/ddd/demo', backend: 'cpu' } as RunEvent);
  store.apply({ ...base, type: 'epoch_start', t: t(1), epoch: 1, lr: 1e-3 } as RunEvent);
  return store;
}

/** A panel's host side as dashboardPanel.ts wires it: iterations from the store, observe on change. */
function wire(store: RunStore, tracker: DashboardTracker): void {
  store.onDidFoldIters((id, iters) => {
    if (id === 'r1') tracker.addIters(iters);
  });
  store.onDidChange((id) => {
    if (id === 'r1') tracker.observe(store.get('r1')!);
  });
}

// ---------------------------------------------------------------------------------------------
// the store's iteration listener

test('onDidFoldIters: every iteration of a batch, in order, before the change notification; not on load()', () => {
  const store = started();
  const heard: string[] = [];
  store.onDidFoldIters((id, iters) => heard.push(`${id}:iters ${iters.map((p) => `${p.phase}${p.iter}`).join(',')}`));
  store.onDidChange((id) => heard.push(`${id}:change`));
  store.applyAll([iterEvent(1, 1), iterEvent(1, 2), { ...base, type: 'log', t: t(5), level: 'info', message: 'x' } as RunEvent, iterEvent(1, 3), iterEvent(1, 1, 'val')]);
  assert.deepEqual(heard, ['r1:iters train1,train2,train3,val1', 'r1:change']);
  assert.equal(store.get('r1')?.iter?.phase, 'val', 'the store itself still keeps only the newest iteration');
  heard.length = 0;
  store.apply(iterEvent(1, 4));
  assert.deepEqual(heard, ['r1:iters train4', 'r1:change']);
  heard.length = 0;
  store.load('r1', {}, [iterEvent(1, 1), iterEvent(1, 2)]);
  assert.deepEqual(heard, ['r1:change'], 'a run rebuilt from disk is seeded from its file, not replayed');
});

// ---------------------------------------------------------------------------------------------
// the tracker: every point, in order, once

test('every iteration of every read batch becomes a point (the store alone gave one per batch)', () => {
  const store = started();
  const tracker = new DashboardTracker();
  wire(store, tracker);
  const snap = tracker.snapshot(store.get('r1')!, []);
  assert.equal(snap.iters.length, 0);
  const got: number[] = [];
  let iter = 0;
  const rng = mulberry32(7);
  for (let batch = 0; batch < 100; batch++) {
    const n = 1 + Math.floor(rng() * 9);
    const events: RunEvent[] = [];
    for (let k = 0; k < n; k++) events.push(iterEvent(1, ++iter));
    store.applyAll(events);
    if (rng() < 0.4) {
      const d = tracker.delta(store.get('r1')!);
      assert.equal(checkHostToDashboard(d).ok, true);
      got.push(...d.iters.map((p) => p.iter));
    }
  }
  got.push(...tracker.delta(store.get('r1')!).iters.map((p) => p.iter));
  assert.deepEqual(got, Array.from({ length: iter }, (_, i) => i + 1));
});

test('repeats and older points (observe after addIters, a lagging reader) are never added twice or out of order', () => {
  const tracker = new DashboardTracker();
  const p = (iter: number, epoch = 1): IterProgress => ({ phase: 'train', epoch, iter, num_iters: 10, losses: { tot: iter } });
  tracker.addIters([p(1), p(2), p(3)]);
  tracker.addIters([p(2), p(3)]);
  tracker.addIters([p(3), p(4)]);
  tracker.addIters([{ ...p(5), phase: 'val' }, { ...p(6), epoch: null }]);
  assert.deepEqual(tracker.heldIters().map((x) => x.iter), [1, 2, 3, 4]);
  tracker.addIters([p(1, 2)]);
  assert.deepEqual(tracker.heldIters().map((x) => [x.epoch, x.iter]), [[2, 1]], 'a new epoch starts afresh');
  tracker.addIters([p(9, 1)]);
  assert.deepEqual(tracker.heldIters().map((x) => [x.epoch, x.iter]), [[2, 1]], 'an older epoch is not taken back');
});

test('bounded: past MAX_ITER_POINTS old points are thinned, the newest kept, and deltas neither skip nor resend', () => {
  const store = started();
  const tracker = new DashboardTracker();
  wire(store, tracker);
  tracker.snapshot(store.get('r1')!, []);
  const total = MAX_ITER_POINTS * 3 + 17;
  const page: number[] = [];
  let iter = 0;
  while (iter < total) {
    const events: RunEvent[] = [];
    for (let k = 0; k < 10 && iter < total; k++) events.push(iterEvent(1, ++iter));
    store.applyAll(events);
    const d = tracker.delta(store.get('r1')!);
    page.push(...d.iters.map((x) => x.iter));
  }
  assert.deepEqual(page, Array.from({ length: total }, (_, i) => i + 1), 'the page got every point once, in order');
  const held = tracker.heldIters().map((x) => x.iter);
  assert.ok(held.length <= MAX_ITER_POINTS, `${held.length} points held`);
  assert.ok(held.length >= MAX_ITER_POINTS / 2, 'thinning keeps a good share');
  const newest = held.slice(-MAX_ITER_POINTS / 4);
  assert.deepEqual(newest, Array.from({ length: newest.length }, (_, i) => total - newest.length + 1 + i), 'the newest points are all there');
  assert.equal(held[0], 1, 'the chart still spans the whole epoch');
  for (let i = 1; i < held.length; i++) assert.ok(held[i]! > held[i - 1]!, 'in order');
  // A reloaded page: the snapshot is what is held; deltas continue after it without a repeat.
  const snap = tracker.snapshot(store.get('r1')!, []);
  assert.deepEqual(snap.iters.map((x) => x.iter), held);
  store.applyAll([iterEvent(1, total + 1), iterEvent(1, total + 2)]);
  assert.deepEqual(tracker.delta(store.get('r1')!).iters.map((x) => x.iter), [total + 1, total + 2]);
  assert.deepEqual(tracker.delta(store.get('r1')!).iters, []);
});

test('seed merges the events file with the points the panel already collected: each iteration once, in order', () => {
  const store = started();
  const tracker = new DashboardTracker();
  const file: RunEvent[] = [];
  for (let i = 1; i <= 55; i++) file.push(iterEvent(1, i));
  store.applyAll(file);
  wire(store, tracker); // the panel opens at iteration 55 ...
  const live: RunEvent[] = [];
  for (let i = 50; i <= 60; i++) live.push(iterEvent(1, i)); // ... and its reader delivers 50-60 (a lagging reader: 50-55 again)
  store.applyAll(live);
  assert.equal(tracker.needsSeed(store.get('r1')!), true);
  tracker.seed(store.get('r1')!, file); // what was in events.jsonl when the panel read it
  assert.equal(tracker.needsSeed(store.get('r1')!), false, 'read once per epoch');
  const snap = tracker.snapshot(store.get('r1')!, []);
  assert.deepEqual(snap.iters.map((x) => x.iter), Array.from({ length: 60 }, (_, i) => i + 1));
  store.applyAll([iterEvent(1, 61)]);
  assert.deepEqual(tracker.delta(store.get('r1')!).iters.map((x) => x.iter), [61]);
  store.apply({ ...base, type: 'epoch_start', t: t(2e6), epoch: 2, lr: 1e-3 } as RunEvent);
  assert.equal(tracker.needsSeed(store.get('r1')!), true, 'a new epoch is read back once too');
});

// ---------------------------------------------------------------------------------------------
// the throttle

class FakeClock implements ThrottleClock {
  t = 1000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  /** Moves time on to `to`, firing due timers in order. */
  advance(to: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (due === undefined || due.at > to) break;
      this.timers.shift();
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = to;
  }
}

test('throttle: the leading edge goes at once, requests within the window go together at its end', () => {
  const clock = new FakeClock();
  const sent: number[] = [];
  const th = new LeadingThrottle(100, () => void sent.push(clock.now()), clock);
  th.request();
  th.request();
  clock.advance(1000); // the same turn: a zero-delay timer
  assert.deepEqual(sent, [1000], 'nothing sent recently: at once, once for both requests');
  clock.advance(1010);
  th.request();
  clock.advance(1050);
  th.request();
  clock.advance(1099);
  assert.deepEqual(sent, [1000], 'within the window: waits');
  clock.advance(1100);
  assert.deepEqual(sent, [1000, 1100], 'the window ends 100 ms after the previous send, one send for both');
  clock.advance(1500);
  th.request();
  clock.advance(1500);
  assert.deepEqual(sent, [1000, 1100, 1500], 'after a quiet spell: at once again');
  // A steady stream of requests every 7 ms: never more than one send per 100 ms, none waiting longer.
  const from = sent.length;
  let waitedMax = 0;
  let firstUnsent: number | undefined;
  const th2 = new LeadingThrottle(100, () => {
    if (firstUnsent !== undefined) waitedMax = Math.max(waitedMax, clock.now() - firstUnsent);
    firstUnsent = undefined;
    sent.push(clock.now());
  }, clock);
  for (let now = 2000; now < 4000; now += 7) {
    clock.advance(now);
    firstUnsent ??= now;
    th2.request();
  }
  clock.advance(4200);
  const times = sent.slice(from);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 100, `sends ${times[i - 1]} and ${times[i]} closer than the window`);
  assert.ok(waitedMax <= 100, `a request waited ${waitedMax} ms`);
  assert.ok(times.length >= 19 && times.length <= 21, `${times.length} sends in 2 s`);
});

test('throttle: markSent opens a new window; cancel and dispose drop a pending send', () => {
  const clock = new FakeClock();
  const sent: number[] = [];
  const th = new LeadingThrottle(100, () => void sent.push(clock.now()), clock);
  th.markSent(); // a snapshot went at 1000
  th.request();
  assert.equal(th.isPending, true);
  clock.advance(1099);
  assert.deepEqual(sent, []);
  clock.advance(1100);
  assert.deepEqual(sent, [1100]);
  th.request();
  th.cancel();
  clock.advance(1300);
  assert.deepEqual(sent, [1100]);
  th.request();
  th.dispose();
  th.request();
  clock.advance(2000);
  assert.deepEqual(sent, [1100]);
});

// ---------------------------------------------------------------------------------------------
// the page's running-loss series

function points(from: number, to: number, epoch = 1): IterPoint[] {
  const out: IterPoint[] = [];
  for (let i = from; i <= to; i++) out.push({ epoch, iter: i, numIters: 1000, losses: { tot: 3 / Math.sqrt(1 + i) - (i % 5 === 0 ? 2 : 0), hm: i % 11 === 0 ? null : 0.5 + (i % 3) } });
  return out;
}

test('page series: appending in pieces gives exactly the whole-series smoothing and log filter', () => {
  for (const [smoothing, log] of [[0, false], [0.6, false], [0.95, true], [0.999, true]] as const) {
    const whole = points(1, 500);
    const set = new IterSeriesSet(smoothing, log);
    let newNames = 0;
    for (let i = 0; i < whole.length; i += 13) newNames += set.append(whole.slice(i, i + 13));
    assert.equal(newNames, 2, 'two loss names, each announced once');
    for (const name of ['tot', 'hm']) {
      const raw = whole.filter((p) => p.losses[name] !== null).map((p) => ({ x: p.iter, y: p.losses[name] as number }));
      const ys = emaSmooth(raw.map((p) => p.y), smoothing);
      let expected = raw.map((p, j) => ({ x: p.x, y: ys[j] as number }));
      if (log) expected = expected.filter((p) => p.y > 0);
      const got = set.series.get(name)!.data;
      assert.equal(got.length, expected.length, `${name} at ${smoothing}, log ${log}`);
      for (let j = 0; j < got.length; j++) {
        assert.equal(got[j]!.x, expected[j]!.x);
        assert.ok(Math.abs(got[j]!.y - expected[j]!.y) <= 1e-9 * Math.max(1, Math.abs(expected[j]!.y)), `${name}[${j}]: ${got[j]!.y} vs ${expected[j]!.y}`);
      }
    }
  }
});

test('page series: a repeated or older point is not drawn twice; the array the chart holds is the one appended to', () => {
  const set = new IterSeriesSet(0, false);
  set.append(points(1, 10));
  const held = set.series.get('tot')!.data;
  set.append(points(5, 12));
  set.append(points(12, 12));
  assert.equal(set.series.get('tot')!.data, held, 'same array: the chart sees the new points without new datasets');
  assert.deepEqual(held.map((p) => p.x), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.equal(set.append([{ epoch: 1, iter: 13, numIters: 1000, losses: { tot: 1, wh: 2 } }]), 1, 'a new loss name is reported');
  assert.deepEqual(set.lastPoint, { epoch: 1, iter: 13 });
});

/** A 100 ms throttle whose sends stay in flight until the test settles them (flights[i]()). */
function throttleInFlight(maxInFlight: number): { clock: FakeClock; sent: number[]; flights: (() => void)[]; th: LeadingThrottle } {
  const clock = new FakeClock();
  const sent: number[] = [];
  const flights: (() => void)[] = [];
  const th = new LeadingThrottle(100, () => {
    sent.push(clock.now());
    return new Promise<void>((resolve) => flights.push(resolve));
  }, clock, maxInFlight, 2000);
  return { clock, sent, flights, th };
}

test('throttle flow control: no send while the previous one is in flight; what came meanwhile goes once when it settles', async () => {
  const { clock, sent, flights, th } = throttleInFlight(1);
  th.request();
  clock.advance(1000);
  assert.deepEqual(sent, [1000]);
  th.request();
  clock.advance(1300);
  th.request();
  clock.advance(1500);
  assert.deepEqual(sent, [1000], 'the first message is still in flight (a slow transport): nothing queued behind it');
  assert.equal(th.isPending, true);
  flights.shift()!();
  await new Promise((r) => setImmediate(r));
  clock.advance(1500);
  assert.deepEqual(sent, [1000, 1500], 'settled after the window: the changes go at once, in one message');
  flights.shift()!();
  await new Promise((r) => setImmediate(r));
  th.request();
  clock.advance(1550);
  assert.deepEqual(sent, [1000, 1500], 'settled within the window: the window still holds');
  clock.advance(1600);
  assert.deepEqual(sent, [1000, 1500, 1600]);
  // A promise that never settles stops counting after maxInFlightMs.
  th.request();
  clock.advance(3599);
  assert.deepEqual(sent, [1000, 1500, 1600]);
  clock.advance(3600);
  assert.deepEqual(sent, [1000, 1500, 1600, 3600]);
});

test('throttle flow control with two in flight: the second goes on time, a third waits for one to settle', async () => {
  const { clock, sent, flights, th } = throttleInFlight(2);
  th.request();
  clock.advance(1000);
  th.request();
  clock.advance(1100);
  assert.deepEqual(sent, [1000, 1100], 'one unsettled message does not hold the next');
  th.request();
  clock.advance(1400);
  assert.deepEqual(sent, [1000, 1100], 'two unsettled: the third waits');
  flights.shift()!();
  await new Promise((r) => setImmediate(r));
  clock.advance(1400);
  assert.deepEqual(sent, [1000, 1100, 1400]);
});
