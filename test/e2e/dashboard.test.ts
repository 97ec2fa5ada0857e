// End to end in a real VS Code (code-server + chromium): a demo run already trained into the
// sandbox workspace (by the `centerfusion` CLI, before code-server starts) appears in the Runs
// view; clicking its row opens the dashboard webview, whose page shows the run as completed at
// epoch 3/3, a loss chart with 3 points per series and the checkpoint list; then both runs,
// selected together, open the comparison (two overlaid curves, lr among the differing options).
// Needs `node test/e2e/setup.mjs` and built bundles (dist/).
// Failure artifacts: test/e2e/.work/dashboard-failure.png; success picture: dashboard.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { openCenterFusion, until } from './workbench';
import { repoRoot, scenario, workDir } from './scenario';

const get = scenario('dashboard', { install: 'vsix', needs: ['cli.js', 'webview/dashboard.js'] });

test('dashboard: open a finished demo run from its row; header, loss chart and checkpoints', { timeout: 420_000 }, async () => {
  const s = get();
  const { step, lib } = s;
  const sb = s.sandbox;
  await step('train the demo config twice with the CLI into the sandbox workspace (lr 1e-3, 5e-4)', async () => {
    // Both at once: each is a separate process, so the two cores share the work.
    const train = (expId: string, lr: string): Promise<void> => new Promise((resolveRun, reject) => {
      const args = [
        join(repoRoot, 'dist', 'cli.js'), 'train', 'ddd',
        // The tiny network: CenterFusion's DLA-34 takes minutes per epoch on a CPU.
        '--dataset', 'synthetic', '--arch', 'tiny', '--exp_id', expId, '--num_epochs', '3', '--val_intervals', '1',
        '--batch_size', '4', '--lr', lr, '--lr_step', '2', '--save_point', '3', '--seed', '317', '--gpus', '-1',
        '--root-dir', sb.workspace,
      ];
      const child = spawn(process.execPath, args, { cwd: sb.workspace, env: sb.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolveRun();
        else reject(new Error(`the trainer (lr ${lr}) failed (${code ?? signal}): ${stderr}`));
      });
    });
    // Separate exp_ids: the two runs must not write the same checkpoint files at once.
    await Promise.all([train('demo', '0.001'), train('demo_low_lr', '0.0005')]);
  });
  const p = await s.open();
  await step('open the CenterFusion container', () => openCenterFusion(p));

  const runs = p.locator('.part.sidebar .pane').filter({ has: p.locator('.pane-header h3.title', { hasText: /^\s*Runs\s*$/i }) });
  await step('click the completed run row', async () => {
    const row = await until(
      60_000,
      async () => {
        const header = runs.locator('.pane-header').first();
        if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
        const r = runs.locator('.monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-description', { hasText: /completed/i }) }).first();
        return (await r.isVisible()) ? r : undefined;
      },
      async () => `no completed run in the Runs view: ${(await runs.innerText().catch(() => '?')).replace(/\s+/g, ' ').slice(0, 400)}`,
    );
    // The tree re-renders as runs load, so a click can land on a stale row: click until a webview opens.
    const webview = p.locator(`iframe.webview[src*="extensionId=${lib.EXTENSION_ID}"]`);
    await until(
      30_000,
      async () => {
        if ((await webview.count()) > 0) return true;
        await row.locator('.label-name').first().click({ timeout: 2000 });
        await webview.first().waitFor({ state: 'attached', timeout: 3000 });
        return true;
      },
      async () => 'no dashboard opened after clicking the run row',
    );
  });

  const frame: FrameLocator = p
    .frameLocator(`iframe.webview.ready[src*="extensionId=${lib.EXTENSION_ID}"]`)
    .frameLocator('iframe#active-frame');
  await step('the dashboard shows completed, 3/3 epochs, 3 loss points and the checkpoints', async () => {
    const read = async (): Promise<string> => {
      const status = await frame.locator('#h-status').textContent({ timeout: 1000 }).catch(() => null);
      const epoch = await frame.locator('#h-epoch .value').textContent({ timeout: 1000 }).catch(() => null);
      const points = await frame.locator('#chart-loss').getAttribute('data-points', { timeout: 1000 }).catch(() => null);
      const rows = await frame.locator('#checkpoints').getAttribute('data-rows', { timeout: 1000 }).catch(() => null);
      return JSON.stringify({ status, epoch, points, rows });
    };
    await until(
      60_000,
      async () => {
        const s = JSON.parse(await read()) as Record<string, string | null>;
        return s.status === 'completed' && s.epoch === '3/3' && s.points === '3' && Number(s.rows) >= 1 ? true : undefined;
      },
      async () => `the dashboard shows ${await read()}`,
    );
    const series = Number(await frame.locator('#chart-loss').getAttribute('data-series'));
    assert.ok(series >= 2, `the loss chart has ${series} series (train and val expected)`);
    assert.ok((await frame.locator('#chart-lr').getAttribute('data-points')) === '3', 'the LR chart has 3 points');
  });

  await step('screenshot', async () => {
    mkdirSync(workDir, { recursive: true });
    await p.screenshot({ path: join(workDir, 'dashboard.png') });
  });

  await step('select both runs, Compare Runs from the context menu', async () => {
    const rows = runs.locator('.monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-description', { hasText: /completed/i }) });
    await until(30_000, async () => ((await rows.count()) >= 2 ? true : undefined), async () => `fewer than two completed runs: ${(await runs.innerText().catch(() => '?')).replace(/\s+/g, ' ').slice(0, 400)}`);
    await rows.nth(0).locator('.label-name').first().click();
    await rows.nth(1).locator('.label-name').first().click({ modifiers: ['Control'] });
    await rows.nth(1).locator('.label-name').first().click({ button: 'right' });
    const item = p.locator('.monaco-menu .action-item a.action-menu-item', { hasText: /Compare Runs/ }).first();
    await item.hover({ timeout: 10_000 });
    await item.click({ timeout: 10_000 });
    // A click that lands while the menu is still opening is lost: the highlighted item takes Enter.
    const closed = await until(3000, async () => ((await item.isVisible()) ? undefined : true), async () => 'open').catch(() => false);
    if (!closed) await p.keyboard.press('Enter');
  });

  await step('the comparison overlays two runs and lists lr among the differing options', async () => {
    const cmp = p.frameLocator(`iframe.webview.ready[src*="extensionId=${lib.EXTENSION_ID}"]`).last().frameLocator('iframe#active-frame');
    const read = async (): Promise<string> => JSON.stringify({
      series: await cmp.locator('#chart-train-tot').getAttribute('data-series', { timeout: 1000 }).catch(() => null),
      points: await cmp.locator('#chart-train-tot').getAttribute('data-points', { timeout: 1000 }).catch(() => null),
      options: await cmp.locator('#compare-options').innerText({ timeout: 1000 }).catch(() => null),
    });
    await until(
      30_000,
      async () => {
        const s = JSON.parse(await read()) as Record<string, string | null>;
        return s.series === '2' && s.points === '6' && /\blr\b/.test(s.options ?? '') ? true : undefined;
      },
      async () => `the comparison shows ${await read()}`,
    );
    await p.screenshot({ path: join(workDir, 'dashboard-compare.png') });
  });
});
