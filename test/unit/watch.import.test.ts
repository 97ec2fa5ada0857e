// Importing exp/ folders: a generated tree of 50 CenterFusion launches (timed and printed, not
// asserted), claimed launches left to their run records, shared files for the newest launch
// only, per-epoch metrics copies read back, stale metrics files ignored, status rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExpFollower, stampToMs } from '../../src/extension/watch/expFollower';
import { externalRunId, importExpDir, importRoot } from '../../src/extension/watch/expImport';
import { RunStore } from '../../src/extension/runs/runStore';

const repoRoot = resolve(__dirname, '..', '..', '..');
const METRICS = readFileSync(join(repoRoot, 'test', 'fixtures', 'centerfusion', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json'), 'utf8');
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cfs-watch-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}`;
}

/** One launch: logs_<time>/{opt.txt,log.txt}, epoch lines `minutes` apart, validation on even epochs. */
function launch(saveDir: string, startMs: number, epochs: number, numEpochs: number, minutes = 10): string {
  const logsDir = `logs_${stamp(startMs)}`;
  mkdirSync(join(saveDir, logsDir), { recursive: true });
  writeFileSync(join(saveDir, logsDir, 'opt.txt'), `==> torch version: 1.2.0\n==> Cmd:\n['main.py', 'ddd']\n==> Opt:\n  exp_id: x\n  num_epochs: ${numEpochs}\n`);
  let text = '';
  for (let e = 1; e <= epochs; e++) {
    text += `${stamp(startMs + e * minutes * 60_000)}: epoch: ${e} |tot ${(10 / e).toFixed(6)} | hm 1.000000 | time ${minutes.toFixed(6)} | `;
    if (e % 2 === 0) text += `tot ${(11 / e).toFixed(6)} | hm 1.100000 | time 1.000000 | `;
    text += '\n';
  }
  writeFileSync(join(saveDir, logsDir, 'log.txt'), text);
  const old = new Date(startMs + epochs * minutes * 60_000 + 30_000);
  utimesSync(join(saveDir, logsDir, 'log.txt'), old, old);
  return logsDir;
}

test('50 launches import correctly (time printed)', async () => {
  const big = join(root, 'big');
  const t0 = Date.parse('2025-03-01T08:00:00Z');
  for (let i = 0; i < 50; i++) {
    const saveDir = join(big, 'exp', 'ddd', `exp${String(i).padStart(2, '0')}`);
    launch(saveDir, t0 + i * 3 * 3600_000, 6, 6);
    writeFileSync(join(saveDir, 'model_last.pth'), 'x');
    writeFileSync(join(saveDir, 'model_3.pth'), 'x');
  }
  const started = process.hrtime.bigint();
  const runs = await importRoot(big);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`# imported ${runs.length} runs (300 epochs, 100 checkpoints) in ${ms.toFixed(0)} ms`);
  assert.equal(runs.length, 50);
  const store = new RunStore();
  for (const r of runs) store.load(r.id, r.meta, r.events);
  for (const run of store.all()) {
    assert.equal(run.status, 'completed', run.id);
    assert.equal(run.num_epochs, 6);
    assert.deepEqual([...run.epochs.values()].filter((e) => e.done).map((e) => e.epoch), [1, 2, 3, 4, 5, 6]);
    assert.equal(run.epochs.get(2)?.val?.['tot'], 5.5);
    assert.equal(run.epochs.get(1)?.val, null);
    assert.deepEqual(run.checkpoints.map((c) => [c.path.split('/').pop(), c.epoch]).sort(), [['model_3.pth', 3], ['model_last.pth', 6]]);
    assert.equal(run.backend, 'python (found on disk)');
  }
});

