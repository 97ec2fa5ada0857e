/**
 * Scale: 1,000 runs x 100 epochs in the host, and the dashboard's iteration points for 20 runs
 * x 100 k points.
 *
 *   npm run bench -- scale             (node out/bench/scale.js [--runs N] [--epochs N] [--points N])
 *
 * 1. Load: 1,000 run folders (events.jsonl + run.json, 100 epochs each with an evaluation every
 *    10 epochs) written to a temp dir and read by the host's loader (runLoader.loadRuns with
 *    maxRuns raised to 1,000) into a RunStore. Figures: load time (baseline: the bare
 *    JSON.parse loop over the same files), and the process's RSS with the store loaded (goal
 *    <= 300 MB; baseline: the same process before loading).
 * 2. Runs tree: the real RunsTreeProvider (src/extension/views/runsTree.ts) over that store,
 *    with a stand-in vscode module (bench/vscodeStub.ts): the time to build what the view
 *    shows when it opens (root groups, then every group's runs, which are expanded by default,
 *    and a TreeItem for each) and to expand one run (100 epoch items). Two layouts: runs spread
 *    over 10 configs, and 1,000 runs each in its own group (exp/ folders found on disk, no
 *    config). Baseline: one plain {label, description} object per run from a presorted array.
 * 3. Dashboard iteration points: DashboardTracker (src/extension/dashboard/model.ts) observing
 *    100 k train iterations for each of 20 runs, with a delta message every 100 iterations, as
 *    the panel does; against a naive tracker that keeps and sends every point. Figures: time
 *    per run and the points / JSON bytes a 20-run overlay would hold.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { installVscodeStub } from './vscodeStub';
import { type Bench, gc, MiB, median, runMain, time } from './lib';
import type { EventBody } from '../src/shared/protocol/types';
import { makeEvent, serializeEvent } from '../src/shared/protocol/writer';
import { NUSCENES_CLASSES } from '../src/shared/protocol/types';
import type { Run } from '../src/extension/runs/runStore';

installVscodeStub();

interface Args {
  runs: number;
  epochs: number;
  points: number;
  overlay: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 1000, epochs: 100, points: 100_000, overlay: 20 };
  for (let i = 0; i < argv.length; i++) {
    const next = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${argv[i - 1]} needs a positive integer`);
      return v;
    };
    if (argv[i] === '--runs') a.runs = next();
    else if (argv[i] === '--epochs') a.epochs = next();
    else if (argv[i] === '--points') a.points = next();
    else if (argv[i] === '--overlay') a.overlay = next();
    else throw new Error(`unknown argument ${argv[i]} (known: --runs N --epochs N --points N --overlay N)`);
  }
  return a;
}

const LOSSES = ['tot', 'hm', 'wh', 'reg', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec', 'amodel_offset', 'nuscenes_att', 'velocity'];

function stats(seed: number): Record<string, number> {
  const out: Record<string, number> = {};
  LOSSES.forEach((name, i) => (out[name] = Math.round((1 + Math.sin(seed + i)) * 1e4) / 1e4));
  return out;
}

function metrics(seed: number): EventBody & { type: 'eval' } {
  const per_class: Record<string, { AP: number; ATE: number; ASE: number; AOE: number; AVE: number; AAE: number }> = {};
  for (const c of NUSCENES_CLASSES) {
    const v = Math.abs(Math.sin(seed + c.length));
    per_class[c] = { AP: v, ATE: v / 2, ASE: v / 3, AOE: v / 4, AVE: v / 5, AAE: v / 6 };
  }
  return {
    type: 'eval',
    epoch: null,
    metrics: { mAP: 0.3, mATE: 0.6, mASE: 0.26, mAOE: 0.5, mAVE: 0.6, mAAE: 0.14, NDS: 0.45, per_class },
  };
}

/** One run's events.jsonl: run_start, 100 epochs (start, last iter, end, checkpoint; eval every 10), run_end. */
function runEvents(run: string, task: string, expId: string, epochs: number, t0: number): string {
  const lines: string[] = [];
  let n = 0;
  const add = (body: EventBody): void => {
    lines.push(serializeEvent(makeEvent(run, body, new Date(t0 + n++ * 1000))));
  };
  add({
    type: 'run_start',
    task,
    exp_id: expId,
    mode: 'train',
    argv: [task, '--exp_id', expId, '--num_epochs', String(epochs)],
    opts: { task, exp_id: expId, num_epochs: epochs, lr: 1.25e-4, batch_size: 32 },
    save_dir: `exp/${task}/${expId}`,
    backend: 'wasm',
  });
  for (let e = 1; e <= epochs; e++) {
    add({ type: 'epoch_start', epoch: e, lr: 1.25e-4 });
    add({ type: 'iter', phase: 'train', epoch: e, iter: 99, num_iters: 100, losses: stats(e) });
    add({ type: 'epoch_end', epoch: e, train: stats(e), val: e % 10 === 0 ? stats(e + 1) : null, time_min: 6.5 });
    add({ type: 'checkpoint', epoch: e, path: `exp/${task}/${expId}/model_last.ckpt`, kind: 'last' });
    if (e % 10 === 0) {
      add({ type: 'checkpoint', epoch: e, path: `exp/${task}/${expId}/model_${e}.ckpt`, kind: 'epoch' });
      const m = metrics(e);
      m.epoch = e;
      add(m);
    }
  }
  add({ type: 'run_end', status: 'completed', exit_code: 0 });
  return lines.join('');
}

