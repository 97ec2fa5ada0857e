/**
 * `npm run bench:load`: 20 real trainers at once against the host's run store and dashboard
 * models (bench/load-run.ts), within a 90 s budget. Figures: the host's event-loop delay p99
 * and max, its peak memory, events per second into the store; the baseline, measured in the
 * same run, is one trainer alone (the same host work without the crowd).
 *
 *   CFS_LOAD_RUNS  trainers (default 20)   CFS_TEST_CLI  the CLI (default dist/cli.js)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeLoad, runLoad, type LoadResult } from './load-run';
import { runMain } from './lib';

const RUNS = Math.max(1, Number(process.env['CFS_LOAD_RUNS'] ?? 20));
const REPO = path.resolve(__dirname, '..', '..');
const CLI = process.env['CFS_TEST_CLI'] ?? path.join(REPO, 'dist', 'cli.js');

async function once(runs: number): Promise<LoadResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-bench-load-'));
  try {
    return await runLoad({ cli: CLI, root, runs, budgetMs: 85_000 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

runMain('load', async (bench) => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
  const base = await once(1);
  bench.note(`baseline, 1 trainer:\n${describeLoad(base)}`);
  const r = await once(RUNS);
  bench.note(`${RUNS} trainers:\n${describeLoad(r)}`);
  const lost = r.runs.filter((c) => c.mismatches.length > 0);
  const events = (x: LoadResult): number => x.runs.reduce((a, c) => a + c.fileEvents, 0) / (x.wallMs / 1000);
  bench.figure({ name: `event-loop delay p99, ${RUNS} trainers`, value: r.loopP99, unit: 'ms', better: 'lower', baseline: { name: '1 trainer', value: base.loopP99 } });
  bench.figure({ name: `event-loop delay max, ${RUNS} trainers`, value: r.loopMax, unit: 'ms', better: 'lower', baseline: { name: '1 trainer', value: base.loopMax }, goal: { op: '<=', value: 200 } });
  bench.figure({ name: `host rss peak, ${RUNS} trainers`, value: r.rssMaxMiB, unit: 'MiB', better: 'lower', baseline: { name: '1 trainer', value: base.rssMaxMiB } });
  bench.figure({ name: `events into the store, ${RUNS} trainers`, value: events(r), unit: 'events/s', better: 'higher', baseline: { name: '1 trainer', value: events(base) } });
  if (lost.length > 0) throw new Error(`events lost or different in ${lost.length} run(s): ${lost[0].runId}: ${lost[0].mismatches.join('; ')}`);
  // A missed 200 ms goal is a figure (printed as NOT met), not a failure: the maximum also counts
  // the time the OS gave the 20 trainers, and swings with the machine's other load.
});
