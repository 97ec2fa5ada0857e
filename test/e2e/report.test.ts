// End to end in a real VS Code (code-server 4.100.3 through Debian's chromium): the metrics
// report, the default editor for metrics_summary.json. A committed summary with bare NaN and its
// metrics_details.json (test/fixtures/metrics/val-a) opens through Quick Open: the NDS and the car
// row read from the page equal the file's numbers, traffic_cone's undefined errors show "—" with
// the reason as a tooltip, precision-recall and TP-error curves are drawn; "Compare With…" puts
// a second summary beside it with the NDS delta; a truncated summary shows a clear message.
// Needs `node test/e2e/setup.mjs` and built bundles (dist/). On failure:
// test/e2e/.work/report-failure.png and report-failure/. CFS_SCREENSHOTS=1 writes
// docs/images/report-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetricsSummary } from '../../src/shared/eval';
import { quickOpen, repoRoot, scenario, screenshot, until, webviewWith } from './scenario';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'metrics');

const get = scenario('report', { needs: ['webview/metrics-report.js'], prepare: (ws) => {
  for (const [from, to] of [
    ['val-a/metrics_summary.json', 'reports/a/metrics_summary.json'],
    ['val-a/metrics_details.json', 'reports/a/metrics_details.json'],
    ['val-b/metrics_summary.json', 'reports/b/metrics_summary.json'],
    ['truncated/metrics_summary.json', 'reports/cut/metrics_summary.json'],
  ]) {
    mkdirSync(join(ws, to, '..'), { recursive: true });
    cpSync(join(FIXTURES, from), join(ws, to));
  }
} });

test('metrics report: NDS and a class row from a file with NaN, curves, Compare With…, a truncated file', { timeout: 240_000 }, async () => {
  const s = get();
  const { step } = s;
  const a = parseMetricsSummary(readFileSync(join(FIXTURES, 'val-a', 'metrics_summary.json'), 'utf8'));
  const b = parseMetricsSummary(readFileSync(join(FIXTURES, 'val-b', 'metrics_summary.json'), 'utf8'));
  assert.ok(Number.isNaN(a.label_tp_errors.traffic_cone.orient_err), 'the fixture has bare NaN');
  const p = await s.open();

  const report = await step('reports/a/metrics_summary.json opens in the report', async () => {
    await quickOpen(p, 'reports/a/metrics_summary.json', 'reports');
    return webviewWith(p, s.lib.EXTENSION_ID, '.card.nds', 60_000);
  });

  await step('the NDS and the car row are the file\'s numbers', async () => {
    assert.equal(((await report.locator('.card.nds .value').textContent()) ?? '').trim(), a.nd_score.toFixed(4));
    assert.equal(((await report.locator('.card.map .value').textContent()) ?? '').trim(), a.mean_ap.toFixed(4));
    const car = report.locator('table.classes tr[data-class="car"]').first();
    const cells = (await car.locator('td').allTextContents()).map((t) => t.trim());
    const expected = [
      ...['0.5', '1.0', '2.0', '4.0'].map((t) => a.label_aps.car[t].toFixed(3)),
      a.mean_dist_aps.car.toFixed(3),
      ...(['trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err'] as const).map((m) => a.label_tp_errors.car[m].toFixed(3)),
    ];
    assert.deepEqual(cells, expected);
  });

  await step('traffic_cone: "—" with the reason in a tooltip', async () => {
    const cone = report.locator('table.classes tr[data-class="traffic_cone"]').first();
    const nan = cone.locator('.nan');
    assert.equal(await nan.count(), 3, 'orientation, velocity and attribute errors are undefined for cones');
    assert.equal(((await nan.first().textContent()) ?? '').trim(), '—');
    assert.match((await nan.first().getAttribute('title')) ?? '', /orientation/);
  });

  await step('precision-recall and TP-error curves from metrics_details.json', async () => {
    await until('10 TP-error charts', async () => (await report.locator('.tp-curve canvas').count()) === 10);
    assert.ok((await report.locator('h2', { hasText: 'Precision-recall curves' }).count()) === 1);
  });

  await step('screenshots of the report', async () => {
    await screenshot(p, 'report-summary');
    await report.locator('.tp-curve').first().scrollIntoViewIfNeeded();
    await screenshot(p, 'report-curves');
    await report.locator('h1').scrollIntoViewIfNeeded();
  });

  await step('Compare With… reports/b: side by side with the NDS delta', async () => {
    await report.locator('button.compare-with').click();
    const row = p.locator('.quick-input-widget .monaco-list-row', { hasText: 'reports/b/metrics_summary.json' }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click();
    const nds = report.locator('#compare tr[data-metric="nds"] td');
    await until('the comparison', async () => (await nds.count()) === 3, 20_000);
    const cells = (await nds.allTextContents()).map((t) => t.trim());
    const d = b.nd_score - a.nd_score;
    assert.deepEqual(cells, [a.nd_score.toFixed(4), b.nd_score.toFixed(4), `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(4)}`]);
    const carDelta = ((await report.locator('#compare table.class-compare tr[data-class="car"] td').nth(2).textContent()) ?? '').trim();
    const dc = b.mean_dist_aps.car - a.mean_dist_aps.car;
    assert.equal(carDelta, `${dc > 0 ? '+' : dc < 0 ? '−' : '±'}${Math.abs(dc).toFixed(3)}`);
    await screenshot(p, 'report-compare');
  });

  await step('a truncated metrics_summary.json: a clear message', async () => {
    await quickOpen(p, 'reports/cut/metrics_summary.json', 'cut');
    const broken = await webviewWith(p, s.lib.EXTENSION_ID, '.error', 60_000);
    assert.match(((await broken.locator('.error').first().textContent()) ?? '').trim(), /not a readable nuScenes metrics summary/);
  });
});
