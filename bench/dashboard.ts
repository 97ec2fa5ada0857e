/**
 * The dashboard with a big run: 200 epochs (12 loss components train and val, LR, NDS, mAP, the
 * five TP errors, 10 classes' AP and TP errors) and 50,000 iteration events (250 per epoch),
 * folded by the real run store and turned into messages by the real DashboardTracker.
 *
 * In headless chromium (playwright-core, /usr/bin/chromium) the built page dist/webview/dashboard.js
 * is loaded in a static page with a small acquireVsCodeApi shim; time is measured in the page,
 * from posting a message to the end of the animation frame in which the charts drew.
 *
 * Figures (each with a baseline measured in the same run):
 *   1. render: the snapshot → every chart drawn. Baseline: the same run drawn by plain chart.js
 *      with every iteration point (no host cap, no decimation), the way a naive page would.
 *   2. snapshot size on the wire. Baseline: a snapshot carrying all 50,000 iteration points.
 *   3. live: one throttled batch of the last epoch's iteration events (5 events) → drawn, per
 *      batch, over the epoch's first 20 batches. Baseline: the whole snapshot re-sent per batch.
 *   4. host: building one live message in the extension host (store fold + delta). Baseline:
 *      building a whole snapshot per batch.
 *
 * Run: npm run bench:dashboard (builds first). Writes bench/results/dashboard.json.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { DashboardTracker } from '../src/extension/dashboard/model';
import { RunStore } from '../src/extension/runs/runStore';
import type { RunEvent } from '../src/shared/protocol/types';
import type { HostToDashboard, SnapshotMessage } from '../src/shared/webview/dashboard';
import { median, runMain, type Bench } from './lib';
import { mulberry32 as rng } from '../src/shared/random';

const EPOCHS = 200;
const ITERS_PER_EPOCH = 250;
const BATCH = 5;
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 3);
const BASELINE_REPEATS = Number(process.env['BENCH_BASELINE_REPEATS'] ?? 1);
/** Live batches timed per repeat (the first ones of the last epoch), and repeats of that. */
const LIVE_BATCHES = Number(process.env['BENCH_LIVE_BATCHES'] ?? 20);
const LIVE_REPEATS = Number(process.env['BENCH_LIVE_REPEATS'] ?? 1);
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const LOSSES = ['tot', 'hm', 'wh', 'reg', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec', 'amodel_offset', 'velocity', 'nuscenes_att'];
const CLASSES = ['car', 'truck', 'bus', 'trailer', 'construction_vehicle', 'pedestrian', 'motorcycle', 'bicycle', 'traffic_cone', 'barrier'];
const RUN = 'bench-run';

const repoRoot = path.resolve(__dirname, '..', '..');


const T0 = Date.UTC(2026, 0, 1);
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();

function losses(r: () => number, level: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [i, k] of LOSSES.entries()) out[k] = level * (1 + i / 10) * (0.9 + 0.2 * r());
  return out;
}

/** Every event of the run, epoch by epoch; the last epoch's events are returned separately (live). */
function makeEvents(): { past: RunEvent[]; live: RunEvent[][] } {
  const r = rng(317);
  const base = { v: 1 as const, run: RUN };
  const past: RunEvent[] = [];
  const live: RunEvent[][] = [];
  let t = 0;
  past.push({ ...base, type: 'run_start', t: iso(t), task: 'ddd', exp_id: 'bench', mode: 'train', argv: [], opts: { num_epochs: EPOCHS }, save_dir: 'exp/ddd/bench', backend: 'cpu' } as RunEvent);
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const level = 3 / Math.sqrt(epoch);
    const target = epoch === EPOCHS ? undefined : past;
    const push = (e: RunEvent): void => {
      if (target !== undefined) target.push(e);
      else {
        const last = live[live.length - 1];
        if (last === undefined || last.length >= BATCH) live.push([e]);
        else last.push(e);
      }
    };
    past.push({ ...base, type: 'epoch_start', t: iso(++t), epoch, lr: 1e-3 * (epoch > 150 ? 0.1 : 1) } as RunEvent);
    for (let iter = 0; iter < ITERS_PER_EPOCH; iter++) {
      push({ ...base, type: 'iter', t: iso(++t), phase: 'train', epoch, iter, num_iters: ITERS_PER_EPOCH, losses: losses(r, level), eta_s: ITERS_PER_EPOCH - iter } as RunEvent);
    }
    if (epoch === EPOCHS) break;
    past.push({ ...base, type: 'epoch_end', t: iso(++t), epoch, train: losses(r, level), val: losses(r, level * 1.1), time_min: 1 } as RunEvent);
    const perClass: Record<string, { AP: number; ATE: number; ASE: number; AOE: number; AVE: number; AAE: number }> = {};
    for (const c of CLASSES) perClass[c] = { AP: (0.4 * epoch) / EPOCHS + 0.1 * r(), ATE: 0.5 + r(), ASE: 0.2 + 0.1 * r(), AOE: 0.5 + r(), AVE: 0.8 + r(), AAE: 0.2 * r() };
    past.push({ ...base, type: 'eval', t: iso(++t), epoch, metrics: { mAP: 0.3 * (epoch / EPOCHS), mATE: 0.7, mASE: 0.3, mAOE: 0.6, mAVE: 0.9, mAAE: 0.2, NDS: 0.35 * (epoch / EPOCHS), per_class: perClass } } as RunEvent);
    past.push({ ...base, type: 'checkpoint', t: iso(++t), epoch, path: `exp/ddd/bench/model_${epoch}.ckpt`, kind: 'epoch', size_bytes: 4_000_000 } as RunEvent);
  }
  return { past, live };
}