test('claimed launches are skipped; shared files go to the newest launch; unfinished old launches are ended', async () => {
  const saveDir = join(root, 'claims', 'exp', 'ddd', 'c');
  const t0 = Date.parse('2025-04-01T08:00:00Z');
  const a = launch(saveDir, t0, 2, 5); // stopped at 2 of 5, long ago
  const b = launch(saveDir, t0 + 86_400_000, 1, 5); // claimed by a record with logs_dir
  const c = launch(saveDir, t0 + 2 * 86_400_000, 1, 5); // claimed by a record's start time
  const d = launch(saveDir, t0 + 3 * 86_400_000, 3, 3); // newest, completed
  mkdirSync(join(saveDir, 'runs', 'r1'), { recursive: true });
  writeFileSync(join(saveDir, 'runs', 'r1', 'run.json'), JSON.stringify({ id: 'r1', status: 'completed', logs_dir: b }));
  mkdirSync(join(saveDir, 'runs', 'r2'), { recursive: true });
  writeFileSync(join(saveDir, 'runs', 'r2', 'run.json'), JSON.stringify({ id: 'r2', status: 'completed', started: new Date(t0 + 2 * 86_400_000 + 20_000).toISOString() }));
  writeFileSync(join(saveDir, 'model_last.pth'), 'x');
  const runs = await importExpDir(saveDir, join(root, 'claims'));
  assert.deepEqual(runs.map((r) => r.id).sort(), [externalRunId(saveDir, a), externalRunId(saveDir, d)].sort());
  const old = runs.find((r) => r.id === externalRunId(saveDir, a))!;
  assert.equal(old.meta.status, 'killed');
  assert.match(old.meta.note ?? '', /stops at epoch 2 of 5/);
  assert.equal(old.events.filter((e) => e.type === 'checkpoint').length, 0);
  const newest = runs.find((r) => r.id === externalRunId(saveDir, d))!;
  assert.equal(newest.meta.status, 'completed');
  assert.deepEqual(newest.events.filter((e) => e.type === 'checkpoint').map((e) => e.epoch), [3]);
  assert.ok(!runs.some((r) => r.id.includes(c)));
});

test('metrics: kept per epoch, stale files ignored, copies read back', async () => {
  const saveDir = join(root, 'metrics', 'exp', 'ddd', 'm');
  const t0 = Date.parse('2025-05-01T08:00:00Z');
  const logsDir = launch(saveDir, t0, 4, 10); // validation epochs 2 and 4, lines 10 minutes apart
  const evalDir = join(saveDir, 'nuscenes_eval_det_output_mini_val');
  mkdirSync(evalDir, { recursive: true });
  const file = join(evalDir, 'metrics_summary.json');
  writeFileSync(file, METRICS);
  const at = (ms: number) => utimesSync(file, new Date(ms), new Date(ms));
  // Written after epoch 2's line was stamped but before epoch 4's: epoch 2's evaluation.
  at(stampToMs(stamp(t0 + 20 * 60_000)) + 5 * 60_000);
  const f = new ExpFollower(saveDir, { logsDir });
  const first = await f.poll();
  assert.deepEqual(first.filter((e) => e.type === 'eval').map((e) => e.epoch), [2]);
  const copy2 = join(saveDir, '.centerfusion-studio', 'metrics', logsDir, 'nuscenes_eval_det_output_mini_val', 'epoch_2.json');
  assert.equal(readFileSync(copy2, 'utf8'), METRICS);
  // Older than every validation epoch: stale, ignored, no copy.
  const stale = join(root, 'metrics', 'exp', 'ddd', 's');
  const staleLogs = launch(stale, t0, 4, 10);
  mkdirSync(join(stale, 'nuscenes_eval_det_output_mini_val'), { recursive: true });
  const staleFile = join(stale, 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');
  writeFileSync(staleFile, METRICS);
  utimesSync(staleFile, new Date(t0 - 3600_000), new Date(t0 - 3600_000));
  const sf = new ExpFollower(stale, { logsDir: staleLogs });
  assert.deepEqual((await sf.poll()).filter((e) => e.type === 'eval'), []);
  assert.ok(!existsSync(join(stale, '.centerfusion-studio')));
  // Live: the newest epoch seen starting before the file's time; a file older than the run is stale.
  const live = new ExpFollower(saveDir, { logsDir, since: t0 });
  at(t0 + 95_000);
  const starts = new Map([[1, t0 + 1000], [2, t0 + 90_000], [3, t0 + 200_000]]);
  const liveEvents = await live.poll({ epoch: 3, epochStarts: starts });
  assert.deepEqual(liveEvents.filter((e) => e.type === 'eval').map((e) => e.epoch), [2]); // the copy read back; the same file again adds nothing
  at(t0 - 1000);
  const again = new ExpFollower(saveDir, { logsDir, since: t0 });
  const later = await again.poll({ epoch: 3, epochStarts: starts });
  assert.deepEqual(later.filter((e) => e.type === 'eval' && e.summary_path === file), [], 'a file from before the run is stale');
  // A half-written file is not taken (and is read again next time).
  writeFileSync(file, METRICS.slice(0, 200));
  at(t0 + 250_000);
  assert.deepEqual((await live.poll({ epoch: 3, epochStarts: starts })).filter((e) => e.type === 'eval'), []);
  writeFileSync(file, METRICS);
  at(t0 + 260_000);
  assert.deepEqual((await live.poll({ epoch: 3, epochStarts: starts })).filter((e) => e.type === 'eval').map((e) => e.epoch), [3]);
  assert.ok(existsSync(copy2.replace('epoch_2', 'epoch_3')));
});