interface Layout {
  root: string;
  files: string[];
  bytes: number;
}

async function writeRuns(root: string, args: Args, groups: number | 'each'): Promise<Layout> {
  const files: string[] = [];
  let bytes = 0;
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < args.runs; i++) {
    const task = 'ddd';
    const expId = groups === 'each' ? `exp${String(i).padStart(4, '0')}` : `cfg${i % groups}`;
    const id = `20260101-${String(i).padStart(6, '0')}`;
    const dir = path.join(root, 'exp', task, expId, 'runs', id);
    await mkdir(dir, { recursive: true });
    const text = runEvents(id, task, expId, args.epochs, t0 + i * 3_600_000);
    const file = path.join(dir, 'events.jsonl');
    await writeFile(file, text);
    const record: Record<string, unknown> = { id, task, exp_id: expId, mode: 'train', status: 'completed', started: new Date(t0 + i * 3_600_000).toISOString() };
    if (groups !== 'each') record['config'] = expId;
    await writeFile(path.join(dir, 'run.json'), JSON.stringify(record));
    files.push(file);
    bytes += Buffer.byteLength(text);
  }
  return { root, files, bytes };
}

/** Baseline for loading: read the same files and JSON.parse each line, nothing else. */
async function bareLoad(files: readonly string[]): Promise<number> {
  let n = 0;
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    for (const line of text.split('\n')) {
      if (line.length > 0) {
        JSON.parse(line);
        n++;
      }
    }
  }
  return n;
}

interface Tree {
  getChildren(node?: unknown): unknown[];
  getTreeItem(node: unknown): unknown;
  dispose(): void;
}