/** The static page: the built bundle, the stylesheet, dark-theme variables and an API shim. */
function writeHarness(dir: string): { ours: string; naive: string } {
  const vars = [
    '--vscode-foreground:#cccccc', '--vscode-descriptionForeground:#9d9d9d', '--vscode-editor-background:#1f1f1f',
    '--vscode-editorWidget-border:#454545', '--vscode-font-family:sans-serif', '--vscode-font-size:13px',
    '--vscode-charts-blue:#3794ff', '--vscode-charts-orange:#d18616', '--vscode-charts-green:#89d185',
    '--vscode-charts-purple:#b180d7', '--vscode-charts-red:#f14c4c', '--vscode-charts-yellow:#cca700',
    '--vscode-focusBorder:#0078d4',
  ].join(';');
  const shim = `<script>window.__posted=[];window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__posted.push(m),getState:()=>undefined,setState:()=>undefined});</script>`;
  const css = pathToFileURL(path.join(repoRoot, 'media', 'dashboard.css')).href;
  const ours = path.join(dir, 'ours.html');
  writeFileSync(ours, `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${css}"></head>
<body style="${vars}"><div id="root"></div>
<script type="application/json" id="initial-state">{"runId":"${RUN}","smoothing":0.6,"logScale":false,"focusEpoch":null,"tpError":"ATE"}</script>
${shim}<script src="${pathToFileURL(path.join(repoRoot, 'dist', 'webview', 'dashboard.js')).href}"></script></body></html>`);
  const naive = path.join(dir, 'naive.html');
  writeFileSync(naive, `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${css}"></head>
<body style="${vars}"><div id="root" class="charts"></div>
<script src="${pathToFileURL(path.join(repoRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.js')).href}"></script></body></html>`);
  return { ours, naive };
}

// In-page code is kept as JavaScript text (this file compiles without the DOM library):
// playwright sends a function's source to the page and calls it there with the argument.
type InPage<A> = (arg: A) => Promise<number>;
const inPage = <A>(body: string): InPage<A> => new Function('arg', `return (async () => {${body}})();`) as InPage<A>;

/** Posts the message to the page; resolves with the milliseconds until the frame that drew it ended. */
const POST_AND_TIME = inPage<HostToDashboard>(`
  const t0 = performance.now();
  window.dispatchEvent(new MessageEvent('message', { data: arg }));
  // The page renders in a requestAnimationFrame callback queued while it handled the message;
  // this one is queued after it and runs after it, in the same frame.
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
`);

