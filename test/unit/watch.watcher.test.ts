// The exp/ watcher (chokidar, ExpWatch) on a real folder: a CenterFusion run folder that appears,
// grows log.txt lines, gets a checkpoint and a metrics_summary.json; the store sees each, live.
// A stale metrics file (older than every validation epoch it could belong to) is ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExpWatch } from '../../src/extension/watch/expWatch';
import type { Run } from '../../src/extension/runs/runStore';
import { RunStore } from '../../src/extension/runs/runStore';

const repoRoot = resolve(__dirname, '..', '..', '..');
const metricsFixture = join(repoRoot, 'test', 'fixtures', 'centerfusion', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');
let root: string;
let watch: ExpWatch | undefined;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cfs-watch-'));
});
after(() => {
  watch?.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Python's time.strftime('%Y-%m-%d-%H-%M') (local time). */
function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}`;
}

async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const OPT = (exp: string, epochs: number): string => `==> Cmd:\n['main.py', 'ddd', '--exp_id', '${exp}']\n==> Opt:\n  exp_id: ${exp}\n  num_epochs: ${epochs}\n`;

test('a run folder that appears and grows: run, epochs, checkpoint, metrics, each seen by the store', { timeout: 60_000 }, async () => {
  const store = new RunStore();
  const log: string[] = [];
  watch = new ExpWatch({ store, isFollowed: () => false, log: (l) => log.push(l), debounceMs: 100 });
  mkdirSync(join(root, 'exp'), { recursive: true });
  await watch.addRoot(root, false);
  assert.equal(store.size, 0);
  const byExp = (exp: string): Run | undefined => store.all().find((r) => r.exp_id === exp);
  const state = (): string => JSON.stringify(store.all().map((r) => [r.id, r.status, [...r.epochs.keys()], r.checkpoints.length, r.note]));

  // CenterFusion starts: opt.txt and an empty log.txt in a new logs_<time> folder.
  const saveDir = join(root, 'exp', 'ddd', 'live');
  const logsDir = join(saveDir, `logs_${stamp()}`);
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(join(saveDir, 'opt.txt'), OPT('live', 3));
  writeFileSync(join(logsDir, 'opt.txt'), OPT('live', 3));
  writeFileSync(join(logsDir, 'log.txt'), '');
  await until(() => byExp('live') !== undefined, 10_000, () => `the run to appear: ${state()}`);
  assert.equal(byExp('live')?.status, 'running', 'log.txt changed just now');
  assert.equal(byExp('live')?.num_epochs, 3);

  appendFileSync(join(logsDir, 'log.txt'), `${stamp()}: epoch: 1 |tot 9.000000 | hm 2.000000 | time 0.100000 | \n`);
  await until(() => byExp('live')?.epochs.get(1)?.done === true, 10_000, () => `epoch 1: ${state()}`);
  assert.deepEqual(byExp('live')?.epochs.get(1)?.train, { tot: 9, hm: 2 });

  writeFileSync(join(saveDir, 'model_last.pth'), 'weights');
  await until(() => (byExp('live')?.checkpoints.length ?? 0) === 1, 10_000, () => `the checkpoint: ${state()}`);
  assert.deepEqual(byExp('live')?.checkpoints.map((c) => [c.path, c.epoch, c.kind]), [[join(saveDir, 'model_last.pth'), 1, 'last']]);

  // Epoch 2 with validation, then its evaluation output.
  appendFileSync(join(logsDir, 'log.txt'), `${stamp()}: epoch: 2 |tot 8.000000 | hm 1.900000 | time 0.100000 | tot 8.500000 | hm 2.000000 | time 0.010000 | \n`);
  await until(() => byExp('live')?.epochs.get(2)?.val !== undefined && byExp('live')?.epochs.get(2)?.val !== null, 10_000, () => `epoch 2 with validation: ${state()}`);
  mkdirSync(join(saveDir, 'nuscenes_eval_det_output_val'));
  copyFileSync(metricsFixture, join(saveDir, 'nuscenes_eval_det_output_val', 'metrics_summary.json'));
  await until(() => byExp('live')?.epochs.get(2)?.eval !== undefined, 10_000, () => `metrics of epoch 2: ${state()}`);
  assert.equal(byExp('live')?.epochs.get(1)?.eval, undefined, 'epoch 1 had no validation: not its metrics');
  assert.ok(typeof byExp('live')?.lastEval?.NDS === 'number');

  // The last epoch: completed.
  appendFileSync(join(logsDir, 'log.txt'), `${stamp()}: epoch: 3 |tot 7.000000 | hm 1.800000 | time 0.100000 | \n`);
  await until(() => byExp('live')?.status === 'completed', 10_000, () => `completed: ${state()}`);
  assert.deepEqual([...byExp('live')!.epochs.keys()].sort(), [1, 2, 3]);
});

test('a stale metrics_summary.json (older than every validation epoch) is ignored', { timeout: 60_000 }, async () => {
  const store = new RunStore();
  watch?.dispose();
  watch = new ExpWatch({ store, isFollowed: () => false, log: () => undefined, debounceMs: 100 });
  await watch.addRoot(root, false);
  const saveDir = join(root, 'exp', 'ddd', 'stale');
  const logsDir = join(saveDir, `logs_${stamp()}`);
  mkdirSync(join(saveDir, 'nuscenes_eval_det_output_val'), { recursive: true });
  // The previous launch's evaluation output, an hour old, is still there.
  const metrics = join(saveDir, 'nuscenes_eval_det_output_val', 'metrics_summary.json');
  copyFileSync(metricsFixture, metrics);
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(metrics, hourAgo, hourAgo);
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(join(logsDir, 'opt.txt'), OPT('stale', 5));
  writeFileSync(join(logsDir, 'log.txt'), `${stamp()}: epoch: 1 |tot 9.000000 | time 0.100000 | tot 9.500000 | time 0.010000 | \n`);
  const run = (): Run | undefined => store.all().find((r) => r.exp_id === 'stale');
  await until(() => run()?.epochs.get(1)?.done === true, 10_000, () => 'the stale folder to be read');
  assert.equal(run()?.epochs.get(1)?.eval, undefined, 'the hour-old file is not epoch 1\'s metrics');
  assert.equal(run()?.lastEval, undefined);
  // A fresh evaluation of epoch 1 replaces it: now it counts.
  copyFileSync(metricsFixture, metrics);
  await until(() => run()?.epochs.get(1)?.eval !== undefined, 10_000, () => 'the fresh metrics');
});
