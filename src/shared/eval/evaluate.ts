/**
 * The nuScenes detection metric (mAP, TP errors, NDS), computed exactly as the official devkit
 * computes it with the `detection_cvpr_2019` configuration. docs/evaluation.md walks through the
 * algorithm and the places where float64 details matter.
 */
import { checkConfig, DETECTION_CVPR_2019, FORCED_NAN_TP, TP_METRICS } from './config';
import type { DetectionConfig, TpMetricName } from './config';
import { alignedIou, quaternionYaw, angleDiff, xyDistance } from './geometry';
import { cumulativeMean, interp, npMean, npNanMean, npSum, pyRound, RECALL_GRID } from './numeric';
import { pyFloatRepr } from './pyjson';
import type {
  EvaluationResult,
  EvaluationStats,
  FilterCounts,
  GroundTruthBox,
  GroundTruthFile,
  MetricData,
  MetricsDetails,
  MetricsSummary,
  Submission,
  SubmissionBox,
  TpErrors,
} from './types';
import { checkSameSamples, EvalInputError, validateGroundTruth, validateSubmission } from './validate';

export interface EvaluateOptions {
  /** Defaults to DETECTION_CVPR_2019. */
  config?: DetectionConfig;
  /** Millisecond clock used for eval_time (default: performance.now). */
  clock?: () => number;
}

/** 101-point curves as typed arrays, before conversion to MetricData. */
interface Curves {
  recall: Float64Array;
  precision: Float64Array;
  confidence: Float64Array;
  errors: Record<TpMetricName, Float64Array>;
}

const NELEM = 101;

/** The curves of a class with no ground truth or no true positive at all. */
function noPredictionCurves(): Curves {
  const ones = (): Float64Array => new Float64Array(NELEM).fill(1);
  return {
    recall: RECALL_GRID.slice(),
    precision: new Float64Array(NELEM),
    confidence: new Float64Array(NELEM),
    errors: { trans_err: ones(), scale_err: ones(), orient_err: ones(), vel_err: ones(), attr_err: ones() },
  };
}

/** Ground truth of one class after filtering, grouped by sample (CSR layout). */
interface ClassGt {
  /** GT boxes of sample s are entries start[s] .. start[s+1]-1, in their original order. */
  start: Int32Array;
  x: Float64Array;
  y: Float64Array;
  /** Index of the box in its sample's list. */
  indexInSample: Int32Array;
  count: number;
}

/**
 * Predictions of one class after filtering, stored in visiting order: descending score, equal
 * scores by descending flattened index (flattened = results key order, then list order).
 */
interface ClassPred {
  sample: Int32Array;
  x: Float64Array;
  y: Float64Array;
  score: Float64Array;
  /** Index of the box in its sample's list. */
  indexInSample: Int32Array;
  count: number;
}

/**
 * Everything the matching needs. Boxes are kept as typed arrays (outside the JS heap, so the
 * garbage collector never traces them; the inputs are already large) and the box objects are
 * looked up by sample and index when a match needs their other fields.
 */
interface Prepared {
  classNames: string[];
  tokens: string[];
  /** Per sample index: its ground-truth list and its prediction list, as given. */
  gtLists: GroundTruthBox[][];
  predLists: SubmissionBox[][];
  gt: ClassGt[];
  pred: ClassPred[];
  stats: EvaluationStats;
}

function ensureNumber(v: number | null | undefined): number {
  return typeof v === 'number' ? v : NaN;
}

/**
 * Indices 0..n-1 by descending key, equal keys by descending index: the order in which the
 * devkit visits predictions (it sorts (score, index) pairs ascending and reverses the list).
 * A stable bottom-up merge sort over typed arrays, started from descending indices.
 */
export function visitingOrder(key: Float64Array): Int32Array {
  const n = key.length;
  let a = new Int32Array(n);
  let b = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = n - 1 - i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) b[k++] = key[a[j]] > key[a[i]] ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** Applies the range and point filters and groups boxes per class. */
