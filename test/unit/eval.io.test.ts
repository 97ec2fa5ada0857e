/**
 * metrics_summary.json / metrics_details.json writers and readers, the NaN-tolerant JSON reader,
 * the printout, the event payload and the validation messages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DETECTION_NAMES,
  EvalInputError,
  JsonSyntaxError,
  evaluateDetections,
  formatSummaryPrintout,
  parseJsonWithNaN,
  parseMetricsDetails,
  parseMetricsSummary,
  serializeMetricsDetails,
  serializeMetricsSummary,
  toEventMetrics,
  validateGroundTruth,
  validateSubmission,
} from '../../src/shared/eval';
import type { MetricsSummary } from '../../src/shared/eval';
import { gtBox, makeGt, makeSub, predBox } from '../fixtures/eval/builders';

function perfectSummary(): ReturnType<typeof evaluateDetections> {
  const gt = DETECTION_NAMES.map((c, i) => gtBox('s1', c, 3 * i, 5));
  const preds = DETECTION_NAMES.map((c, i) => predBox('s1', c, 3 * i, 5, 0.5 + i / 100));
  const r = evaluateDetections(makeGt({ s1: gt }), makeSub({ s1: preds }));
  r.summary.eval_time = 1.25;
  return r;
}

describe('eval io: metrics_summary.json', () => {
  const { summary } = perfectSummary();
  const text = serializeMetricsSummary(summary);

  it("keeps the devkit's key order, indent 2 and Python number spelling", () => {
    const topKeys = [...text.matchAll(/^ {2}"([a-z_]+)":/gm)].map((m) => m[1]);
    assert.deepEqual(topKeys, [
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
    assert.ok(text.startsWith('{\n  "label_aps": {\n    "car": {\n      "0.5": 1.0000000000000004,\n      "1.0": '));
    assert.ok(text.includes('\n  "mean_ap": 1.0000000000000004,\n'));
    assert.ok(
      text.includes(
        '"traffic_cone": {\n      "trans_err": 0.0,\n      "scale_err": 0.0,\n      "orient_err": NaN,\n      "vel_err": NaN,\n      "attr_err": NaN\n    },',
      ),
    );
    assert.ok(
      text.includes(
        '  "cfg": {\n    "class_range": {\n      "car": 50,\n      "truck": 50,\n      "bus": 50,\n      "trailer": 50,\n      "construction_vehicle": 50,\n      "pedestrian": 40,\n      "motorcycle": 40,\n      "bicycle": 40,\n      "traffic_cone": 30,\n      "barrier": 30\n    },\n    "dist_fcn": "center_distance",\n    "dist_ths": [\n      0.5,\n      1.0,\n      2.0,\n      4.0\n    ],\n    "dist_th_tp": 2.0,\n    "min_recall": 0.1,\n    "min_precision": 0.1,\n    "max_boxes_per_sample": 500,\n    "mean_ap_weight": 5\n  },',
      ),
    );
    assert.ok(text.includes('"eval_time": 1.25,'));
    assert.ok(text.endsWith('    "use_external": false\n  }\n}'));
  });

  it('writes bare NaN tokens that JSON.parse rejects and our reader accepts', () => {
    assert.ok(/: NaN,?\n/.test(text));
    assert.throws(() => JSON.parse(text));
    const back = parseMetricsSummary(text);
    assert.deepEqual(back, summary);
    assert.equal(serializeMetricsSummary(back), text);
  });

  it('reads null where a number is expected as NaN', () => {
    const withNull = text.replace(/NaN/g, 'null');
    const back = parseMetricsSummary(withNull);
    assert.ok(Number.isNaN(back.label_tp_errors.traffic_cone.orient_err));
    assert.deepEqual(back, summary);
  });

  it('rejects something that is not a summary with a clear message', () => {
    assert.throws(() => parseMetricsSummary('{"mean_ap": 1}'), /missing "label_aps"/);
    assert.throws(() => parseMetricsSummary('[1]'), /expected a JSON object/);
  });
});

describe('eval io: metrics_details.json', () => {
  const { details } = perfectSummary();
  const text = serializeMetricsDetails(details);

  it('has 40 "<class>:<threshold>" keys, each with the eight 101-point curves in order', () => {
    const keys = Object.keys(details);
    assert.equal(keys.length, 40);
    assert.deepEqual(keys.slice(0, 5), ['car:0.5', 'car:1.0', 'car:2.0', 'car:4.0', 'truck:0.5']);
    assert.ok(text.startsWith('{\n  "car:0.5": {\n    "recall": [\n      0.0,\n      0.01,\n'));
    const fields = [...text.matchAll(/^ {4}"([a-z_]+)": \[/gm)].slice(0, 8).map((m) => m[1]);
    assert.deepEqual(fields, ['recall', 'precision', 'confidence', 'trans_err', 'vel_err', 'scale_err', 'orient_err', 'attr_err']);
    assert.ok(text.includes('      0.35000000000000003,\n'));
  });

  it('round-trips through the reader', () => {
    assert.deepEqual(parseMetricsDetails(text), details);
  });
});

describe('eval io: parseJsonWithNaN', () => {
  it('reads NaN, Infinity and -Infinity outside strings and leaves strings alone', () => {
    const v = parseJsonWithNaN('{"a": "NaN and -Infinity", "b": NaN, "c": [-Infinity, Infinity, null], "NaN": 1}');
    assert.deepEqual(v, { a: 'NaN and -Infinity', b: NaN, c: [-Infinity, Infinity, null], NaN: 1 });
  });

  it('tells quoted tokens from bare ones across escaped quotes and backslashes', () => {
    assert.equal(parseJsonWithNaN('"NaN"'), 'NaN');
    assert.ok(Number.isNaN(parseJsonWithNaN('NaN') as number));
    assert.deepEqual(parseJsonWithNaN('["a\\\\", NaN, "b\\"NaN", "\\\\\\"Infinity\\\\"]'), ['a\\', NaN, 'b"NaN', '\\"Infinity\\']);
    assert.deepEqual(parseJsonWithNaN('{"\\u0000NaN": NaN}'), { '\u0000NaN': NaN });
    assert.throws(() => parseJsonWithNaN('{NaN: 1}'), JsonSyntaxError);
    assert.throws(() => parseJsonWithNaN('[1 2]'), JsonSyntaxError);
  });

  it('handles escapes, nesting, numbers and __proto__ like JSON.parse', () => {
    const src = '{"s": "q\\"uote\\\\ \\u00e9 NaN", "n": [-0, 1e999, 2.5E-3, 0], "__proto__": {"x": NaN}, "d": {"e": [[]]}}';
    const v = parseJsonWithNaN(src) as Record<string, unknown>;
    assert.equal(v.s, 'q"uote\\ é NaN');
    assert.deepEqual(v.n, [-0, Infinity, 0.0025, 0]);
    assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    // Without the bare NaN the text is plain JSON ("NaN" remains inside a string, so our own
    // parser still reads it): the result must equal JSON.parse's, __proto__ key included.
    const plain = src.replace('NaN}', '1}');
    assert.deepStrictEqual(parseJsonWithNaN(plain), JSON.parse(plain));
  });

  it('reports syntax errors with line and column', () => {
    assert.throws(() => parseJsonWithNaN('{"a": NaN,\n "b": nan}'), (e: unknown) => e instanceof JsonSyntaxError && /line 2 column 7/.test(e.message));
    assert.throws(() => parseJsonWithNaN('{"a": 1,}'), JsonSyntaxError);
    assert.throws(() => parseJsonWithNaN('[1 2]'), JsonSyntaxError);
    assert.throws(() => parseJsonWithNaN('{"a": "x\ny"}'), JsonSyntaxError);
  });

  it('reads bytes, with or without a byte-order mark', () => {
    const bytes = new TextEncoder().encode('\ufeff{"v": [NaN, 1]}');
    assert.deepEqual(parseJsonWithNaN(bytes), { v: [NaN, 1] });
  });

  it('reads large inputs in slices with the same result', () => {
    const doc = {
      meta: { name: 'NaN inside a string', list: [1, 2, 3] },
      results: Object.fromEntries(
        Array.from({ length: 40 }, (_, k) => [
          `tok${k}`,
          Array.from({ length: k % 7 }, (_, j) => ({ v: [j, -j * 0.5, 1e-7], s: `x${j}`, nested: { deep: [[j], {}] } })),
        ]),
      ),
      tail: [[], {}, 'end'],
    };
    const text = JSON.stringify(doc, null, 1).replace(/1e-7/g, 'NaN');
    const expected = parseJsonWithNaN(text);
    const bytes = new TextEncoder().encode(text);
    for (const sliceBytes of [1, 7, 64, 500, 5000]) {
      assert.deepEqual(parseJsonWithNaN(bytes, { wholeBytes: 0, sliceBytes }), expected, `slice ${sliceBytes}`);
    }
    assert.throws(() => parseJsonWithNaN(new TextEncoder().encode('{"a": [1, 2,], "b": 1}'), { wholeBytes: 0, sliceBytes: 1 }), JsonSyntaxError);
    assert.throws(() => parseJsonWithNaN(new TextEncoder().encode('{"a": [1, 2]'), { wholeBytes: 0, sliceBytes: 1 }), JsonSyntaxError);
    assert.throws(() => parseJsonWithNaN(new TextEncoder().encode('{"a": [1, 2]} x'), { wholeBytes: 0, sliceBytes: 1 }), JsonSyntaxError);
  });
});

describe('eval io: printout and event', () => {
  const { summary } = perfectSummary();

  it('prints what the devkit prints', () => {
    const expected = [
      'mAP: 1.0000',
      'mATE: 0.0000',
      'mASE: 0.0000',
      'mAOE: 0.0000',
      'mAVE: 0.0000',
      'mAAE: 0.0000',
      'NDS: 1.0000',
      'Eval time: 1.2s',
      '',
      'Per-class results:',
      'Object Class\tAP\tATE\tASE\tAOE\tAVE\tAAE',
      'car\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'truck\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'bus\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'trailer\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'construction_vehicle\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'pedestrian\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'motorcycle\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'bicycle\t1.000\t0.000\t0.000\t0.000\t0.000\t0.000',
      'traffic_cone\t1.000\t0.000\t0.000\tnan\tnan\tnan',
      'barrier\t1.000\t0.000\t0.000\t0.000\tnan\tnan',
      '',
    ].join('\n');
    // 1.25 s prints as 1.2 (Python rounds the exact tie to even).
    assert.equal(formatSummaryPrintout(summary), expected);
  });

  it('builds the eval event metrics with NaN as null', () => {
    const m = toEventMetrics(summary);
    assert.equal(m.mAP, 1.0000000000000004);
    assert.equal(m.NDS, summary.nd_score);
    assert.deepEqual(m.per_class.traffic_cone, { AP: 1.0000000000000004, ATE: 0, ASE: 0, AOE: null, AVE: null, AAE: null });
    assert.deepEqual(Object.keys(m.per_class), [...DETECTION_NAMES]);
    const odd: MetricsSummary = { ...summary, mean_ap: Infinity };
    assert.equal(toEventMetrics(odd).mAP, null);
    assert.doesNotThrow(() => JSON.stringify(m));
  });
});

describe('eval io: validation messages', () => {
  const good = (): ReturnType<typeof makeSub> => makeSub({ token1: [0, 1, 2, 3].map((k) => predBox('token1', 'car', k, 0, 0.5)) });

  const fails = (mutate: (sub: Record<string, unknown>, box: Record<string, unknown>) => void, pattern: RegExp): void => {
    const sub = good() as unknown as Record<string, unknown>;
    const box = (sub.results as Record<string, Record<string, unknown>[]>).token1[3];
    mutate(sub, box);
    assert.throws(() => validateSubmission(sub), (e: unknown) => e instanceof EvalInputError && pattern.test(e.message), String(pattern));
  };

  it('names the field of the box', () => {
    fails((_, b) => (b.size = [1, 2]), /^results\["token1"\]\[3\]\.size: expected 3 numbers/);
    fails((_, b) => (b.translation = [1, 2, NaN]), /results\["token1"\]\[3\]\.translation: expected 3 numbers/);
    fails((_, b) => (b.rotation = 'r'), /\.rotation: expected 4 numbers/);
    fails((_, b) => (b.velocity = [1]), /\.velocity: expected 2 numbers/);
    fails((_, b) => (b.detection_score = NaN), /\.detection_score: expected a finite number/);
    fails((_, b) => (b.detection_name = 'cars'), /\.detection_name: unknown class "cars"/);
    fails((_, b) => (b.attribute_name = 'vehicle.flying'), /\.attribute_name: unknown attribute "vehicle.flying"/);
    fails((_, b) => (b.sample_token = 'other'), /\.sample_token: "other" differs/);
    fails((_, b) => (b.num_pts = 1.5), /\.num_pts: expected an integer/);
    fails((s) => delete s.results, /no field "results"/);
    fails((s) => (s.meta = 3), /^meta: expected an object/);
  });

  it('accepts NaN and null velocity components in predictions', () => {
    const sub = good();
    sub.results.token1[0].velocity = [NaN, NaN];
    (sub.results.token1[1] as unknown as { velocity: unknown }).velocity = [null, null];
    assert.doesNotThrow(() => validateSubmission(sub));
  });

  it('lists several problems at once', () => {
    const sub = good() as unknown as { results: Record<string, Record<string, unknown>[]> };
    sub.results.token1[0].size = null;
    sub.results.token1[2].detection_name = 7;
    assert.throws(
      () => validateSubmission(sub),
      (e: unknown) => e instanceof EvalInputError && e.problems.length === 2 && /^2 problems:/.test(e.message),
    );
  });

  it('checks the ground-truth file', () => {
    const gt = makeGt({ s1: [gtBox('s1', 'car', 0, 0)] }) as unknown as Record<string, unknown>;
    assert.doesNotThrow(() => validateGroundTruth(gt));
    const boxes = (gt.gt_boxes as Record<string, Record<string, unknown>[]>).s1;
    boxes[0].num_pts = '3';
    assert.throws(() => validateGroundTruth(gt), /gt_boxes\["s1"\]\[0\]\.num_pts: expected an integer/);
    boxes[0].num_pts = 3;
    boxes[0].velocity = null;
    assert.doesNotThrow(() => validateGroundTruth(gt));
    (gt.ego_pose_translation as Record<string, unknown>).s1 = undefined;
    delete (gt.ego_pose_translation as Record<string, unknown>).s1;
    assert.throws(() => validateGroundTruth(gt), /ego_pose_translation: no pose for sample "s1"/);
    assert.throws(() => validateGroundTruth({ sample_tokens: ['a', 'a'], ego_pose_translation: { a: [0, 0, 0] }, gt_boxes: { b: [] } }), /listed twice[\s\S]*"b"\]: sample is not listed/);
  });
});
