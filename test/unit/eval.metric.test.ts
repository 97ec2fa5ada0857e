/**
 * Hand-built cases for the nuScenes detection metric. Every expected value is derived in the
 * comment above it from the algorithm (docs/evaluation.md), not read off the implementation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DETECTION_NAMES, evaluateDetections, EvalInputError, TP_METRICS } from '../../src/shared/eval';
import type { GroundTruthBox, MetricsSummary, SubmissionBox } from '../../src/shared/eval';
import { gtBox, makeGt, makeSub, predBox, yawQuat } from '../fixtures/eval/builders';

const TOL = 1e-12;

function close(actual: number, expected: number, what: string, tol = TOL): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);
}

/** One GT per class in sample s1 and a perfect prediction for each (distinct scores). */
function perfectCase(skip: string[] = []): { gt: Record<string, GroundTruthBox[]>; preds: SubmissionBox[] } {
  const gt: GroundTruthBox[] = [];
  const preds: SubmissionBox[] = [];
  DETECTION_NAMES.forEach((cls, i) => {
    if (skip.includes(cls)) return;
    gt.push(gtBox('s1', cls, 3 * i, 5));
    preds.push(predBox('s1', cls, 3 * i, 5, 0.5 + i / 100));
  });
  return { gt: { s1: gt }, preds };
}

/** The APs of one class, by threshold key. */
function aps(s: MetricsSummary, cls: string): number[] {
  return ['0.5', '1.0', '2.0', '4.0'].map((k) => s.label_aps[cls][k]);
}

/** AP when the interpolated precision is p[i] for grid point i (i = 11..100 count). */
function apFrom(p: (i: number) => number): number {
  let sum = 0;
  for (let i = 11; i <= 100; i++) sum += Math.max(0, p(i) - 0.1);
  return sum / 90 / 0.9;
}

describe('eval: perfect predictions', () => {
  const { gt, preds } = perfectCase();
  const { summary: s } = evaluateDetections(makeGt(gt), makeSub({ s1: preds }));

  it('gives AP 1 for every class and threshold (up to the devkit rounding 1.0000000000000004)', () => {
    for (const cls of DETECTION_NAMES) for (const ap of aps(s, cls)) close(ap, 1, `${cls} AP`);
    // The mean of ninety 0.9s divided by 0.9 is 1 + 4.4e-16 in float64, as the devkit prints.
    assert.equal(s.mean_ap, 1.0000000000000004);
  });

  it('gives TP errors 0, with the forced NaNs for cones and barriers', () => {
    for (const cls of DETECTION_NAMES) {
      for (const m of TP_METRICS) {
        const forcedNan =
          (cls === 'traffic_cone' && ['attr_err', 'vel_err', 'orient_err'].includes(m)) ||
          (cls === 'barrier' && ['attr_err', 'vel_err'].includes(m));
        close(s.label_tp_errors[cls][m], forcedNan ? NaN : 0, `${cls} ${m}`);
      }
    }
    for (const m of TP_METRICS) close(s.tp_errors[m], 0, `mean ${m}`);
    for (const m of TP_METRICS) close(s.tp_scores[m], 1, `score ${m}`);
  });

  it('gives NDS = (5·mAP + Σ(1 - err)) / 10 = 1', () => {
    close(s.nd_score, (5 * s.mean_ap + 5) / 10, 'NDS');
    close(s.nd_score, 1, 'NDS');
  });

  it('copies the configuration and the meta', () => {
    assert.deepEqual(Object.keys(s), [
      'label_aps',
      'mean_dist_aps',
      'mean_ap',
      'label_tp_errors',
      'tp_errors',
      'tp_scores',
      'nd_score',
      'eval_time',
      'cfg',
      'meta',
    ]);
    assert.equal(s.cfg.max_boxes_per_sample, 500);
    assert.deepEqual(s.cfg.dist_ths, [0.5, 1, 2, 4]);
    assert.equal(s.meta.use_radar, true);
    assert.ok(s.eval_time >= 0);
  });
});