function prepare(gtFile: GroundTruthFile, submission: Submission, cfg: DetectionConfig): Prepared {
  const classNames = Object.keys(cfg.class_range);
  const nClasses = classNames.length;
  const classIndex = new Map<string, number>();
  classNames.forEach((n, i) => classIndex.set(n, i));
  const ranges = classNames.map((n) => cfg.class_range[n]);
  const tokens = gtFile.sample_tokens;
  const nSamples = tokens.length;
  const sampleIndex = new Map<string, number>();
  tokens.forEach((t, i) => sampleIndex.set(t, i));
  const poseX = new Float64Array(nSamples);
  const poseY = new Float64Array(nSamples);
  tokens.forEach((t, i) => {
    const p = gtFile.ego_pose_translation[t];
    poseX[i] = p[0];
    poseY[i] = p[1];
  });
  /** Class index of a box that passes the range and point filters, else -1 (counted in `n`). */
  const keep = (s: number, box: { translation: ArrayLike<number>; detection_name: string; num_pts?: number }, n: FilterCounts): number => {
    n.total++;
    const c = classIndex.get(box.detection_name);
    if (c === undefined) return -1;
    // The devkit's ego distance: sqrt of the summed squares of the ego-frame x and y.
    const ex = box.translation[0] - poseX[s];
    const ey = box.translation[1] - poseY[s];
    if (!(Math.sqrt(ex * ex + ey * ey) < ranges[c])) return -1;
    n.afterDistance++;
    if (box.num_pts === 0) return -1;
    n.afterPoints++;
    return c;
  };

  // Ground truth, in sample order: distance filter, then the point filter (num_pts == 0 removed).
  const gtCounts: FilterCounts = { total: 0, afterDistance: 0, afterPoints: 0 };
  const gtLists: GroundTruthBox[][] = tokens.map((t) =>
    Object.prototype.hasOwnProperty.call(gtFile.gt_boxes, t) ? gtFile.gt_boxes[t] : [],
  );
  let nGt = 0;
  for (const list of gtLists) nGt += list.length;
  const gtClass = new Int8Array(nGt);
  const starts = classNames.map(() => new Int32Array(nSamples + 1));
  let f = 0;
  for (let s = 0; s < nSamples; s++) {
    for (const box of gtLists[s]) {
      const c = keep(s, box, gtCounts);
      gtClass[f++] = c;
      if (c >= 0) starts[c][s + 1]++;
    }
  }
  const gt: ClassGt[] = starts.map((start) => {
    for (let s = 0; s < nSamples; s++) start[s + 1] += start[s];
    const n = start[nSamples];
    return { start, x: new Float64Array(n), y: new Float64Array(n), indexInSample: new Int32Array(n), count: 0 };
  });
  f = 0;
  for (let s = 0; s < nSamples; s++) {
    const list = gtLists[s];
    for (let i = 0; i < list.length; i++) {
      const c = gtClass[f++];
      if (c < 0) continue;
      const g = gt[c];
      const q = g.count++;
      g.x[q] = list[i].translation[0];
      g.y[q] = list[i].translation[1];
      g.indexInSample[q] = i;
    }
  }

  // Predictions, flattened in the key order of `results`, then list order.
  const predCounts: FilterCounts = { total: 0, afterDistance: 0, afterPoints: 0 };
  const predLists: SubmissionBox[][] = new Array<SubmissionBox[]>(nSamples);
  const predTokens = Object.keys(submission.results);
  const predSamples = new Int32Array(predTokens.length);
  let nPred = 0;
  predTokens.forEach((token, k) => {
    const s = sampleIndex.get(token);
    if (s === undefined) throw new Error(`results[${JSON.stringify(token)}]: not a ground-truth sample`);
    predSamples[k] = s;
    predLists[s] = submission.results[token];
    nPred += predLists[s].length;
  });
  const predClass = new Int8Array(nPred);
  const perClass = new Int32Array(nClasses);
  f = 0;
  for (const s of predSamples) {
    for (const box of predLists[s]) {
      const c = keep(s, box, predCounts);
      predClass[f++] = c;
      if (c >= 0) perClass[c]++;
    }
  }
  // Per class, in flattened order: sample, index in sample and score.
  const flat = classNames.map((_, c) => ({
    sample: new Int32Array(perClass[c]),
    index: new Int32Array(perClass[c]),
    score: new Float64Array(perClass[c]),
    count: 0,
  }));
  f = 0;
  for (const s of predSamples) {
    const list = predLists[s];
    for (let i = 0; i < list.length; i++) {
      const c = predClass[f++];
      if (c < 0) continue;
      const e = flat[c];
      const j = e.count++;
      e.sample[j] = s;
      e.index[j] = i;
      e.score[j] = list[i].detection_score;
    }
  }
  // Stored in visiting order, so the four threshold passes read memory sequentially.
  const pred: ClassPred[] = flat.map((e) => {
    const n = e.count;
    const order = visitingOrder(e.score);
    const p: ClassPred = {
      sample: new Int32Array(n),
      x: new Float64Array(n),
      y: new Float64Array(n),
      score: new Float64Array(n),
      indexInSample: new Int32Array(n),
      count: n,
    };
    for (let k = 0; k < n; k++) {
      const j = order[k];
      const s = e.sample[j];
      const t = predLists[s][e.index[j]].translation;
      p.sample[k] = s;
      p.indexInSample[k] = e.index[j];
      p.score[k] = e.score[j];
      p.x[k] = t[0];
      p.y[k] = t[1];
    }
    return p;
  });
  return {
    classNames,
    tokens,
    gtLists,
    predLists,
    gt,
    pred,
    stats: { predictions: predCounts, groundTruth: gtCounts, samples: nSamples },
  };
}

