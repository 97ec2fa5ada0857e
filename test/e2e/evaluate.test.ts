// End to end in a real VS Code (code-server 4.100.3 through Debian's chromium): Evaluate from a
// checkpoint's context menu. Train the demo config (inline Train), wait for model_last.ckpt in the
// Checkpoints view and the run to complete, right-click it → Evaluate: a run of mode eval whose
// options load that checkpoint is recorded, and the metrics report opens with the numbers of the
// metrics_summary.json that evaluation wrote (NDS and the car row compared with the file on disk).
// Needs `node test/e2e/setup.mjs` and built bundles (dist/, the trainer included). On failure:
// test/e2e/.work/evaluate-failure.png and evaluate-failure/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetricsSummary } from '../../src/shared/eval';
import { scenario, until, webviewWith } from './scenario';
import { pane, rowByLabel } from './workbench';

const get = scenario('evaluate', { needs: ['cli.js'] });

test('right-click a checkpoint → Evaluate → the report opens with that evaluation\'s numbers', { timeout: 540_000 }, async () => {
  const s = get();
  const { step } = s;
  const ws = s.sandbox.workspace;
  const p = await s.open();

  await step('Train the "demo" config', async () => {
    const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
    // Under a heavily loaded machine the extension can take long to activate.
    await icon.waitFor({ state: 'visible', timeout: 120_000 });
    await icon.click();
    const row = rowByLabel(pane(p, 'Configs'), 'demo').first();
    await row.waitFor({ state: 'visible', timeout: 90_000 });
    await row.hover();
    const train = row.locator('.actions a.action-label[aria-label="Train"]');
    await train.waitFor({ state: 'visible', timeout: 10_000 });
    await train.click();
  });

  const checkpoints = pane(p, 'Checkpoints');
  const ckpt = rowByLabel(checkpoints, 'model_last.ckpt').first();
  await step('model_last.ckpt in Checkpoints, the run completed', async () => {
    const header = checkpoints.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await until('model_last.ckpt in Checkpoints', async () => {
      if (await ckpt.isVisible()) return true;
      const collapsed = checkpoints.locator('.monaco-list-row[role="treeitem"][aria-expanded="false"] .monaco-tl-twistie').first();
      if (await collapsed.isVisible()) await collapsed.click({ timeout: 2000 }).catch(() => undefined);
      return false;
    }, 240_000);
    await until('the run to complete', async () => (await p.locator('.part.sidebar .label-description', { hasText: /completed/ }).count()) > 0, 120_000);
  });

  const runsDir = join(ws, 'exp', 'ddd', 'demo', 'runs');
  const trainRuns = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);

  await step('right-click → Evaluate', async () => {
    await ckpt.click({ button: 'right' });
    const item = p.locator('.monaco-menu .action-item a.action-menu-item', { hasText: /^\s*Evaluate\s*$/ }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await item.hover();
    await item.click();
    // Under load the menu can swallow a click while it settles: the item is focused, so Enter runs it.
    await until('the context menu to close', async () => {
      if (!(await item.isVisible())) return true;
      await item.hover().catch(() => undefined);
      await p.keyboard.press('Enter').catch(() => undefined);
      return !(await item.isVisible());
    }, 10_000);
  });

  let summaryFile = '';
  await step('the evaluation is a run of mode eval that loads model_last.ckpt', async () => {
    await until('the evaluation summary on disk', async () => {
      const fresh = existsSync(runsDir) ? readdirSync(runsDir).filter((id) => !trainRuns.has(id)) : [];
      const found = fresh.map((id) => join(runsDir, id, 'eval', 'eval', 'metrics_summary.json')).find((f) => existsSync(f));
      if (found !== undefined) summaryFile = found;
      return found !== undefined;
    }, 240_000);
    const runDir = join(summaryFile, '..', '..', '..');
    await until('run.json completed', async () => {
      try {
        return (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status?: string }).status === 'completed';
      } catch {
        return false;
      }
    }, 60_000);
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { mode?: string; argv?: string[] };
    assert.equal(record.mode, 'eval');
    const argv = record.argv ?? [];
    assert.ok(argv.includes('--eval'));
    assert.equal(argv[argv.indexOf('--load_model') + 1], join(ws, 'exp', 'ddd', 'demo', 'model_last.ckpt'));
  });

  await step('the report opens with the NDS and the car row of that metrics_summary.json', async () => {
    const summary = parseMetricsSummary(readFileSync(summaryFile, 'utf8'));
    const expected = summary.nd_score.toFixed(4);
    const report = await webviewWith(p, s.lib.EXTENSION_ID, '.card.nds', 90_000);
    await until(`NDS ${expected} in the report`, async () => ((await report.locator('.card.nds .value').textContent()) ?? '').trim() === expected, 30_000);
    const car = report.locator('table.classes tr[data-class="car"] td.mean').first();
    const meanAp = summary.mean_dist_aps.car;
    assert.equal(((await car.textContent()) ?? '').trim(), Number.isFinite(meanAp) ? meanAp.toFixed(3) : '—');
    // The report says which run it belongs to and links to its dashboard.
    assert.match(((await report.locator('button.run-link').textContent()) ?? '').trim(), /ddd\/demo · run .* · evaluation/);
  });
});
