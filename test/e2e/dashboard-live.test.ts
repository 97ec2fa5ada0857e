// End to end in a real VS Code (code-server + chromium): the dashboard while a run trains and
// after a window reload.
//   1. Train the demo config from the sidebar; the status-bar item shows "epoch x/3"; its click
//      opens the run's dashboard.
//   2. While the run trains, the page (read from the page, through its read-only data-*
//      attributes) receives iteration points in several messages, its running-loss chart grows,
//      the checkpoint list fills, and the status bar's epoch moves on.
//   3. Clicking "epoch 3" in the Runs tree highlights epoch 3 on the open dashboard.
//   4. "Developer: Reload Window": the dashboard panel comes back with its charts' points, the
//      checkpoint list and the highlight.
// Needs `node test/e2e/setup.mjs` and built bundles (dist/).
// Pictures: test/e2e/.work/dashboard-live-dark.png and -light.png; with CFS_DOC_IMAGES=1 they are
// also written to docs/images/dashboard-dark.png and dashboard-light.png (the README's).
// Failure artifacts: test/e2e/.work/dashboard-live-failure.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { openCenterFusion, openPane, rowByLabel, runCommand, until, webviewFrame } from './workbench';
import { repoRoot, scenario, workDir } from './scenario';

const TRAIN_TIMEOUT_MS = Number(process.env.CFS_E2E_TRAIN_TIMEOUT_MS || 300_000);
const pageErrors: string[] = [];

const get = scenario('dashboard-live', {
  install: 'vsix',
  needs: ['cli.js', 'webview/dashboard.js'],
  onPage: (pg) => pg.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`)),
  cleanup: () => {
    if (pageErrors.length > 0) console.log(`# page errors:\n${pageErrors.join('\n')}`);
  },
  // The demo config as the workspace has it; without an --arch it would build CenterFusion's
  // DLA-34, minutes per epoch on a CPU: this test is about the dashboard, so the tiny network.
  prepare: (ws) => {
    const configFile = join(ws, '.centerfusion', 'configs', 'demo.json');
    if (!existsSync(configFile)) return;
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { options?: Record<string, unknown> };
    if (config.options !== undefined && config.options['arch'] === undefined) {
      config.options['arch'] = 'tiny';
      writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    }
  },
});

/** What the dashboard page shows, read from its DOM (data-* attributes are the page's test hooks). */
interface PageReading {
  status: string | null;
  epoch: string | null;
  iterPoints: number;
  lossPoints: number;
  itersReceived: number;
  messages: number;
  checkpointRows: number;
  focus: string | null;
}

async function readDashboard(frame: FrameLocator): Promise<PageReading> {
  const attr = (sel: string, name: string): Promise<string | null> => frame.locator(sel).first().getAttribute(name, { timeout: 1000 }).catch(() => null);
  const text = (sel: string): Promise<string | null> => frame.locator(sel).first().textContent({ timeout: 1000 }).catch(() => null);
  return {
    status: await text('#h-status'),
    epoch: await text('#h-epoch .value'),
    iterPoints: Number(await attr('#chart-iter', 'data-points')),
    lossPoints: Number(await attr('#chart-loss', 'data-points')),
    itersReceived: Number(await attr('#root', 'data-iters-received')),
    messages: Number(await attr('#root', 'data-messages')),
    checkpointRows: Number(await attr('#checkpoints', 'data-rows')),
    focus: await attr('#root', 'data-focus-epoch'),
  };
}

/** The status-bar item of the running run ("… · epoch 2/3 · train 40% · ETA 3s"), or undefined. */
async function statusBarItem(p: Page): Promise<{ item: Locator; text: string } | undefined> {
  const item = p.locator('.part.statusbar .statusbar-item', { hasText: /epoch \d+\/\d+/ }).first();
  if (!(await item.isVisible().catch(() => false))) return undefined;
  const text = (await item.textContent({ timeout: 1000 }).catch(() => null)) ?? (await item.getAttribute('aria-label', { timeout: 1000 }).catch(() => null)) ?? '';
  return { item, text: text.replace(/\s+/g, ' ').trim() };
}