function sizeError(where: string, size: ArrayLike<number>): EvalInputError {
  return new EvalInputError([
    `${where}.size: all sizes must be > 0 for a matched box, got [${Array.from(size).join(', ')}]`,
  ]);
}

/** Per-class buffers shared by the four thresholds (the yaw of each box, computed on first use). */
interface ClassScratch {
  gtYaw: Float64Array;
  predYaw: Float64Array;
  rec: Float64Array;
  prec: Float64Array;
  conf: Float64Array;
}

/** Matching and curves for one class at one distance threshold. */
function accumulate(prep: Prepared, c: number, distTh: number, scratch: ClassScratch): Curves {
  const g = prep.gt[c];
  const p = prep.pred[c];
  const npos = g.count;
  if (npos === 0) return noPredictionCurves();
  const className = prep.classNames[c];
  const period = className === 'barrier' ? Math.PI : 2 * Math.PI;
  const n = p.count;
  const taken = new Uint8Array(npos);
  const { rec, prec, conf } = scratch;
  const matchConf: number[] = [];
  const errs: Record<TpMetricName, number[]> = { trans_err: [], scale_err: [], orient_err: [], vel_err: [], attr_err: [] };
  let tp = 0;
  let fp = 0;
  const pSample = p.sample;
  const pX = p.x;
  const pY = p.y;
  const gStart = g.start;
  const gX = g.x;
  const gY = g.y;
  const pScore = p.score;
  // Predictions are stored in visiting order (see prepare).
  for (let k = 0; k < n; k++) {
    const s = pSample[k];
    const px = pX[k];
    const py = pY[k];
    let best = Infinity;
    let bestIdx = -1;
    for (let q = gStart[s], end = gStart[s + 1]; q < end; q++) {
      if (taken[q] !== 0) continue;
      // xyDistance(px, py, gX[q], gY[q]), inlined: sqrt(dx² + dy²) of (prediction - GT).
      const dx = px - gX[q];
      const dy = py - gY[q];
      const d = Math.sqrt(dx * dx + dy * dy);
      if (d < best) {
        best = d;
        bestIdx = q;
      }
    }
    const score = pScore[k];
    if (best < distTh) {
      taken[bestIdx] = 1;
      tp++;
      const gb = prep.gtLists[s][g.indexInSample[bestIdx]];
      const pb = prep.predLists[s][p.indexInSample[k]];
      matchConf.push(score);
      errs.trans_err.push(best);
      const gv = gb.velocity;
      const gvx = gv === null ? NaN : ensureNumber(gv[0]);
      const gvy = gv === null ? NaN : ensureNumber(gv[1]);
      errs.vel_err.push(xyDistance(ensureNumber(pb.velocity[0]), ensureNumber(pb.velocity[1]), gvx, gvy));
      if (!(gb.size[0] > 0 && gb.size[1] > 0 && gb.size[2] > 0)) {
        throw sizeError(`gt_boxes[${JSON.stringify(prep.tokens[s])}][${g.indexInSample[bestIdx]}]`, gb.size);
      }
      if (!(pb.size[0] > 0 && pb.size[1] > 0 && pb.size[2] > 0)) {
        throw sizeError(`results[${JSON.stringify(prep.tokens[s])}][${p.indexInSample[k]}]`, pb.size);
      }
      errs.scale_err.push(1 - alignedIou(gb.size, pb.size));
      let yg = scratch.gtYaw[bestIdx];
      if (Number.isNaN(yg)) yg = scratch.gtYaw[bestIdx] = quaternionYaw(gb.rotation);
      let yp = scratch.predYaw[k];
      if (Number.isNaN(yp)) yp = scratch.predYaw[k] = quaternionYaw(pb.rotation);
      errs.orient_err.push(Math.abs(angleDiff(yg, yp, period)));
      errs.attr_err.push(gb.attribute_name === '' ? NaN : gb.attribute_name === pb.attribute_name ? 0 : 1);
    } else {
      fp++;
    }
    prec[k] = tp / (fp + tp);
    rec[k] = tp / npos;
    conf[k] = score;
  }
  if (tp === 0) return noPredictionCurves();

  const precision = interp(RECALL_GRID, rec, prec, undefined, 0);
  const confidence = interp(RECALL_GRID, rec, conf, undefined, 0);
  // Error curves: running means re-sampled at the confidence of each recall point
  // (numpy.interp needs increasing x, hence the reversals).
  const confRev = confidence.slice().reverse();
  const matchConfRev = Float64Array.from(matchConf).reverse();
  const errors = {} as Record<TpMetricName, Float64Array>;
  for (const m of TP_METRICS) {
    const running = cumulativeMean(errs[m]).reverse();
    errors[m] = interp(confRev, matchConfRev, running).reverse();
  }
  return { recall: RECALL_GRID.slice(), precision, confidence, errors };
}