describe('eval: classes without ground truth', () => {
  it('score AP 0 and TP errors 1 for a missing class, even when it is predicted', () => {
    // No bus GT, but the bus prediction is still submitted: the devkit's "no predictions" curve.
    const { gt, preds } = perfectCase(['bus']);
    preds.push(predBox('s1', 'bus', 100, 0, 0.9));
    const { summary: s } = evaluateDetections(makeGt(gt), makeSub({ s1: preds }));
    assert.deepEqual(aps(s, 'bus'), [0, 0, 0, 0]);
    for (const m of TP_METRICS) assert.equal(s.label_tp_errors.bus[m], 1);
    // mAP: nine classes at 1 and the bus at 0, over all ten classes.
    close(s.mean_ap, 0.9, 'mAP');
    // TP errors: the bus's 1 is averaged with zeros over the classes that are not NaN:
    // trans and scale over 10 classes, orient over 9 (cone NaN), vel and attr over 8.
    close(s.tp_errors.trans_err, 1 / 10, 'mATE');
    close(s.tp_errors.scale_err, 1 / 10, 'mASE');
    close(s.tp_errors.orient_err, 1 / 9, 'mAOE');
    close(s.tp_errors.vel_err, 1 / 8, 'mAVE');
    close(s.tp_errors.attr_err, 1 / 8, 'mAAE');
    const scores = 0.9 + 0.9 + (1 - 1 / 9) + 0.875 + 0.875;
    close(s.nd_score, (5 * 0.9 + scores) / 10, 'NDS');
  });

  it('counts a class that is neither annotated nor predicted the same way', () => {
    const { gt, preds } = perfectCase(['trailer']);
    const { summary: s } = evaluateDetections(makeGt(gt), makeSub({ s1: preds }));
    assert.deepEqual(aps(s, 'trailer'), [0, 0, 0, 0]);
    assert.equal(s.mean_dist_aps.trailer, 0);
    assert.equal(s.label_tp_errors.trailer.trans_err, 1);
    close(s.mean_ap, 0.9, 'mAP');
  });
});

describe('eval: distance thresholds', () => {
  // One car GT at the origin and one prediction at x = d: it is a TP at threshold t iff d < t
  // (strict).
  const run = (d: number): MetricsSummary =>
    evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0)] }),
      makeSub({ s1: [predBox('s1', 'car', d, 0, 0.8)] }),
    ).summary;

  for (const [d, expected] of [
    [0.5, [0, 1, 1, 1]],
    [1, [0, 0, 1, 1]],
    [2, [0, 0, 0, 1]],
    [4, [0, 0, 0, 0]],
    [0.5 - 2 ** -52, [1, 1, 1, 1]],
  ] as const) {
    it(`a centre ${d} m away matches at thresholds ${expected.join('/')}`, () => {
      const s = run(d);
      aps(s, 'car').forEach((ap, k) => close(ap, expected[k], `AP@${[0.5, 1, 2, 4][k]}`));
      // TP errors come from the 2 m threshold: a miss there leaves error 1.
      close(s.label_tp_errors.car.trans_err, d < 2 ? d : 1, 'ATE');
    });
  }

  it('takes the nearest free GT, and a miss stays a miss even if a farther GT is free', () => {
    // GTs at x=0 and x=3; predictions (by score) at x=1.25 then x=1.5. The first takes the GT at
    // x=0 (1.25 < 1.75); the second's nearest free GT is x=3 at 1.5 m.
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0), gtBox('s1', 'car', 3, 0)] }),
      makeSub({ s1: [predBox('s1', 'car', 1.25, 0, 0.9), predBox('s1', 'car', 1.5, 0, 0.8)] }),
    ).summary;
    // At 2 m both are TPs (recall 1 at precision 1); at 1 m and 0.5 m none.
    close(s.label_aps.car['2.0'], 1, 'AP@2');
    close(s.label_aps.car['1.0'], 0, 'AP@1');
    // ATE at 2 m: running mean of [1.25, 1.5] re-sampled: recall <= 0.5 -> 1.25; then linear in
    // confidence from 1.25 to 1.375 between recall 0.5 and 1.
    let sum = 0;
    for (let i = 11; i <= 100; i++) sum += i <= 50 ? 1.25 : 1.25 + 0.125 * ((i / 100 - 0.5) / 0.5);
    close(s.label_tp_errors.car.trans_err, sum / 90, 'ATE');
  });
});

