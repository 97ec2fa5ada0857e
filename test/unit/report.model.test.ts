// The metrics report model: bare NaN read as "—" with a reason, per-class rows, curves from
// metrics_details.json, clear errors for malformed or truncated files, and the message contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildReportModel, isHostToReport, isReportToHost, nanReason } from '../../src/shared/webview/metricsReport';

const REPO = path.resolve(__dirname, '..', '..', '..');
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'centerfusion', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');

test('a devkit metrics_summary.json with bare NaN becomes a report', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  assert.match(text, /\bNaN\b/);
  const m = buildReportModel(text);
  assert.ok(m.nds.value !== null && m.nds.value > 0);
  assert.equal(m.map.value, 0.33162);
  assert.deepEqual(m.thresholds, ['0.5', '1.0', '2.0', '4.0']);
  assert.equal(m.classes.length, 10);
  const cone = m.classes.find((c) => c.name === 'traffic_cone');
  assert.ok(cone);
  assert.equal(cone.tp.orient_err.value, null);
  assert.match(cone.tp.orient_err.why ?? '', /orientation/);
  assert.equal(m.classes[0].aps['0.5'].value, 0.3716);
  assert.equal(m.curves.length, 0);
  assert.ok(isHostToReport(JSON.parse(JSON.stringify({ type: 'report', fileName: 'metrics_summary.json', model: m }))));
});

test('metrics_details.json beside it gives precision-recall curves; a bad one only adds a note', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const details = JSON.stringify({
    'car:0.5': { recall: [0, 0.5, 1], precision: [1, 0.8, 0.2], confidence: [0.9, 0.5, 0.1], trans_err: [0, 0, 0], vel_err: [0, 0, 0], scale_err: [0, 0, 0], orient_err: [0, 0, 0], attr_err: [0, 0, 0] },
  });
  const m = buildReportModel(text, details);
  assert.deepEqual(m.curves, [{ className: 'car', threshold: '0.5', recall: [0, 0.5, 1], precision: [1, 0.8, 0.2] }]);
  const bad = buildReportModel(text, '{"car:0.5": {');
  assert.equal(bad.curves.length, 0);
  assert.match(bad.detailsNote ?? '', /could not be read/);
});

test('malformed and truncated summaries throw readable errors', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  assert.throws(() => buildReportModel(text.slice(0, text.length / 2)), /./);
  assert.throws(() => buildReportModel('{"label_aps": {}}'), /missing/);
  assert.throws(() => buildReportModel('[1,2]'), /object/);
});

test('reasons for NaN and the message guards', () => {
  assert.match(nanReason('traffic_cone', 'vel_err'), /static/);
  assert.match(nanReason('barrier', 'attr_err'), /attributes/);
  assert.match(nanReason('car', 'ap'), /ground-truth/);
  assert.ok(isReportToHost({ type: 'ready' }));
  assert.ok(!isReportToHost({ type: 'run', cmd: 'rm' }));
  assert.ok(isHostToReport({ type: 'error', fileName: 'x', message: 'bad' }));
  assert.ok(!isHostToReport({ type: 'report', fileName: 'x', model: { nds: 1 } }));
});