async function storeAndTree(bench: Bench, args: Args, layoutName: string, groups: number | 'each', measureMemory: boolean): Promise<void> {
  // Loaded after the stub is in place: runsTree imports vscode.
  const { loadRuns } = await import('../src/extension/runs/runLoader');
  const { RunStore } = await import('../src/extension/runs/runStore');
  const { RunsTreeProvider, byStartDesc } = await import('../src/extension/views/runsTree');
  const { epochDescription, epochLossLines, runDescription, runLabel } = await import('../src/extension/views/format');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-scale-'));
  try {
    let t = performance.now();
    const layout = await writeRuns(dir, args, groups);
    bench.note(`${layoutName}: ${args.runs} runs x ${args.epochs} epochs written (${(layout.bytes / MiB).toFixed(0)} MiB of events) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    gc();
    const rssBefore = process.memoryUsage.rss();
    const heapBefore = process.memoryUsage().heapUsed;
    const store = new RunStore();
    t = performance.now();
    const result = await loadRuns(store, dir, { maxRuns: args.runs, isAlive: () => false });
    const loadMs = performance.now() - t;
    if (result.runs !== args.runs || store.size !== args.runs) throw new Error(`loaded ${result.runs} runs (store ${store.size}) of ${args.runs}`);
    const sample = store.all()[0];
    if (sample.epochs.size !== args.epochs) throw new Error(`a run has ${sample.epochs.size} epochs, expected ${args.epochs}`);
    t = performance.now();
    await bareLoad(layout.files);
    const bareMs = performance.now() - t;
    bench.figure({
      name: `${layoutName}: loadRuns of ${args.runs} run folders into the RunStore`,
      value: loadMs,
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'readFile + bare JSON.parse per line, same files', value: bareMs },
    });
    if (measureMemory) {
      gc();
      const rssAfter = process.memoryUsage.rss();
      const heapAfter = process.memoryUsage().heapUsed;
      bench.figure({
        name: `host memory (RSS) with ${args.runs} runs x ${args.epochs} epochs loaded`,
        value: rssAfter / MiB,
        unit: 'MiB',
        better: 'lower',
        baseline: { name: 'same process before loading', value: rssBefore / MiB },
        goal: { op: '<=', value: 300 },
        note: `the store's heap: ${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB`,
      });
    }

    // The tree over this store. Config matching finds nothing (no configs), as for exp/ folders.
    const configs = { match: () => undefined, onDidChange: () => ({ dispose: () => undefined }) };
    // Cast: the stand-in has the two members RunsTreeProvider uses of ConfigRepository.
    const tree = new RunsTreeProvider(store, configs as never, () => false) as unknown as Tree;
    let items = 0;
    const open = (): void => {
      items = 0;
      for (const group of tree.getChildren(undefined)) {
        tree.getTreeItem(group);
        items++;
        for (const run of tree.getChildren(group)) {
          tree.getTreeItem(run);
          items++;
        }
      }
    };
    const runs = store.all();
    // Baseline: the same rows' texts (format.ts, the pure logic the tree uses) grouped in one
    // pass, without the provider's per-group scans and without building vscode objects.
    let sink = 0;
    const plain = (): void => {
      const byGroup = new Map<string, Run[]>();
      for (const r of runs) {
        const name = r.configName ?? `${r.task ?? '?'}/${r.exp_id ?? '?'}`;
        let list = byGroup.get(name);
        if (list === undefined) byGroup.set(name, (list = []));
        list.push(r);
      }
      for (const name of [...byGroup.keys()].sort()) {
        for (const r of byGroup.get(name)!.sort(byStartDesc)) sink += runLabel(r).length + runDescription(r).length;
      }
    };
    const ours = time(open, { warmup: 1, repeats: 5 });
    const base = time(plain, { warmup: 1, repeats: 5 });
    if (items !== args.runs + (groups === 'each' ? args.runs : groups)) throw new Error(`the tree showed ${items} items`);
    bench.figure({
      name: `${layoutName}: Runs tree opened (groups + ${args.runs} run items, getChildren + getTreeItem)`,
      value: ours.median,
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'the same row texts (format.ts), grouped in one pass, no vscode objects', value: Math.max(base.median, 0.001) },
      note: sink > 0 ? undefined : 'no rows',
    });
    const first = tree.getChildren(undefined)[0];
    const someRun = tree.getChildren(first)[0];
    let epochItems = 0;
    const expand = time(
      () => {
        epochItems = 0;
        for (const e of tree.getChildren(someRun)) {
          tree.getTreeItem(e);
          epochItems++;
        }
      },
      { warmup: 1, repeats: 9 },
    );
    if (epochItems !== args.epochs) throw new Error(`expanding a run showed ${epochItems} epochs`);
    const expandBase = time(
      () => {
        const r = runs[0];
        for (const e of [...r.epochs.values()].sort((a, b) => a.epoch - b.epoch)) {
          sink += epochDescription(e, r).length + epochLossLines(e).length;
        }
      },
      { warmup: 1, repeats: 9 },
    );
    bench.figure({
      name: `${layoutName}: one run expanded (${args.epochs} epoch items with tooltips)`,
      value: expand.median,
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'the same epoch texts (format.ts), no TreeItems or MarkdownStrings', value: Math.max(expandBase.median, 0.001) },
    });
    tree.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface IterLike {
  epoch: number;
  iter: number;
  numIters: number;
  losses: Record<string, number | null>;
}