function calcAp(curves: Curves, minRecall: number, minPrecision: number): number {
  const first = pyRound(100 * minRecall) + 1;
  const clipped = new Float64Array(Math.max(0, NELEM - first));
  for (let i = first; i < NELEM; i++) {
    const v = curves.precision[i] - minPrecision;
    clipped[i - first] = v < 0 ? 0 : v;
  }
  return npMean(clipped) / (1.0 - minPrecision);
}

/** Index of the last non-zero confidence (the highest recall reached), 0 if none. */
function maxRecallIndex(confidence: Float64Array): number {
  for (let i = confidence.length - 1; i >= 0; i--) if (confidence[i] !== 0) return i;
  return 0;
}

function calcTp(curves: Curves, minRecall: number, metric: TpMetricName): number {
  const first = pyRound(100 * minRecall) + 1;
  const last = maxRecallIndex(curves.confidence);
  if (last < first) return 1.0;
  return npMean(curves.errors[metric], first, last + 1);
}

function toMetricData(c: Curves): MetricData {
  return {
    recall: Array.from(c.recall),
    precision: Array.from(c.precision),
    confidence: Array.from(c.confidence),
    trans_err: Array.from(c.errors.trans_err),
    vel_err: Array.from(c.errors.vel_err),
    scale_err: Array.from(c.errors.scale_err),
    orient_err: Array.from(c.errors.orient_err),
    attr_err: Array.from(c.errors.attr_err),
  };
}

function copyConfig(cfg: DetectionConfig): DetectionConfig {
  const classRange: Record<string, number> = {};
  for (const k of Object.keys(cfg.class_range)) classRange[k] = cfg.class_range[k];
  return {
    class_range: classRange,
    dist_fcn: cfg.dist_fcn,
    dist_ths: cfg.dist_ths.slice(),
    dist_th_tp: cfg.dist_th_tp,
    min_recall: cfg.min_recall,
    min_precision: cfg.min_precision,
    max_boxes_per_sample: cfg.max_boxes_per_sample,
    mean_ap_weight: cfg.mean_ap_weight,
  };
}

