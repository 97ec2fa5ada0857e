// The metrics report beyond one summary: TP-error curves from a real metrics_details.json (made by
// `centerfusion eval-detections`), "Compare With…" deltas between two summaries, the link back
// to the run and epoch a summary belongs to, and the message contract for these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseMetricsSummary } from '../../src/shared/eval';
import { buildReportModel, compareClasses, delta, isHostToReport, isReportToHost, TP_NAMES } from '../../src/shared/webview/metricsReport';
import { runLinkOf } from '../../src/extension/metricsReport/runLink';
import { RunStore } from '../../src/extension/runs/runStore';

const REPO = path.resolve(__dirname, '..', '..', '..');
const DIR = path.join(REPO, 'test', 'fixtures', 'metrics');
const read = (p: string) => readFileSync(path.join(DIR, p), 'utf8');

test('metrics_details.json gives a TP-error curve per class at the TP threshold (2 m)', () => {
  const details = JSON.parse(read('val-a/metrics_details.json')) as Record<string, Record<string, number[]>>;
  const m = buildReportModel(read('val-a/metrics_summary.json'), read('val-a/metrics_details.json'));
  assert.equal(m.curves.length, 40, '10 classes x 4 distance thresholds of precision-recall');
  assert.equal(m.tpThreshold, '2.0');
  assert.equal(m.tpCurves.length, 10);
  const car = m.tpCurves.find((c) => c.className === 'car');
  assert.ok(car);
  const src = details['car:2.0'];
  // From the minimum recall (0.1) up to the highest recall the class reaches (confidence > 0).
  const kept = src.recall.map((_r, i) => i).filter((i) => src.recall[i] >= 0.1 - 1e-9 && src.confidence[i] > 0);
  assert.ok(kept.length > 0 && kept.length < src.recall.length);
  assert.deepEqual(car.recall, kept.map((i) => src.recall[i]));
  assert.deepEqual(car.errors.trans_err, kept.map((i) => src.trans_err[i]));
  // A traffic cone has no orientation error: the curve's values are undefined (null), not 0.
  const cone = m.tpCurves.find((c) => c.className === 'traffic_cone');
  assert.ok(cone && cone.recall.length > 0);
  assert.ok(cone.errors.orient_err.every((v) => v === null));
  assert.ok(isHostToReport(JSON.parse(JSON.stringify({ type: 'report', fileName: 'metrics_summary.json', model: m }))));
});

test('Compare With: headline and per-class deltas (B − A), undefined when either side is NaN', () => {
  const a = buildReportModel(read('val-a/metrics_summary.json'));
  const b = buildReportModel(read('val-b/metrics_summary.json'));
  const sa = parseMetricsSummary(read('val-a/metrics_summary.json'));
  const sb = parseMetricsSummary(read('val-b/metrics_summary.json'));
  assert.equal(delta(a.nds, b.nds), sb.nd_score - sa.nd_score);
  assert.notEqual(delta(a.nds, b.nds), 0);
  assert.equal(delta({ value: null, why: 'x' }, b.nds), null);
  const rows = compareClasses(a, b);
  assert.deepEqual(rows.map((r) => r.name), a.classes.map((c) => c.name));
  const car = rows.find((r) => r.name === 'car');
  assert.ok(car);
  assert.equal(car.meanAp, sb.mean_dist_aps.car - sa.mean_dist_aps.car);
  for (const m of TP_NAMES) assert.equal(car.tp[m], sb.label_tp_errors.car[m] - sa.label_tp_errors.car[m], m);
  const cone = rows.find((r) => r.name === 'traffic_cone');
  assert.equal(cone?.tp.orient_err, null, 'NaN on either side: no delta');
  // A class only in B still gets a row.
  const onlyB = { ...b, classes: [...b.classes, { ...b.classes[0], name: 'tram' }] };
  const extra = compareClasses(a, onlyB).find((r) => r.name === 'tram');
  assert.ok(extra && extra.a === undefined && extra.meanAp === null);
  const msg = { type: 'report', fileName: 'a', model: a, compare: { fileName: 'metrics_summary.json', path: '/x/metrics_summary.json', model: b } };
  assert.ok(isHostToReport(JSON.parse(JSON.stringify(msg))));
  assert.ok(isHostToReport({ ...msg, compare: { fileName: 'm', path: '/m', error: 'truncated' } }));
  assert.ok(!isHostToReport({ ...msg, compare: { fileName: 'm', path: '/m' } }));
});

test('the report page may ask for these actions only, with nothing else in the message', () => {
  for (const type of ['ready', 'openDetails', 'openRun', 'compare', 'clearCompare']) assert.ok(isReportToHost({ type }), type);
  assert.ok(!isReportToHost({ type: 'openRun', runId: 'someone-elses' }), 'the host decides which run');
  assert.ok(!isReportToHost({ type: 'compare', path: '/etc/passwd' }), 'the host picks the file');
  assert.ok(!isReportToHost({ type: 'open' }));
});

test('a truncated summary is an error with a reason', () => {
  assert.throws(() => buildReportModel(read('truncated/metrics_summary.json')), /end|Unexpected|unterminated|truncated/i);
});

function storeWith(): RunStore {
  const store = new RunStore();
  const saveDir = '/ws/exp/ddd/demo';
  store.update('20261126-010000-aaaa', { status: 'completed', started: '2026-11-26T01:00:00Z', task: 'ddd', exp_id: 'demo', save_dir: saveDir, mode: 'train' });
  store.update('20261126-020000-bbbb', { status: 'completed', started: '2026-11-26T02:00:00Z', task: 'ddd', exp_id: 'demo', save_dir: saveDir, mode: 'eval' });
  return store;
}

test('run link: per-epoch copies, --eval runs and CenterFusion\'s own file map to their run', () => {
  const store = storeWith();
  const runs = store.all();
  assert.deepEqual(runLinkOf('/ws/exp/ddd/demo/runs/20261126-010000-aaaa/eval/epoch_3/metrics_summary.json', runs), {
    runId: '20261126-010000-aaaa',
    epoch: 3,
    label: 'ddd/demo · run 20261126-010000-aaaa · epoch 3',
  });
  const ev = runLinkOf('/ws/exp/ddd/demo/runs/20261126-020000-bbbb/eval/eval/metrics_summary.json', runs);
  assert.equal(ev?.runId, '20261126-020000-bbbb');
  assert.equal(ev?.epoch, null);
  assert.match(ev?.label ?? '', /evaluation$/);
  // Python per-epoch copy: the newest run in that save_dir.
  const py = runLinkOf('/ws/exp/ddd/demo/.centerfusion-studio/metrics/logs_2026-11-26-01-00/nuscenes_eval_det_output_val/epoch_2.json', runs);
  assert.deepEqual([py?.runId, py?.epoch], ['20261126-020000-bbbb', 2]);
  const own = runLinkOf('/ws/exp/ddd/demo/nuscenes_eval_det_output_val/metrics_summary.json', runs);
  assert.equal(own?.runId, '20261126-020000-bbbb');
  // Unknown run ids and files elsewhere have no link.
  assert.equal(runLinkOf('/ws/exp/ddd/demo/runs/nope/eval/epoch_3/metrics_summary.json', runs), undefined);
  assert.equal(runLinkOf('/ws/reports/metrics_summary.json', runs), undefined);
  assert.equal(runLinkOf('/ws/exp/ddd/other/nuscenes_eval_det_output_val/metrics_summary.json', runs), undefined);
});
