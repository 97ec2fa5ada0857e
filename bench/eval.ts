/**
 * Benchmark of the nuScenes detection evaluation on a val-set-sized input.
 *
 *   node node_modules/typescript/bin/tsc -p tsconfig.json && node out/bench/eval.js
 *   node out/bench/eval.js --samples 600 --preds 100     (a quicker run)
 *
 * Input (seeded, reproducible): 6,019 samples (the nuScenes val split), 0-60 ground-truth boxes
 * per sample in realistic class proportions, and 500 predictions per sample (the cap, i.e. the
 * worst case; `--preds N` changes it): noisy copies of most GT boxes plus background boxes.
 *
 * Reported, each on the same machine in the same run:
 * - evaluate (in memory): evaluateDetections on the objects (validation, filters, 40 matchings,
 *   curves, metrics) and the devkit-comparable eval_time (matching and metrics only);
 * - from file bytes: the submission serialised the way Python writes it (with NaN tokens),
 *   parsed by parseJsonWithNaN (sliced, since it exceeds one JS string), then evaluated;
 * - baseline: a naive, devkit-shaped matcher (every prediction scans all GT boxes of its sample,
 *   `taken` is a Set of "token:index" strings, tuple sort) computing the APs on the first 10% of
 *   the samples, against evaluateDetections on the same subset; the APs must agree exactly.
 * - peak memory: the process's maximum resident set (getrusage) after each phase, and the
 *   largest V8 heap seen at the phase boundaries.
 * Each phase prints wall time and CPU time (user + system, all threads, so GC threads count):
 * on a shared machine the wall time swings with other load, the CPU time much less.
 */
import {
  DETECTION_CVPR_2019,
  DETECTION_NAMES,
  ATTRIBUTE_NAMES,
  evaluateDetections,
  interp,
  parseJsonWithNaN,
  RECALL_GRID,
  serializeMetricsDetails,
  serializeMetricsSummary,
  validateGroundTruth,
  validateSubmission,
} from '../src/shared/eval';
import type { GroundTruthBox, GroundTruthFile, Submission, SubmissionBox, Vec3 } from '../src/shared/eval';
import { npMean } from '../src/shared/eval/numeric';
import { Bench } from './lib';
import { mulberry32 as rng } from '../src/shared/random';

