/**
 * Many real trainers at once against the host-side modules, in plain node: `centerfusion train`
 * processes (small synthetic configs) started through TrainerProcesses, their events folded into
 * one RunStore, a dashboard model (DashboardTracker) per run turning every change into the
 * messages a dashboard page would get (checked with the page's own validator). Measures the
 * host's event-loop delay (perf_hooks.monitorEventLoopDelay) and its memory while they run, then
 * compares every run's events.jsonl with what the store holds.
 *
 * Used by test/unit/reliability.load.test.ts (a few runs; 20 with CFS_LOAD_RUNS=20) and
 * bench/load.ts (20 runs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseEventLines } from '../src/shared/protocol';
import type { RunEvent } from '../src/shared/protocol/types';
import { TrainerProcesses, type TrainerExit } from '../src/extension/process/trainerProcess';
import { RunStore } from '../src/extension/runs/runStore';
import { DashboardTracker } from '../src/extension/dashboard/model';
import { checkHostToDashboard } from '../src/shared/webview/dashboard';

/** A store that counts the events folded into each run (to compare with the files). */
class CountingStore extends RunStore {
  readonly applied = new Map<string, number>();

  override apply(event: RunEvent): ReturnType<RunStore['apply']> {
    this.applied.set(event.run, (this.applied.get(event.run) ?? 0) + 1);
    return super.apply(event);
  }

  override applyAll(events: readonly RunEvent[]): void {
    for (const e of events) this.applied.set(e.run, (this.applied.get(e.run) ?? 0) + 1);
    super.applyAll(events);
  }
}

export interface LoadOptions {
  cli: string;
  root: string;
  runs: number;
  /** Stop whatever still runs after this long (Stop: SIGINT, then SIGTERM, SIGKILL). */
  budgetMs: number;
  epochs?: number;
  iters?: number;
}

export interface RunCheck {
  runId: string;
  status: string;
  fileEvents: number;
  storeEvents: number;
  /** Differences between events.jsonl and the store (empty when none). */
  mismatches: string[];
}

export interface LoadResult {
  wallMs: number;
  /** Event-loop delay of the host process while the runs trained, ms. */
  loopP50: number;
  loopP99: number;
  loopMax: number;
  /** Resident memory of the host process: at the start and the highest seen, MiB. */
  rssStartMiB: number;
  rssMaxMiB: number;
  heapMaxMiB: number;
  /** CPU time the host process itself used while the runs trained, ms (user + system). */
  hostCpuMs: number;
  dashboardMessages: number;
  dashboardRejected: number;
  runs: RunCheck[];
  stoppedByBudget: number;
}

const TINY = ['--dataset', 'synthetic', '--arch', 'tiny', '--head_conv', '32', '--input_h', '32', '--input_w', '64', '--batch_size', '2'];