describe('eval: ordering of equal scores', () => {
  it('visits the later of two equal-score predictions first', () => {
    // GT at x=1. Predictions with the same score: [0] at x=1.125 (0.125 m), [1] at x=1.25.
    // The devkit reverses an ascending (score, index) sort, so [1] is matched and [0] is a FP:
    // ATE is 0.25 (it would be 0.125 with a stable descending sort).
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 1, 0)] }),
      makeSub({ s1: [predBox('s1', 'car', 1.125, 0, 0.5), predBox('s1', 'car', 1.25, 0, 0.5)] }),
    ).summary;
    close(s.label_tp_errors.car.trans_err, 0.25, 'ATE');
    // TP then FP at recall 1: precision 1 below recall 1 and 0.5 at recall 1 (the LAST point with
    // that recall).
    close(s.label_aps.car['0.5'], apFrom((i) => (i < 100 ? 1 : 0.5)), 'AP');
  });

  it('orders equal scores across samples by the key order of results', () => {
    // s1 holds a FP, s2 a TP, both at score 0.5; only s2 has a GT (npos = 1).
    const gt = makeGt({ s1: [], s2: [gtBox('s2', 'car', 0, 0)] });
    const fpBox = predBox('s1', 'car', 20, 0, 0.5);
    const tpBox = predBox('s2', 'car', 0, 0, 0.5);
    // results {s1, s2}: s2's box is later, visited first: TP then FP (as above).
    const a = evaluateDetections(gt, makeSub({ s1: [fpBox], s2: [tpBox] })).summary;
    close(a.label_aps.car['0.5'], apFrom((i) => (i < 100 ? 1 : 0.5)), 'AP with s1 first');
    // results {s2, s1}: FP first. Recall [0, 1], precision [0, 0.5]: precision 0.5·r on the grid.
    const b = evaluateDetections(gt, makeSub({ s2: [tpBox], s1: [fpBox] })).summary;
    close(b.label_aps.car['0.5'], apFrom((i) => 0.5 * (i / 100)), 'AP with s2 first');
  });

  it('breaks equal GT distances in favour of the earlier GT', () => {
    // GTs at x=-1 (velocity [0,0]) and x=+1 (velocity [4,0]); the prediction at 0 with velocity
    // [0,0] is 1 m from both and takes the first: AVE 0 (4 with the second).
    const s = evaluateDetections(
      makeGt({
        s1: [gtBox('s1', 'car', -1, 0, { velocity: [0, 0] }), gtBox('s1', 'car', 1, 0, { velocity: [4, 0] })],
      }),
      makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9, { velocity: [0, 0] })] }),
    ).summary;
    // Recall only reaches 0.5 (index 50 >= 11), so the TP error is the mean of a flat curve.
    close(s.label_tp_errors.car.vel_err, 0, 'AVE');
  });
});

