// Load: several real trainers at once (20 with CFS_LOAD_RUNS=20; bench/load.ts runs 20) with the
// host's run store and a dashboard model per run consuming them, in plain node. No event lost
// (every events.jsonl against the store), the host's event loop never stalls for more than
// 200 ms, its memory stays bounded. The figures are printed (see docs/reliability.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeLoad, runLoad } from '../../bench/load-run';
import { CLI, cliMissing } from './reliability.helpers';

const RUNS = Math.max(1, Number(process.env['CFS_LOAD_RUNS'] ?? 4));
/** The host must answer within this (the event loop's longest stall while the runs train). */
const MAX_LOOP_DELAY_MS = 200;
/** The host's resident memory may grow by at most this while the runs train. */
const MAX_RSS_GROWTH_MIB = 40 + 10 * RUNS;

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-load-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test(`${RUNS} trainers at once: no lost events, a responsive host, bounded memory`, { skip: cliMissing(), timeout: 180_000 }, async () => {
  const r = await runLoad({ cli: CLI, root, runs: RUNS, budgetMs: 85_000 });
  console.log(describeLoad(r));
  for (const run of r.runs) {
    assert.deepEqual(run.mismatches, [], `${run.runId}: ${run.mismatches.join('; ')}`);
    assert.ok(run.fileEvents > 5, `${run.runId} trained (${run.fileEvents} events)`);
    assert.ok(['completed', 'stopped'].includes(run.status), `${run.runId} ended ${run.status}`);
  }
  assert.equal(r.dashboardRejected, 0, 'every dashboard message passes the page check');
  assert.ok(r.dashboardMessages >= RUNS, 'the dashboards got messages');
  assert.ok(r.loopMax <= MAX_LOOP_DELAY_MS, `event-loop delay max ${r.loopMax.toFixed(1)} ms > ${MAX_LOOP_DELAY_MS} ms`);
  assert.ok(r.rssMaxMiB - r.rssStartMiB <= MAX_RSS_GROWTH_MIB, `host rss grew ${(r.rssMaxMiB - r.rssStartMiB).toFixed(0)} MiB (limit ${MAX_RSS_GROWTH_MIB})`);
});