export interface Options {
  samples: number;
  preds: number;
  seed: number;
  file: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { samples: 6019, preds: 500, seed: 20261125, file: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--samples') o.samples = Number(argv[++i]);
    else if (a === '--preds') o.preds = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--no-file') o.file = false;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}


/** Rough nuScenes val proportions of annotations per class. */
const CLASS_WEIGHTS: Record<string, number> = {
  car: 0.42,
  pedestrian: 0.2,
  barrier: 0.12,
  traffic_cone: 0.1,
  truck: 0.07,
  trailer: 0.02,
  bus: 0.015,
  construction_vehicle: 0.015,
  motorcycle: 0.01,
  bicycle: 0.01,
};

export function generate(o: Options): { gt: GroundTruthFile; sub: Submission } {
  const r = rng(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const pickClass = (): string => {
    let u = r();
    for (const c of DETECTION_NAMES) {
      u -= CLASS_WEIGHTS[c];
      if (u <= 0) return c;
    }
    return 'car';
  };
  const quat = (yaw: number): [number, number, number, number] => [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
  const tokens: string[] = [];
  const poses: Record<string, Vec3> = {};
  const gtBoxes: Record<string, GroundTruthBox[]> = {};
  const results: Record<string, SubmissionBox[]> = {};
  for (let s = 0; s < o.samples; s++) {
    const token = Math.floor(r() * 2 ** 52).toString(16).padStart(16, '0') + s.toString(16).padStart(16, '0');
    tokens.push(token);
    const pose: Vec3 = [300 + 1500 * r(), 300 + 1500 * r(), 0];
    poses[token] = pose;
    const gts: GroundTruthBox[] = [];
    const nGt = Math.floor(r() * 61);
    for (let k = 0; k < nGt; k++) {
      const cls = pickClass();
      const dist = 60 * Math.sqrt(r());
      const ang = 2 * Math.PI * r();
      gts.push({
        sample_token: token,
        translation: [pose[0] + dist * Math.cos(ang), pose[1] + dist * Math.sin(ang), 1 + 0.3 * normal()],
        size: [0.5 + 2.5 * r(), 0.5 + 5 * r(), 0.8 + 2 * r()],
        rotation: quat(2 * Math.PI * r() - Math.PI),
        velocity: r() < 0.1 ? null : [3 * normal(), 3 * normal()],
        num_pts: r() < 0.05 ? 0 : 1 + Math.floor(200 * r()),
        detection_name: cls,
        detection_score: -1,
        attribute_name: cls === 'traffic_cone' || cls === 'barrier' || r() < 0.05 ? '' : ATTRIBUTE_NAMES[Math.floor(r() * 8)],
      });
    }
    gtBoxes[token] = gts;
    const preds: SubmissionBox[] = [];
    for (const g of gts) {
      if (preds.length >= o.preds || r() < 0.2) continue;
      const noise = [0.1, 0.4, 1.0, 2.5][Math.floor(r() * 4)];
      preds.push({
        sample_token: token,
        translation: [g.translation[0] + noise * normal(), g.translation[1] + noise * normal(), g.translation[2]],
        size: [g.size[0] * (0.8 + 0.4 * r()), g.size[1] * (0.8 + 0.4 * r()), g.size[2] * (0.8 + 0.4 * r())],
        rotation: quat(2 * Math.PI * r() - Math.PI),
        velocity: r() < 0.02 ? [NaN, NaN] : [3 * normal(), 3 * normal()],
        detection_name: r() < 0.9 ? g.detection_name : pickClass(),
        detection_score: 0.3 + 0.7 * r(),
        attribute_name: g.attribute_name,
      });
    }
    while (preds.length < o.preds) {
      const dist = 60 * Math.sqrt(r());
      const ang = 2 * Math.PI * r();
      preds.push({
        sample_token: token,
        translation: [pose[0] + dist * Math.cos(ang), pose[1] + dist * Math.sin(ang), 1],
        size: [1 + r(), 2 + 2 * r(), 1.5],
        rotation: quat(ang),
        velocity: [normal(), normal()],
        detection_name: pickClass(),
        detection_score: 0.45 * r(),
        attribute_name: '',
      });
    }
    results[token] = preds;
  }
  const gt: GroundTruthFile = { sample_tokens: tokens, ego_pose_translation: poses, gt_boxes: gtBoxes };
  const sub: Submission = {
    meta: { use_camera: true, use_lidar: false, use_radar: true, use_map: false, use_external: false },
    results,
  };
  return { gt, sub };
}

/** The submission as Python's json.dump would write it (no indent, bare NaN), as one byte buffer. */
function submissionBytes(sub: Submission): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [enc.encode(`{"meta": ${JSON.stringify(sub.meta)}, "results": {`)];
  const tokens = Object.keys(sub.results);
  tokens.forEach((t, k) => {
    const text = JSON.stringify(sub.results[t]).replace(/\[null,null\]/g, '[NaN, NaN]');
    chunks.push(enc.encode(`${k === 0 ? '' : ', '}${JSON.stringify(t)}: ${text}`));
  });
  chunks.push(enc.encode('}}'));
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Naive, devkit-shaped AP computation (matching and precision/recall only), for comparison. */
function naiveAps(gt: GroundTruthFile, sub: Submission): Record<string, Record<string, number>> {
  const cfg = DETECTION_CVPR_2019;
  const keep = (token: string, b: { translation: number[]; detection_name: string; num_pts?: number }): boolean => {
    const p = gt.ego_pose_translation[token];
    const ex = b.translation[0] - p[0];
    const ey = b.translation[1] - p[1];
    return Math.sqrt(ex * ex + ey * ey) < cfg.class_range[b.detection_name] && b.num_pts !== 0;
  };
  const gtKept = new Map<string, GroundTruthBox[]>();
  for (const t of gt.sample_tokens) gtKept.set(t, (gt.gt_boxes[t] ?? []).filter((b) => keep(t, b)));
  const out: Record<string, Record<string, number>> = {};
  for (const cls of DETECTION_NAMES) {
    out[cls] = {};
    let npos = 0;
    for (const list of gtKept.values()) for (const b of list) if (b.detection_name === cls) npos++;
    const preds: [string, SubmissionBox][] = [];
    for (const t of Object.keys(sub.results)) for (const b of sub.results[t]) if (b.detection_name === cls && keep(t, b)) preds.push([t, b]);
    const order = preds
      .map((p, i): [number, number] => [p[1].detection_score, i])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map((x) => x[1])
      .reverse();
    for (const th of cfg.dist_ths) {
      const key = th.toFixed(1);
      if (npos === 0) {
        out[cls][key] = 0;
        continue;
      }
      const taken = new Set<string>();
      const rec: number[] = [];
      const prec: number[] = [];
      let tp = 0;
      let fp = 0;
      for (const i of order) {
        const [t, p] = preds[i];
        const list = gtKept.get(t) ?? [];
        let best = Infinity;
        let bestJ = -1;
        for (let j = 0; j < list.length; j++) {
          if (list[j].detection_name !== cls || taken.has(`${t}:${j}`)) continue;
          const dx = p.translation[0] - list[j].translation[0];
          const dy = p.translation[1] - list[j].translation[1];
          const d = Math.sqrt(dx * dx + dy * dy);
          if (d < best) {
            best = d;
            bestJ = j;
          }
        }
        if (best < th) {
          taken.add(`${t}:${bestJ}`);
          tp++;
        } else fp++;
        prec.push(tp / (fp + tp));
        rec.push(tp / npos);
      }
      if (tp === 0) {
        out[cls][key] = 0;
        continue;
      }
      const p = interp(RECALL_GRID, rec, prec, undefined, 0);
      out[cls][key] = npMean(Array.from(p.slice(11), (v) => Math.max(0, v - 0.1))) / 0.9;
    }
  }
  return out;
}

function subset(gt: GroundTruthFile, sub: Submission, n: number): { gt: GroundTruthFile; sub: Submission } {
  const tokens = gt.sample_tokens.slice(0, n);
  const poses: Record<string, Vec3> = {};
  const boxes: Record<string, GroundTruthBox[]> = {};
  const results: Record<string, SubmissionBox[]> = {};
  for (const t of tokens) {
    poses[t] = gt.ego_pose_translation[t];
    boxes[t] = gt.gt_boxes[t];
    results[t] = sub.results[t];
  }
  return { gt: { sample_tokens: tokens, ego_pose_translation: poses, gt_boxes: boxes }, sub: { meta: sub.meta, results } };
}

const MB = 1024 * 1024;
let heapPeak = 0;

function mem(): string {
  const m = process.memoryUsage();
  heapPeak = Math.max(heapPeak, m.heapUsed);
  const maxRss = process.resourceUsage().maxRSS / 1024; // KiB -> MiB
  return `rss ${(m.rss / MB).toFixed(0)} MiB, heap ${(m.heapUsed / MB).toFixed(0)} MiB, peak rss so far ${maxRss.toFixed(0)} MiB`;
}

/** Runs f, printing wall time, CPU time (user + system, all threads) and memory. */
function timed<T>(label: string, f: () => T): [T, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(`${label.padEnd(46)} ${(ms / 1000).toFixed(2).padStart(7)} s wall, ${cpu.toFixed(2).padStart(6)} s cpu   (${mem()})`);
  return [v, ms];
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  const bench = new Bench('eval');
  console.log(`node ${process.version}, ${o.samples} samples, ${o.preds} predictions per sample, seed ${o.seed}`);
  console.log(`start: ${mem()}`);
  const [data] = timed('generate input (not part of the evaluation)', () => generate(o));
  let nPred = 0;
  let nGt = 0;
  for (const t of data.gt.sample_tokens) {
    nPred += data.sub.results[t].length;
    nGt += data.gt.gt_boxes[t].length;
  }
  console.log(`  ${nPred} predictions, ${nGt} ground-truth boxes`);

  const bytes = o.file ? timed('serialise submission (Python layout)', () => submissionBytes(data.sub))[0] : null;
  if (bytes) console.log(`  submission file: ${(bytes.length / MB).toFixed(0)} MiB`);

  const [res, evalMs] = timed('evaluateDetections (in memory)', () => evaluateDetections(data.gt, data.sub));
  console.log(`  eval_time (matching + metrics, as the devkit times it): ${res.summary.eval_time.toFixed(2)} s`);
  console.log(`  mAP ${res.summary.mean_ap.toFixed(4)}, NDS ${res.summary.nd_score.toFixed(4)}`);
  for (let k = 2; k <= 3; k++) {
    const [again] = timed(`evaluateDetections, run ${k}`, () => evaluateDetections(data.gt, data.sub));
    console.log(`  eval_time ${again.summary.eval_time.toFixed(2)} s`);
  }
  timed('serialise metrics_summary + metrics_details', () => serializeMetricsSummary(res.summary).length + serializeMetricsDetails(res.details).length);

  const n = Math.max(1, Math.round(o.samples / 10));
  let part: { gt: GroundTruthFile; sub: Submission } | null = subset(data.gt, data.sub, n);
  const [naive, naiveMs] = timed(`baseline: naive matcher, APs only, ${n} samples`, () => naiveAps(part!.gt, part!.sub));
  const [ours, oursMs] = timed(`evaluateDetections, same ${n} samples`, () => evaluateDetections(part!.gt, part!.sub));
  const evalTime = res.summary.eval_time;
  let mismatches = 0;
  for (const c of DETECTION_NAMES) for (const k of Object.keys(naive[c])) if (naive[c][k] !== ours.summary.label_aps[c][k]) mismatches++;
  console.log(`  APs equal to the baseline's: ${mismatches === 0 ? 'all 40' : `${40 - mismatches} of 40 (MISMATCH)`}; speed-up ${(naiveMs / oursMs).toFixed(1)}x`);

  part = null;
  let fileFigure: { parseMs: number; mib: number } | undefined;
  if (bytes) {
    const refSummary = serializeMetricsSummary({ ...res.summary, eval_time: 0 });
    const gt = validateGroundTruth(data.gt);
    // Let the in-memory predictions go before the file's copy is built.
    (data as { sub: Submission | null }).sub = null;
    const [doc, parseMs] = timed('parseJsonWithNaN (submission bytes, sliced)', () => parseJsonWithNaN(bytes));
    fileFigure = { parseMs, mib: bytes.length / MB };
    const [sub] = timed('validateSubmission', () => validateSubmission(doc));
    const [fromFile] = timed('evaluateDetections (parsed file)', () => evaluateDetections(gt, sub));
    const same = serializeMetricsSummary({ ...fromFile.summary, eval_time: 0 }) === refSummary;
    console.log(`  summary identical to the in-memory run: ${same}`);
    if (!same) process.exitCode = 1;
  }
  if (mismatches !== 0) process.exitCode = 1;
  console.log(`peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, largest heap seen ${(heapPeak / MB).toFixed(0)} MiB`);
  console.log(`evaluate: ${(evalMs / 1000).toFixed(2)} s for ${nPred} predictions`);

  // The common format (bench/lib.ts): figure, baseline measured in this run, ratio.
  bench.figure({
    name: `evaluateDetections on ${n} samples (${o.preds} predictions each)`,
    value: oursMs / 1000,
    unit: 's',
    better: 'lower',
    baseline: { name: 'naive devkit-shaped matcher, APs only, same samples', value: naiveMs / 1000 },
    note: mismatches === 0 ? 'all 40 APs identical' : `${mismatches} APs differ from the baseline`,
  });
  bench.figure({
    name: `evaluateDetections, val-sized: ${o.samples} samples, ${nPred} predictions, ${nGt} GT boxes`,
    value: evalMs / 1000,
    unit: 's',
    better: 'lower',
    note: `of which matching + metrics (the devkit's eval_time) ${evalTime.toFixed(2)} s`,
  });
  if (fileFigure !== undefined) {
    bench.figure({ name: `parsing the ${fileFigure.mib.toFixed(0)} MiB submission file (bare NaN tokens)`, value: fileFigure.parseMs / 1000, unit: 's', better: 'lower' });
  }
  bench.figure({ name: 'peak RSS (input boxes included)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB', better: 'lower', note: `largest V8 heap seen ${(heapPeak / MB).toFixed(0)} MiB` });
  bench.finish(process.exitCode ? 'failed' : 'ok', process.exitCode ? 'results differ from the baseline or the in-memory run' : undefined);
}

if (require.main === module) main();