describe('eval: curves', () => {
  it('interpolates precision without a monotone envelope', () => {
    // 2 GTs; by score: TP (0.9), FP (0.8), TP (0.7). recall [0.5, 0.5, 1], precision [1, 0.5, 2/3].
    // Grid: r < 0.5 -> 1; r = 0.5 -> 0.5 (last equal recall); 0.5 < r <= 1 -> 0.5 + (r - 0.5)/3.
    // AP = [39·0.9 + 0.4 + Σ_{k=1..50} (0.4 + k/300)] / 90 / 0.9 = (35.1 + 0.4 + 20 + 4.25) / 81.
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0), gtBox('s1', 'car', 10, 0)] }),
      makeSub({
        s1: [predBox('s1', 'car', 0, 0, 0.9), predBox('s1', 'car', 30, 0, 0.8), predBox('s1', 'car', 10, 0, 0.7)],
      }),
    );
    close(s.summary.label_aps.car['4.0'], 59.75 / 81, 'AP');
    const md = s.details['car:4.0'];
    close(md.precision[50], 0.5, 'precision at recall 0.5');
    close(md.precision[49], 1, 'precision at recall 0.49');
    close(md.precision[100], 2 / 3, 'precision at recall 1');
    // Confidence: 0.9 up to recall 0.5 (that point's last equal recall has score 0.8), then
    // linear from 0.8 to 0.7.
    close(md.confidence[50], 0.8, 'confidence at recall 0.5');
    close(md.confidence[75], 0.75, 'confidence at recall 0.75');
    assert.equal(md.recall[35], 0.35000000000000003);
  });

  it('re-samples running error means by confidence; NaN GT velocities drop out', () => {
    // GT A (velocity unknown) matched by score 0.9, GT B (velocity 0) by score 0.8 with velocity
    // [3, 4]: errors [NaN, 5], running mean [0, 5]. Confidence: 0.9 up to recall 0.5, then
    // linear to 0.8 at recall 1, so the error is 0 up to recall 0.5 and 10·(r - 0.5) after.
    // AVE = Σ_{k=1..50} k/10 / 90 = 127.5 / 90.
    const s = evaluateDetections(
      makeGt({
        s1: [gtBox('s1', 'car', 0, 0, { velocity: null }), gtBox('s1', 'car', 10, 0, { velocity: [0, 0] })],
      }),
      makeSub({
        s1: [
          predBox('s1', 'car', 0, 0, 0.9, { velocity: [1, 1] }),
          predBox('s1', 'car', 10, 0, 0.8, { velocity: [3, 4] }),
        ],
      }),
    ).summary;
    close(s.label_tp_errors.car.vel_err, 127.5 / 90, 'AVE');
  });

  it('gives error 1 when every error of a kind is NaN', () => {
    // A car whose GT has no attribute: attribute errors are all NaN -> the curve is all ones.
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0, { attr: '', velocity: null })] }),
      makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9)] }),
    ).summary;
    assert.equal(s.label_tp_errors.car.attr_err, 1);
    assert.equal(s.label_tp_errors.car.vel_err, 1);
    assert.equal(s.label_tp_errors.car.trans_err, 0);
  });

  it('needs a recall above 10% for TP errors', () => {
    // 10 GTs, one TP: recall 0.1 reaches grid index 10 < 11 -> every TP error is 1, and AP is 0
    // (precision drops to 0 right after recall 0.1).
    const gts = Array.from({ length: 10 }, (_, k) => gtBox('s1', 'car', 5 * k, 0));
    const one = evaluateDetections(makeGt({ s1: gts }), makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9)] })).summary;
    assert.equal(one.label_tp_errors.car.trans_err, 1);
    assert.equal(one.label_aps.car['2.0'], 0);
    // Two TPs 0.25 m off: recall 0.2 -> errors are the mean over grid 11..20 of a flat 0.25.
    const two = evaluateDetections(
      makeGt({ s1: gts }),
      makeSub({ s1: [predBox('s1', 'car', 0.25, 0, 0.9), predBox('s1', 'car', 5.25, 0, 0.8)] }),
    ).summary;
    close(two.label_tp_errors.car.trans_err, 0.25, 'ATE');
  });
});