test('dashboard live: train from the sidebar, status bar, live points, checkpoints, epoch highlight, reload', { timeout: TRAIN_TIMEOUT_MS + 240_000 }, async () => {
  const s = get();
  const { step, lib } = s;
  const p = await s.open();
  await step('open the CenterFusion container', () => openCenterFusion(p));
  const configs = await step('the Configs view lists "demo"', async () => {
    const pn = await openPane(p, 'Configs');
    await rowByLabel(pn, 'demo').first().waitFor({ state: 'visible', timeout: 60_000 });
    return pn;
  });
  const runs = await openPane(p, 'Runs');

  await step('click Train on the "demo" config', async () => {
    const row = rowByLabel(configs, 'demo').first();
    await row.hover();
    const train = row.locator('.actions a.action-label[aria-label="Train"]');
    await train.waitFor({ state: 'visible', timeout: 10_000 });
    await train.click();
  });

  const statusTexts = new Set<string>();
  await step('the status bar shows the run (epoch x/3); its click opens the dashboard', async () => {
    const found = await until(60_000, () => statusBarItem(p), async () => `no "epoch x/y" status-bar item; status bar: ${(await p.locator('.part.statusbar').innerText().catch(() => '?')).replace(/\s+/g, ' ')}`, 200);
    statusTexts.add(found.text);
    assert.match(found.text, /epoch \d\/3/);
    await found.item.click();
    await p.locator(`iframe.webview[src*="extensionId=${lib.EXTENSION_ID}"]`).first().waitFor({ state: 'attached', timeout: 30_000 });
  });

  const frame = webviewFrame(p, lib.EXTENSION_ID);
  const samples: PageReading[] = [];
  await step('while it trains, the page receives iteration points in several messages and the checkpoint list fills', async () => {
    const deadline = Date.now() + TRAIN_TIMEOUT_MS;
    for (;;) {
      const r = await readDashboard(frame);
      samples.push(r);
      const sbItem = await statusBarItem(p);
      if (sbItem !== undefined) statusTexts.add(sbItem.text);
      if (r.status === 'completed' && r.epoch === '3/3' && r.checkpointRows >= 1) break;
      if (r.status === 'failed' || r.status === 'killed' || r.status === 'stopped') throw new Error(`the run ended ${r.status}: ${JSON.stringify(r)}`);
      if (Date.now() > deadline) throw new Error(`the run did not complete in time; last reading ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    const running = samples.filter((s) => s.status === 'running');
    const received = [...new Set(running.map((s) => s.itersReceived).filter((n) => n > 0))];
    console.log(`# ${running.length} readings while running; iteration points received: ${received.join(', ')}`);
    assert.ok(received.length >= 3, `iteration points arrived in fewer than 3 steps while running: ${JSON.stringify(received)}`);
    assert.ok(received.every((n, i) => i === 0 || n > received[i - 1]!), `the received count never goes back: ${JSON.stringify(received)}`);
    assert.ok(running.some((s) => s.iterPoints > 0), 'the running-loss chart drew points while the run trained');
    const maxMessages = Math.max(...samples.map((s) => s.messages));
    assert.ok(maxMessages >= 3, `the page got ${maxMessages} messages (a snapshot and deltas expected)`);
    // The checkpoint list filled while the page was open (it was empty or shorter at first).
    const firstRows = samples[0]?.checkpointRows ?? 0;
    const lastRows = samples[samples.length - 1]?.checkpointRows ?? 0;
    assert.ok(lastRows > firstRows, `checkpoint rows went from ${firstRows} to ${lastRows}`);
    const epochsSeen = new Set([...statusTexts].map((t) => /epoch (\d+)\/3/.exec(t)?.[1]).filter((x) => x !== undefined));
    console.log(`# status bar texts: ${[...statusTexts].join(' | ')}`);
    assert.ok(statusTexts.size >= 2, `the status-bar item never changed: ${[...statusTexts].join(' | ')}`);
    assert.ok(epochsSeen.size >= 1, 'the status bar named an epoch');
  });

  await step('the status-bar item is gone once nothing runs', async () => {
    await until(10_000, async () => ((await statusBarItem(p)) === undefined ? true : undefined), async () => 'the status-bar item still shows');
  });

  await step('the finished dashboard: loss chart with 3 points per series, LR and NDS charts', async () => {
    const r = await until(20_000, async () => {
      const x = await readDashboard(frame);
      return x.lossPoints === 3 ? x : undefined;
    }, async () => `loss chart: ${JSON.stringify(await readDashboard(frame))}`);
    assert.equal(r.status, 'completed');
    assert.equal(await frame.locator('#chart-lr').getAttribute('data-points'), '3');
    for (const id of ['nds', 'tp', 'ap', 'tp-class']) {
      assert.ok(await frame.locator(`#chart-${id}`).count() === 1, `chart ${id} exists`);
    }
  });

  await step('click "epoch 3" in the Runs tree: the dashboard highlights epoch 3', async () => {
    await until(30_000, async () => {
      const epochRow = rowByLabel(runs, 'epoch 3').first();
      if (!(await epochRow.isVisible())) {
        const run = runs.locator('.monaco-list-row[role="treeitem"][aria-expanded="false"]').filter({ has: p.locator('.label-description', { hasText: /completed/i }) }).first();
        await run.locator('.monaco-tl-twistie').click({ timeout: 2000 });
        return undefined;
      }
      await epochRow.locator('.label-name').first().click({ timeout: 2000 });
      return (await frame.locator('#root').getAttribute('data-focus-epoch', { timeout: 2000 })) === '3' ? true : undefined;
    }, async () => `no highlight: focus=${await frame.locator('#root').getAttribute('data-focus-epoch', { timeout: 1000 }).catch(() => '?')}; runs: ${(await runs.innerText().catch(() => '?')).replace(/\s+/g, ' ').slice(0, 300)}`);
    assert.match((await frame.locator('#focus h2').textContent()) ?? '', /Epoch 3/);
    // model_3 (save_point 3) and model_last were written at epoch 3: both rows are marked.
    const focused = await frame.locator('#checkpoints tr.focused').count();
    assert.ok(focused >= 1, `${focused} checkpoint rows marked for epoch 3`);
  });

  await step('screenshots (dark theme, then light)', async () => {
    mkdirSync(workDir, { recursive: true });
    await runCommand(p, 'Notifications: Clear All Notifications').catch(() => undefined);
    await p.mouse.move(5, 5);
    const isDark = async (): Promise<boolean> => /\bvs-dark\b/.test((await p.locator('.monaco-workbench').getAttribute('class')) ?? '');
    for (const [name, dark] of [['dark', true], ['light', false]] as const) {
      if ((await isDark()) !== dark) {
        await runCommand(p, 'Preferences: Toggle between Light/Dark Themes');
        await until(30_000, async () => ((await isDark()) === dark ? true : undefined), async () => `the ${name} theme was not applied`);
      }
      await new Promise((r) => setTimeout(r, 2000)); // the page redraws its charts with the theme's colours
      const file = join(workDir, `dashboard-live-${name}.png`);
      await p.screenshot({ path: file });
      if (process.env.CFS_DOC_IMAGES === '1') copyFileSync(file, join(repoRoot, 'docs', 'images', `dashboard-${name}.png`));
    }
  });

  await step('Developer: Reload Window; the dashboard comes back with its points, checkpoints and highlight', async () => {
    const before = await readDashboard(frame);
    await runCommand(p, 'Developer: Reload Window');
    await p.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    const restored = webviewFrame(p, lib.EXTENSION_ID);
    const r = await until(90_000, async () => {
      const x = await readDashboard(restored);
      return x.status === 'completed' && x.lossPoints === 3 && x.checkpointRows === before.checkpointRows && x.focus === '3' ? x : undefined;
    }, async () => `after the reload the dashboard shows ${JSON.stringify(await readDashboard(restored))} (before: ${JSON.stringify(before)})`);
    assert.equal(r.epoch, '3/3');
    // The running losses of the last epoch are read back from the run's events file.
    assert.ok(r.iterPoints > 0, `the running-loss chart is empty after the reload: ${JSON.stringify(r)}`);
  });
});