/** The naive page: one chart.js line chart per group, every point, default parsing, no decimation. */
const NAIVE_RENDER = inPage<{ snap: SnapshotMessage; iters: { iter: number; losses: Record<string, number | null> }[] }>(`
  const t0 = performance.now();
  const groups = { loss: {}, iter: {}, lr: {}, nds: {}, tp: {}, ap: {}, tpc: {} };
  const add = (g, name, x, y) => { (groups[g][name] ??= []).push({ x, y: y ?? null }); };
  for (const e of arg.snap.epochs) {
    for (const [k, v] of Object.entries(e.train)) add('loss', 'train ' + k, e.epoch, v);
    for (const [k, v] of Object.entries(e.val ?? {})) add('loss', 'val ' + k, e.epoch, v);
    add('lr', 'lr', e.epoch, e.lr);
    if (e.eval !== null) {
      add('nds', 'NDS', e.epoch, e.eval.NDS);
      add('nds', 'mAP', e.epoch, e.eval.mAP);
      for (const k of ['mATE', 'mASE', 'mAOE', 'mAVE', 'mAAE']) add('tp', k, e.epoch, e.eval[k]);
      for (const [c, v] of Object.entries(e.eval.ap)) add('ap', c, e.epoch, v);
      for (const [c, v] of Object.entries(e.eval.tp ?? {})) add('tpc', c, e.epoch, v.ATE);
    }
  }
  for (const p of arg.iters) for (const [k, v] of Object.entries(p.losses)) add('iter', k, p.iter, v);
  const root = document.getElementById('root');
  for (const series of Object.values(groups)) {
    const holder = document.createElement('div');
    holder.className = 'canvas-holder';
    const canvas = document.createElement('canvas');
    holder.append(canvas);
    root.append(holder);
    new window.Chart(canvas, {
      type: 'line',
      data: { datasets: Object.entries(series).map(([label, data]) => ({ label, data, pointRadius: 0, borderWidth: 1.5 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { type: 'linear' } }, plugins: { legend: { position: 'bottom' } } },
    });
  }
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
`);

/** Resolves once the page has posted its first message (`ready`). */
const PAGE_READY = inPage<null>(`
  while (window.__posted.length === 0) await new Promise((r) => setTimeout(r, 10));
  return 0;
`);

/** Per chart: "id:times drawn:points". */
const CHARTS_DRAWN = inPage<null>(`
  return [...document.querySelectorAll('figure.chart')].map((f) => f.id + ':' + (f.getAttribute('data-drawn') ?? '0') + ':' + f.getAttribute('data-points')).join(',');
`) as unknown as (arg: null) => Promise<string>;

const ITER_POINTS = inPage<null>(`return Number(document.getElementById('chart-iter')?.getAttribute('data-points'));`);

async function postAndTime(page: Page, message: HostToDashboard): Promise<number> {
  return page.evaluate(POST_AND_TIME, message);
}