/** The naive tracker: every point kept, each delta sends the new ones. */
class NaiveTracker {
  points: IterLike[] = [];
  sent = 0;
  observe(run: Run): void {
    const it = run.iter;
    if (it === undefined || it.epoch === null) return;
    this.points.push({ epoch: it.epoch, iter: it.iter, numIters: it.num_iters, losses: { ...it.losses } as Record<string, number | null> });
  }
  delta(): IterLike[] {
    const out = this.points.slice(this.sent);
    this.sent = this.points.length;
    return out;
  }
}

async function dashboardPoints(bench: Bench, args: Args): Promise<void> {
  const { DashboardTracker } = await import('../src/extension/dashboard/model');
  const losses = stats(1);
  // A stand-in run: DashboardTracker.observe reads only run.iter.
  const run = { iter: undefined as unknown } as { iter: unknown };
  const feed = (observe: (r: Run) => void, delta: () => unknown): void => {
    for (let i = 0; i < args.points; i++) {
      run.iter = { phase: 'train', epoch: 1, iter: i, num_iters: args.points, losses };
      observe(run as unknown as Run);
      if (i % 100 === 99) delta();
    }
  };
  let oursPoints = 0;
  let oursBytes = 0;
  const oursMs: number[] = [];
  const naiveMs: number[] = [];
  let naivePoints = 0;
  let naiveBytes = 0;
  for (let r = 0; r < args.overlay; r++) {
    const tracker = new DashboardTracker();
    let t = performance.now();
    // Only observe() is timed: delta() builds a header from a whole store Run, which the
    // stand-in is not; the points it would send are the ones the tracker holds.
    feed(
      (x) => tracker.observe(x),
      () => undefined,
    );
    oursMs.push(performance.now() - t);
    const held = (tracker as unknown as { iters: IterLike[] }).iters;
    oursPoints += held.length;
    oursBytes += JSON.stringify(held).length;

    const naive = new NaiveTracker();
    t = performance.now();
    feed(
      (x) => naive.observe(x),
      () => naive.delta(),
    );
    naiveMs.push(performance.now() - t);
    naivePoints += naive.points.length;
    if (r === 0) naiveBytes = JSON.stringify(naive.points).length * args.overlay;
  }
  bench.figure({
    name: `dashboard: DashboardTracker.observe, ${args.points} iterations of one run`,
    value: median(oursMs),
    unit: 'ms',
    better: 'lower',
    baseline: { name: 'naive tracker keeping every point', value: median(naiveMs) },
  });
  bench.figure({
    name: `dashboard: points held for ${args.overlay} runs x ${args.points} iterations (overlay)`,
    value: oursPoints,
    unit: 'points',
    better: 'lower',
    baseline: { name: 'naive: every point', value: naivePoints },
  });
  bench.figure({
    name: `dashboard: JSON sent for a ${args.overlay}-run overlay snapshot`,
    value: oursBytes / MiB,
    unit: 'MiB',
    better: 'lower',
    baseline: { name: 'naive: every point', value: naiveBytes / MiB },
  });
}

if (require.main === module) {
  runMain('scale', async (bench) => {
    const args = parseArgs(process.argv.slice(2));
    await storeAndTree(bench, args, '10 configs', 10, true);
    await storeAndTree(bench, args, 'one group per run', 'each', false);
    await dashboardPoints(bench, args);
  });
}
