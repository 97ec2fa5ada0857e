/**
 * `npm run bench:fuzz`: the seeded fuzzing of test/unit/reliability.fuzz.test.ts at full size,
 * at least 100,000 cases of each untrusted-text reader (the protocol reader, whole and in random
 * chunks; the CenterFusion text adapter on mutated fixture windows). Prints cases/s and the
 * failures, next to a baseline measured in the same run on the same inputs: generating each
 * input and splitting it into lines and JSON.parse-ing them (the least any reader must do).
 * Exit code 1 when a case failed.
 *
 *   CFS_FUZZ_N     cases of each (default 100000)   CFS_FUZZ_SEED  seed (default 8)
 */
import * as path from 'node:path';
import { Bench, runMain } from './lib';
import { adapterCorpus, adapterCase, prng, readerCase, readerInput, runCases, sampleEventLines, type Rnd } from './fuzz-cases';

const N = Math.max(1, Number(process.env['CFS_FUZZ_N'] ?? 100_000));
const SEED = Number(process.env['CFS_FUZZ_SEED'] ?? 8);
const REPO = path.resolve(__dirname, '..', '..');

function baseline(n: number, seed: number, make: (rnd: Rnd) => string | Buffer): number {
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const input = make(prng((seed + Math.imul(i, 0x9e3779b1)) >>> 0));
    for (const line of input.toString().split('\n')) {
      try {
        sink += JSON.stringify(JSON.parse(line)).length;
      } catch {
        sink += 1;
      }
    }
  }
  if (sink < 0) console.log(sink);
  return performance.now() - t0;
}

function record(bench: Bench, name: string, tally: { cases: number; failures: string[]; ms: number }, baseMs: number): void {
  const rate = (tally.cases / tally.ms) * 1000;
  bench.figure({
    name: `${name}: ${tally.cases} cases, ${tally.failures.length} failures`,
    value: rate,
    unit: 'cases/s',
    better: 'higher',
    baseline: { name: 'generate the same inputs, split lines, JSON.parse each', value: (tally.cases / baseMs) * 1000 },
  });
  for (const f of tally.failures.slice(0, 5)) bench.note(`FAIL ${name}: ${f.slice(0, 400)}`);
}

runMain('fuzz', (bench) => {
  const lines = sampleEventLines();
  const corpus = adapterCorpus(REPO);
  bench.note(`${N} cases of each reader, seed ${SEED}`);
  const reader = runCases(N, SEED, (rnd) => readerCase(rnd, lines));
  record(bench, 'protocol reader (whole and in random chunks, compared)', reader, baseline(N, SEED, (rnd) => readerInput(rnd, lines)));
  const adapter = runCases(N, SEED + 1, (rnd) => adapterCase(rnd, corpus));
  record(bench, 'CenterFusion text adapter (every kind)', adapter, baseline(N, SEED + 1, (rnd) => {
    const src = corpus.texts[Math.floor(rnd() * corpus.texts.length)].text;
    const start = Math.floor(rnd() * Math.max(1, src.length - 2000));
    return src.slice(start, start + 200 + Math.floor(rnd() * 2000));
  }));
  const failures = reader.failures.length + adapter.failures.length;
  if (failures > 0) throw new Error(`${failures} fuzz case(s) failed`);
});