async function main(bench: Bench): Promise<void> {
  const { past, live } = makeEvents();
  const iterEvents = past.filter((e) => e.type === 'iter').length + live.flat().length;
  bench.note(`${EPOCHS} epochs, ${iterEvents} iteration events (${ITERS_PER_EPOCH} per epoch), ${LOSSES.length} losses, ${CLASSES.length} classes; render ${REPEATS} samples (baseline ${BASELINE_REPEATS}), live ${LIVE_BATCHES} batches x ${LIVE_REPEATS}; medians`);

  // The host: the store folds the past, the tracker reads the newest epoch's points back.
  const store = new RunStore();
  store.applyAll(past);
  const run0 = store.get(RUN);
  if (run0 === undefined) throw new Error('the run was not folded');

  const finished = new RunStore();
  finished.applyAll([...past, ...live.flat()]);
  const finishedRun = finished.get(RUN)!;
  const snapTracker = new DashboardTracker();
  snapTracker.seed(finishedRun, [...past, ...live.flat()]);
  const snap = snapTracker.snapshot(finishedRun, ['copyPath', 'reveal', 'evaluate', 'resume']);
  const allIters = [...past, ...live.flat()].flatMap((e) => (e.type === 'iter' ? [{ epoch: e.epoch ?? 0, iter: (e.epoch! - 1) * ITERS_PER_EPOCH + e.iter, numIters: e.num_iters, losses: e.losses as Record<string, number | null> }] : []));
  const fat: SnapshotMessage = { ...snap, iters: allIters };
  const snapBytes = JSON.stringify(snap).length;
  const fatBytes = JSON.stringify(fat).length;
  bench.figure({
    name: 'snapshot message size',
    value: snapBytes / 1024,
    unit: 'KiB',
    better: 'lower',
    baseline: { name: 'the same snapshot with all 50,000 iteration points', value: fatBytes / 1024 },
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfs-bench-dash-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const { ours, naive } = writeHarness(dir);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));

    // 1. render
    const oursMs: number[] = [];
    const naiveMs: number[] = [];
    // Each sample loads the page afresh; the baseline is slow (seconds), so it runs fewer times.
    for (let i = 0; i < Math.max(REPEATS, BASELINE_REPEATS); i++) {
      if (i < REPEATS) {
        await page.goto(pathToFileURL(ours).href);
        await page.evaluate(PAGE_READY, null);
        oursMs.push(await postAndTime(page, snap));
        const drawn = (await page.evaluate(CHARTS_DRAWN, null)).split(',');
        if (drawn.length < 7 || drawn.some((d) => d.split(':')[1] === '0')) throw new Error(`a chart did not draw: ${drawn.join(', ')}`);
      }
      if (i < BASELINE_REPEATS) {
        await page.goto(pathToFileURL(naive).href);
        naiveMs.push(await page.evaluate(NAIVE_RENDER, { snap, iters: allIters }));
      }
    }
    bench.figure({
      name: 'render: snapshot posted → all 7 charts drawn',
      value: median(oursMs),
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'plain chart.js, every point, no decimation', value: median(naiveMs) },
      goal: { op: '<=', value: 500 },
      note: `ours ${oursMs.map((x) => x.toFixed(0)).join('/')} ms; baseline ${naiveMs.map((x) => x.toFixed(0)).join('/')} ms`,
    });

    // 3 + 4. live batches of the last epoch: deltas (ours) against whole snapshots (baseline).
    const runLive = async (mode: 'delta' | 'snapshot'): Promise<{ page: number[]; host: number[]; bytes: number }> => {
      const s = new RunStore();
      s.applyAll(past);
      const tracker = new DashboardTracker();
      await page.goto(pathToFileURL(ours).href);
      await page.evaluate(PAGE_READY, null);
      await postAndTime(page, tracker.snapshot(s.get(RUN)!, ['copyPath', 'reveal']));
      const pageMs: number[] = [];
      const hostMs: number[] = [];
      let bytes = 0;
      for (const batch of live.slice(0, LIVE_BATCHES)) {
        const h0 = performance.now();
        for (const e of batch) {
          s.apply(e);
          tracker.observe(s.get(RUN)!);
        }
        const message: HostToDashboard = mode === 'delta' ? tracker.delta(s.get(RUN)!) : tracker.snapshot(s.get(RUN)!, ['copyPath', 'reveal']);
        bytes += JSON.stringify(message).length;
        hostMs.push(performance.now() - h0);
        pageMs.push(await postAndTime(page, message));
      }
      const points = await page.evaluate(ITER_POINTS, null);
      if (points < Math.min(live.length, LIVE_BATCHES) * BATCH - 1) throw new Error(`${mode}: the running-loss chart has ${points} points after the epoch`);
      return { page: pageMs, host: hostMs, bytes };
    };
    const pageDelta: number[] = [];
    const pageFull: number[] = [];
    const hostDelta: number[] = [];
    const hostFull: number[] = [];
    let bytesDelta = 0;
    let bytesFull = 0;
    for (let i = 0; i < LIVE_REPEATS; i++) {
      const d = await runLive('delta');
      const f = await runLive('snapshot');
      pageDelta.push(median(d.page));
      pageFull.push(median(f.page));
      hostDelta.push(median(d.host));
      hostFull.push(median(f.host));
      bytesDelta = d.bytes / Math.min(live.length, LIVE_BATCHES);
      bytesFull = f.bytes / Math.min(live.length, LIVE_BATCHES);
    }
    bench.figure({
      name: `live: one batch of ${BATCH} iteration events → drawn (median of ${Math.min(live.length, LIVE_BATCHES)} batches)`,
      value: median(pageDelta),
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'the whole snapshot re-sent per batch', value: median(pageFull) },
      goal: { op: '<=', value: 50 },
    });
    bench.figure({
      name: 'live: message size per batch',
      value: bytesDelta / 1024,
      unit: 'KiB',
      better: 'lower',
      baseline: { name: 'the whole snapshot per batch', value: bytesFull / 1024 },
    });
    bench.figure({
      name: 'host: fold a batch and build its message',
      value: median(hostDelta),
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'fold and build a whole snapshot', value: median(hostFull) },
    });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain('dashboard', main);