describe('eval: orientation', () => {
  const flip = (cls: string, yawPred: number): MetricsSummary =>
    evaluateDetections(
      makeGt({ s1: [gtBox('s1', cls, 0, 0, { yaw: 0 })] }),
      makeSub({ s1: [predBox('s1', cls, 0, 0, 0.9, { yaw: yawPred })] }),
    ).summary;

  it('treats barrier headings modulo π', () => {
    close(flip('barrier', Math.PI).label_tp_errors.barrier.orient_err, 0, 'barrier, turned by π');
    close(flip('barrier', 0.75 * Math.PI).label_tp_errors.barrier.orient_err, 0.25 * Math.PI, 'barrier, 0.75π');
    close(flip('barrier', -0.4).label_tp_errors.barrier.orient_err, 0.4, 'barrier, -0.4');
  });

  it('treats other headings modulo 2π', () => {
    close(flip('car', Math.PI).label_tp_errors.car.orient_err, Math.PI, 'car, turned by π');
    close(flip('car', 0.75 * Math.PI).label_tp_errors.car.orient_err, 0.75 * Math.PI, 'car, 0.75π');
    close(flip('car', 1.5 * Math.PI).label_tp_errors.car.orient_err, 0.5 * Math.PI, 'car, 1.5π');
    close(flip('pedestrian', -3).label_tp_errors.pedestrian.orient_err, 3, 'pedestrian, -3');
  });

  it('reads yaw from non-normalised quaternions', () => {
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0, { rotation: [2, 0, 0, 0] })] }),
      makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9, { rotation: yawQuat(0.3).map((v) => v * 5) as [number, number, number, number] })] }),
    ).summary;
    close(s.label_tp_errors.car.orient_err, 0.3, 'AOE');
  });

  it('reports cones with NaN orientation, velocity and attribute errors', () => {
    const s = flip('traffic_cone', 2);
    assert.ok(Number.isNaN(s.label_tp_errors.traffic_cone.orient_err));
    assert.ok(Number.isNaN(s.label_tp_errors.traffic_cone.vel_err));
    assert.ok(Number.isNaN(s.label_tp_errors.traffic_cone.attr_err));
    assert.equal(s.label_tp_errors.traffic_cone.trans_err, 0);
  });
});

describe('eval: scale error', () => {
  it('is 1 - IoU of the boxes aligned at a common centre', () => {
    // GT 2×4×1.5 (12 m³), prediction 1×4×3 (12 m³): intersection 1×4×1.5 = 6, union 18.
    const s = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0, { size: [2, 4, 1.5] })] }),
      makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9, { size: [1, 4, 3] })] }),
    ).summary;
    close(s.label_tp_errors.car.scale_err, 1 - 6 / 18, 'ASE');
  });

  it('rejects a matched box with a non-positive size, naming it', () => {
    assert.throws(
      () =>
        evaluateDetections(
          makeGt({ s1: [gtBox('s1', 'car', 0, 0)] }),
          makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.9, { size: [1, -4, 3] })] }),
        ),
      (e: unknown) => e instanceof EvalInputError && /results\["s1"\]\[0\]\.size/.test(e.message),
    );
  });
});