/**
 * Evaluates a submission against ground truth with the nuScenes detection metric.
 * Validates both inputs first (EvalInputError on the first problems found), requires both to
 * cover the same samples, then filters, matches and summarises.
 */
export function evaluateDetections(
  gt: GroundTruthFile,
  submission: Submission,
  opts: EvaluateOptions = {},
): EvaluationResult & { stats: EvaluationStats } {
  const cfg = opts.config ?? (DETECTION_CVPR_2019 as DetectionConfig);
  checkConfig(cfg);
  validateSubmission(submission, { maxBoxesPerSample: cfg.max_boxes_per_sample });
  validateGroundTruth(gt);
  checkSameSamples(gt, submission);
  const clock = opts.clock ?? ((): number => performance.now());

  const prep = prepare(gt, submission, cfg);
  const t0 = clock();

  const curves = new Map<string, Curves>();
  const details: MetricsDetails = {};
  prep.classNames.forEach((className, c) => {
    const nPred = prep.pred[c].count;
    const scratch: ClassScratch = {
      gtYaw: new Float64Array(prep.gt[c].count).fill(NaN),
      predYaw: new Float64Array(nPred).fill(NaN),
      rec: new Float64Array(nPred),
      prec: new Float64Array(nPred),
      conf: new Float64Array(nPred),
    };
    for (const th of cfg.dist_ths) {
      const cv = accumulate(prep, c, th, scratch);
      curves.set(`${className}:${th}`, cv);
    }
  });

  const labelAps: Record<string, Record<string, number>> = {};
  const labelTp: Record<string, TpErrors> = {};
  for (const className of prep.classNames) {
    const aps: Record<string, number> = {};
    for (const th of cfg.dist_ths) {
      aps[pyFloatRepr(th)] = calcAp(curves.get(`${className}:${th}`) as Curves, cfg.min_recall, cfg.min_precision);
    }
    labelAps[className] = aps;
    const tpCurves = curves.get(`${className}:${cfg.dist_th_tp}`) as Curves;
    const forced = FORCED_NAN_TP[className] ?? [];
    const errs = {} as TpErrors;
    for (const m of TP_METRICS) errs[m] = forced.includes(m) ? NaN : calcTp(tpCurves, cfg.min_recall, m);
    labelTp[className] = errs;
  }
  const meanDistAps: Record<string, number> = {};
  for (const className of prep.classNames) meanDistAps[className] = npMean(Object.values(labelAps[className]));
  const meanAp = npMean(Object.values(meanDistAps));
  const tpErrors = {} as TpErrors;
  const tpScores = {} as TpErrors;
  for (const m of TP_METRICS) {
    tpErrors[m] = npNanMean(prep.classNames.map((n) => labelTp[n][m]));
    const score = 1.0 - tpErrors[m];
    tpScores[m] = score > 0 ? score : 0.0;
  }
  const ndScore =
    (cfg.mean_ap_weight * meanAp + npSum(TP_METRICS.map((m) => tpScores[m]))) / (cfg.mean_ap_weight + TP_METRICS.length);
  const evalTime = (clock() - t0) / 1000;

  for (const className of prep.classNames) {
    for (const th of cfg.dist_ths) {
      details[`${className}:${pyFloatRepr(th)}`] = toMetricData(curves.get(`${className}:${th}`) as Curves);
    }
  }
  const summary: MetricsSummary = {
    label_aps: labelAps,
    mean_dist_aps: meanDistAps,
    mean_ap: meanAp,
    label_tp_errors: labelTp,
    tp_errors: tpErrors,
    tp_scores: tpScores,
    nd_score: ndScore,
    eval_time: evalTime,
    cfg: copyConfig(cfg),
    meta: { ...submission.meta },
  };
  return { summary, details, stats: prep.stats };
}