/** Compares a run's events file with the store. */
function compare(store: CountingStore, runId: string, file: string, exit: TrainerExit): RunCheck {
  const mismatches: string[] = [];
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    mismatches.push(`cannot read ${file}: ${(err as Error).message}`);
  }
  const batch = parseEventLines(text);
  const events = batch.events.filter((e) => e.run === runId);
  if (batch.problems.length > 0) mismatches.push(`${batch.problems.length} bad line(s) in events.jsonl`);
  const run = store.get(runId);
  // The store got every line of the file (plus one run_end of its own when the trainer did not report it).
  const applied = (store.applied.get(runId) ?? 0) - (exit.reported ? 0 : 1);
  if (applied !== events.length) mismatches.push(`store folded ${applied} events, events.jsonl holds ${events.length}`);
  const fileEpochs = events.filter((e) => e.type === 'epoch_end').map((e) => (e as { epoch: number }).epoch);
  const storeEpochs = [...(run?.epochs.values() ?? [])].filter((e) => e.train !== undefined).map((e) => e.epoch);
  if (JSON.stringify(fileEpochs) !== JSON.stringify(storeEpochs)) mismatches.push(`epochs: file ${JSON.stringify(fileEpochs)}, store ${JSON.stringify(storeEpochs)}`);
  const fileCkpts = new Set(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { path: string }).path));
  const storeCkpts = new Set(run?.checkpoints.map((c) => c.path));
  if (fileCkpts.size !== storeCkpts.size || [...fileCkpts].some((p) => !storeCkpts.has(p))) mismatches.push('checkpoints differ');
  const end = events.find((e) => e.type === 'run_end') as { status: string } | undefined;
  if (end !== undefined && run?.status !== end.status) mismatches.push(`status: file ${end.status}, store ${String(run?.status)}`);
  if (end === undefined && exit.reported) mismatches.push('the trainer reported run_end but the file has none');
  const lastIter = [...events].reverse().find((e) => e.type === 'iter') as { epoch: number; iter: number; phase: string } | undefined;
  if (lastIter !== undefined && (run?.iter?.iter !== lastIter.iter || run?.iter?.phase !== lastIter.phase)) {
    mismatches.push(`last iteration: file ${lastIter.phase} ${lastIter.iter}, store ${String(run?.iter?.phase)} ${String(run?.iter?.iter)}`);
  }
  return { runId, status: run?.status ?? 'missing', fileEvents: events.length, storeEvents: applied, mismatches };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { runs, root } = options;
  const epochs = options.epochs ?? 2;
  const iters = options.iters ?? 6;
  const store = new CountingStore();
  const log: string[] = [];
  const processes = new TrainerProcesses(store, (line) => {
    if (log.length < 5000) log.push(line);
  }, 2000);

  const trackers = new Map<string, DashboardTracker>();
  const dirty = new Set<string>();
  let dashboardMessages = 0;
  let dashboardRejected = 0;
  const sub = store.onDidChange((id) => {
    const run = store.get(id);
    const tracker = trackers.get(id);
    if (run === undefined || tracker === undefined) return;
    tracker.observe(run);
    dirty.add(id);
  });
  // Each open dashboard gets its delta at most every 100 ms, as the panel throttles it.
  const flush = setInterval(() => {
    for (const id of dirty) {
      const run = store.get(id);
      const tracker = trackers.get(id);
      if (run === undefined || tracker === undefined) continue;
      const message = JSON.parse(JSON.stringify(tracker.delta(run))) as unknown; // what postMessage carries
      dashboardMessages++;
      if (!checkHostToDashboard(message).ok) dashboardRejected++;
    }
    dirty.clear();
  }, 100);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  const rssStart = process.memoryUsage().rss;
  let rssMax = rssStart;
  let heapMax = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rssMax = Math.max(rssMax, m.rss);
    heapMax = Math.max(heapMax, m.heapUsed);
  }, 100);

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  loop.enable();
  const started: { runId: string; exp: string; exited: Promise<TrainerExit> }[] = [];
  for (let i = 0; i < runs; i++) {
    const exp = `load${i}`;
    const runId = `load-${i}-${process.pid}`;
    const tracker = new DashboardTracker();
    trackers.set(runId, tracker);
    const proc = processes.start({
      cliPath: options.cli,
      root,
      runId,
      args: ['ddd', ...TINY, '--exp_id', exp, '--num_epochs', String(epochs), '--num_iters', String(iters), '--val_intervals', '1', '--seed', String(i)],
      label: exp,
      meta: { task: 'ddd', exp_id: exp },
    });
    const run = store.get(runId);
    if (run !== undefined) {
      // The dashboard opens at once: its first message is a whole snapshot.
      const snap = JSON.parse(JSON.stringify(tracker.snapshot(run, []))) as unknown;
      dashboardMessages++;
      if (!checkHostToDashboard(snap).ok) dashboardRejected++;
    }
    started.push({ runId, exp, exited: proc.exited });
    // One launch per turn of the event loop, as separate Train commands arrive (spawning is
    // synchronous: 20 in one go would be one long stall of the harness's own making).
    await new Promise((r) => setImmediate(r));
  }
  let stoppedByBudget = 0;
  const budget = setTimeout(() => {
    for (const s of started) if (processes.stop(s.runId)) stoppedByBudget++;
  }, options.budgetMs);
  const exits = await Promise.all(started.map((s) => s.exited));
  clearTimeout(budget);
  loop.disable();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  clearInterval(flush);
  sub.dispose();
  processes.dispose();
  // run.json is finished asynchronously after an exit; give it a moment.
  await new Promise((r) => setTimeout(r, 200));

  const checks = started.map((s, i) => compare(store, s.runId, path.join(root, 'exp', 'ddd', s.exp, 'runs', s.runId, 'events.jsonl'), exits[i]));
  const ms = (ns: number): number => ns / 1e6;
  return {
    wallMs,
    loopP50: ms(loop.percentile(50)),
    loopP99: ms(loop.percentile(99)),
    loopMax: ms(loop.max),
    rssStartMiB: rssStart / 2 ** 20,
    rssMaxMiB: rssMax / 2 ** 20,
    heapMaxMiB: heapMax / 2 ** 20,
    hostCpuMs: (cpu.user + cpu.system) / 1000,
    dashboardMessages,
    dashboardRejected,
    runs: checks,
    stoppedByBudget,
  };
}

export function describeLoad(r: LoadResult): string {
  const events = r.runs.reduce((a, c) => a + c.fileEvents, 0);
  const statuses = new Map<string, number>();
  for (const c of r.runs) statuses.set(c.status, (statuses.get(c.status) ?? 0) + 1);
  return [
    `${r.runs.length} runs in ${(r.wallMs / 1000).toFixed(1)} s (${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}; ${r.stoppedByBudget} stopped at the time budget)`,
    `events: ${events} in the files, ${r.runs.reduce((a, c) => a + c.storeEvents, 0)} in the store; runs with differences: ${r.runs.filter((c) => c.mismatches.length > 0).length}`,
    `event-loop delay: p50 ${r.loopP50.toFixed(1)} ms, p99 ${r.loopP99.toFixed(1)} ms, max ${r.loopMax.toFixed(1)} ms`,
    `host CPU: ${(r.hostCpuMs / 1000).toFixed(2)} s over ${(r.wallMs / 1000).toFixed(1)} s; 1-minute load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    `host memory: rss ${r.rssStartMiB.toFixed(0)} -> max ${r.rssMaxMiB.toFixed(0)} MiB, heap max ${r.heapMaxMiB.toFixed(0)} MiB`,
    `dashboard messages: ${r.dashboardMessages} (${r.dashboardRejected} rejected by the page's check)`,
  ].join('\n');
}