describe('eval: filters', () => {
  it('keeps boxes strictly inside the class range from the ego pose', () => {
    // Ego at (100, 200). Car GTs at 49.5 m (kept) and exactly 50 m (dropped); a prediction on
    // each. npos = 1 and the prediction at 50 m is dropped too: AP 1. Had the 50 m GT been kept,
    // recall could not pass 0.5 and AP would be below 0.6.
    const pose: [number, number, number] = [100, 200, 0];
    const res = evaluateDetections(
      makeGt(
        { s1: [gtBox('s1', 'car', 149.5, 200), gtBox('s1', 'car', 100, 250)] },
        { s1: pose },
      ),
      makeSub({ s1: [predBox('s1', 'car', 149.5, 200, 0.9), predBox('s1', 'car', 100, 250, 0.8)] }),
    );
    close(res.summary.label_aps.car['0.5'], 1, 'AP');
    assert.deepEqual(res.stats.groundTruth, { total: 2, afterDistance: 1, afterPoints: 1 });
    assert.deepEqual(res.stats.predictions, { total: 2, afterDistance: 1, afterPoints: 1 });
  });

  it('uses 40 m for pedestrians and 30 m for cones and barriers, and ignores z', () => {
    const res = evaluateDetections(
      makeGt({
        s1: [
          gtBox('s1', 'pedestrian', 39.75, 0, { z: 500 }),
          gtBox('s1', 'pedestrian', 0, 40),
          gtBox('s1', 'traffic_cone', 0, -29.75),
          gtBox('s1', 'traffic_cone', -30, 0),
          gtBox('s1', 'barrier', 30, 0),
          gtBox('s1', 'car', 45, 0),
        ],
      }),
      makeSub({ s1: [] }),
    );
    // Kept: pedestrian at 39.75, cone at 29.75, car at 45.
    assert.equal(res.stats.groundTruth.afterDistance, 3);
  });

  it('drops ground truth without lidar or radar points, and predictions that say num_pts 0', () => {
    // GT with 0 points is not a positive; the prediction on it is then a FP.
    const res = evaluateDetections(
      makeGt({ s1: [gtBox('s1', 'car', 0, 0), gtBox('s1', 'car', 10, 0, { numPts: 0 })] }),
      makeSub({
        s1: [
          predBox('s1', 'car', 10, 0, 0.9),
          predBox('s1', 'car', 0, 0, 0.8),
          predBox('s1', 'car', 20, 0, 0.95, { numPts: 0 }),
        ],
      }),
    );
    assert.deepEqual(res.stats.groundTruth, { total: 2, afterDistance: 2, afterPoints: 1 });
    assert.deepEqual(res.stats.predictions, { total: 3, afterDistance: 3, afterPoints: 2 });
    // FP (0.9) then TP (0.8): recall [0, 1], precision [0, 0.5] -> precision 0.5·r.
    close(res.summary.label_aps.car['0.5'], apFrom((i) => 0.5 * (i / 100)), 'AP');
  });
});

describe('eval: input limits', () => {
  const boxes = (n: number): SubmissionBox[] => Array.from({ length: n }, (_, k) => predBox('s1', 'car', k % 40, 0, 0.5));

  it('accepts 500 boxes in a sample and rejects 501', () => {
    const gt = makeGt({ s1: [gtBox('s1', 'car', 0, 0)] });
    assert.doesNotThrow(() => evaluateDetections(gt, makeSub({ s1: boxes(500) })));
    assert.throws(
      () => evaluateDetections(gt, makeSub({ s1: boxes(501) })),
      (e: unknown) => e instanceof EvalInputError && e.message.includes('results["s1"]: 501 boxes; at most 500'),
    );
  });

  it('counts boxes before the range filter', () => {
    const gt = makeGt({ s1: [] });
    const far = Array.from({ length: 501 }, () => predBox('s1', 'car', 1000, 0, 0.5));
    assert.throws(() => evaluateDetections(gt, makeSub({ s1: far })), EvalInputError);
  });

  it('requires predictions and ground truth to cover the same samples', () => {
    const gt = makeGt({ a: [], b: [] });
    assert.throws(
      () => evaluateDetections(gt, makeSub({ a: [], c: [] })),
      (e: unknown) =>
        e instanceof EvalInputError &&
        /different samples/.test(e.message) &&
        e.message.includes('"b"') &&
        e.message.includes('"c"'),
    );
  });

  it('accepts a sample listed in sample_tokens without a gt_boxes entry', () => {
    const gt = makeGt({ a: [gtBox('a', 'car', 0, 0)] }, {}, ['a', 'b']);
    const s = evaluateDetections(gt, makeSub({ a: [predBox('a', 'car', 0, 0, 0.9)], b: [] })).summary;
    close(s.label_aps.car['0.5'], 1, 'AP');
  });
});
