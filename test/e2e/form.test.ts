// End to end in a real VS Code (code-server 4.100.3 through Debian's chromium): open the demo
// workspace, open the options form on the "demo" config (inline "Edit Options"), see a bad
// num_epochs rejected with its message, change num_epochs to 4, see the command preview follow,
// Save, and find num_epochs 4 on disk with the other keys intact. Then open a committed
// metrics_summary.json with bare NaN (the custom editor is the default for that name) and read
// the NDS and the traffic_cone row from the report.
// Needs `node test/e2e/setup.mjs` and built bundles (dist/). On failure:
// test/e2e/.work/form-failure.png and form-failure/ (code-server and VS Code logs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';
import type * as E2E from '../../scripts/e2e-lib.mjs';
import { Steps } from './workbench';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/e2e -> repo
const workDir = join(repoRoot, 'test', 'e2e', '.work');
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'centerfusion', 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let lib: typeof E2E;
let sandbox: E2E.Sandbox | undefined;
let server: E2E.CodeServer | undefined;
let context: BrowserContext | undefined;
let page: Page | undefined;

const steps = new Steps();
const step = steps.step.bind(steps);

/** The content frame of the visible webview whose page shows `selector`. */
async function webviewWith(p: Page, selector: string, timeoutMs = 30_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = p.locator(`iframe.webview.ready[src*="extensionId=${lib.EXTENSION_ID}"]`);
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      const inner = p.frameLocator(`iframe.webview.ready[src*="extensionId=${lib.EXTENSION_ID}"] >> nth=${i}`).frameLocator('iframe#active-frame');
      if ((await inner.locator(selector).count().catch(() => 0)) > 0) return inner;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  lib = (await importEsm(pathToFileURL(join(repoRoot, 'scripts', 'e2e-lib.mjs')).href)) as typeof E2E;
  assert.ok(existsSync(join(repoRoot, 'dist', 'webview', 'options-form.js')), 'dist/ missing: run node scripts/build.mjs');
  await lib.ensureCodeServer();
  rmSync(join(workDir, 'form-failure.png'), { force: true });
  rmSync(join(workDir, 'form-failure'), { recursive: true, force: true });
  sandbox = lib.makeSandbox({ prefix: 'cfs-e2e-form-' });
  mkdirSync(join(sandbox.workspace, 'reports'), { recursive: true });
  cpSync(FIXTURE, join(sandbox.workspace, 'reports', 'metrics_summary.json'));
});

after(async () => {
  if (steps.failed) {
    mkdirSync(workDir, { recursive: true });
    if (page) await page.screenshot({ path: join(workDir, 'form-failure.png') }).catch(() => undefined);
    if (sandbox) {
      const dest = join(workDir, 'form-failure');
      mkdirSync(dest, { recursive: true });
      if (existsSync(sandbox.logFile)) cpSync(sandbox.logFile, join(dest, 'code-server.log'));
      const logs = join(sandbox.userData, 'logs');
      if (existsSync(logs)) cpSync(logs, join(dest, 'vscode-logs'), { recursive: true });
    }
  }
  if (context) await context.close().catch(() => undefined);
  if (server) await server.stop().catch(() => undefined);
  if (sandbox) {
    let left = lib.processesWith(sandbox.root);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = lib.processesWith(sandbox.root);
    }
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (process.env.CFS_KEEP_SANDBOX !== '1') lib.removeSandbox(sandbox);
    assert.deepEqual(left.map((p) => p.cmdline.slice(0, 120)), [], 'processes left behind');
  }
});

test('options form: edit num_epochs, see the preview, Save; metrics report shows NDS', { timeout: 180_000 }, async () => {
  const sb = sandbox!;
  const configFile = join(sb.workspace, '.centerfusion', 'configs', 'demo.json');
  const before = JSON.parse(readFileSync(configFile, 'utf8')) as { options: Record<string, unknown> } & Record<string, unknown>;

  await step('install the extension', () => lib.installExtension(sb.extensions, { mode: 'link', workDir: sb.root, env: sb.env }));
  server = await step('start code-server', () =>
    lib.startCodeServer({ userDataDir: sb.userData, extensionsDir: sb.extensions, env: sb.env, logFile: sb.logFile, configFile: sb.config }),
  );
  const p = await step('workbench loaded', async () => {
    context = await lib.launchChromium(sb);
    const pg = context.pages()[0] ?? (await context.newPage());
    page = pg;
    await pg.goto(server!.folderUrl(sb.workspace), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await pg.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    return pg;
  });

  await step('Edit Options on the "demo" config', async () => {
    const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
    const row = p.locator('.part.sidebar .monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-name', { hasText: /^\s*demo\s*$/ }) }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.hover();
    const edit = row.locator('.actions a.action-label[aria-label="Edit Options"]');
    await edit.waitFor({ state: 'visible', timeout: 10_000 });
    await edit.click();
  });

  const form = await step('the form shows the command preview', async () => {
    const f = await webviewWith(p, '#command-preview');
    await until('the preview', async () => /python main\.py ddd .*--num_epochs 3/.test((await f.locator('#command-preview').textContent()) ?? ''));
    return f;
  });

  const epochs: Locator = form.locator('vscode-textfield[data-dest="num_epochs"] input');
  await step('a bad num_epochs is rejected next to the field', async () => {
    await epochs.fill('abc');
    const message = form.locator('.row[data-dest="num_epochs"] .message');
    await until('the message', async () => /integer/.test((await message.textContent()) ?? ''));
    assert.match((await form.locator('#command-preview').textContent()) ?? '', /Fix the fields/);
  });

  await step('num_epochs 4: the preview follows', async () => {
    await epochs.fill('4');
    await until('--num_epochs 4 in the preview', async () => /--num_epochs 4\b/.test((await form.locator('#command-preview').textContent()) ?? ''));
    assert.equal(((await form.locator('.row[data-dest="num_epochs"] .message').textContent()) ?? '').trim(), '');
  });

  await step('Save writes num_epochs 4 and keeps the other keys', async () => {
    await form.locator('vscode-button[data-action="save"]').click();
    let after: typeof before | undefined;
    await until('the file on disk', async () => {
      try {
        after = JSON.parse(readFileSync(configFile, 'utf8')) as typeof before;
      } catch {
        return false;
      }
      return after.options.num_epochs === 4;
    });
    assert.deepEqual(Object.keys(after!), Object.keys(before));
    assert.deepEqual(after!.options, { ...before.options, num_epochs: 4 });
    assert.deepEqual(Object.keys(after!.options), Object.keys(before.options));
  });

  await step('screenshot of the form', async () => {
    mkdirSync(workDir, { recursive: true });
    await p.screenshot({ path: join(workDir, 'options-form.png') });
  });

  await step('Train from the form; the run writes model_last.ckpt', async () => {
    await form.locator('vscode-button[data-action="train"]').click();
    const pane = p.locator('.part.sidebar .pane').filter({ has: p.locator('.pane-header h3.title', { hasText: /^\s*Checkpoints\s*$/i }) });
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    const ckpt = pane.locator('.monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-name', { hasText: /^\s*model_last\.ckpt\s*$/ }) }).first();
    await until('model_last.ckpt in Checkpoints', async () => {
      if (await ckpt.isVisible()) return true;
      const collapsed = pane.locator('.monaco-list-row[role="treeitem"][aria-expanded="false"] .monaco-tl-twistie').first();
      if (await collapsed.isVisible()) await collapsed.click({ timeout: 2000 }).catch(() => undefined);
      return false;
    }, 90_000);
    // Evaluate once the run has ended: the Runs view says "completed".
    await until('the run to complete', async () => (await p.locator('.part.sidebar .label-description', { hasText: /completed/ }).count()) > 0, 90_000);
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

  await step('the evaluation runs and its report opens with the NDS from its metrics_summary.json', async () => {
    const runsDir = join(sb.workspace, 'exp', 'ddd', 'demo', 'runs');
    let summaryFile: string | undefined;
    await until('the evaluation summary on disk', async () => {
      if (!existsSync(runsDir)) return false;
      summaryFile = readdirSync(runsDir).map((id) => join(runsDir, id, 'eval', 'eval', 'metrics_summary.json')).find((f) => existsSync(f));
      return summaryFile !== undefined;
    }, 90_000);
    const expected = (JSON.parse(readFileSync(summaryFile!, 'utf8').replace(/\bNaN\b/g, 'null')) as { nd_score: number }).nd_score.toFixed(4);
    const report = await webviewWith(p, '.card.nds', 60_000);
    await until(`NDS ${expected} in the report`, async () => ((await report.locator('.card.nds .value').textContent()) ?? '').trim() === expected);
  });

  await step('metrics_summary.json (bare NaN) opens in the report with its NDS', async () => {
    // Quick Open through the title bar's command center (keys would go to the focused webview).
    const input = p.locator('.quick-input-widget input');
    await p.locator('.command-center .command-center-center').first().click();
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    const hit = p.locator('.quick-input-widget .monaco-list-row', { hasText: 'reports' }).first();
    await until('metrics_summary.json in Quick Open', async () => {
      if ((await input.inputValue()) !== 'reports/metrics_summary.json') await input.fill('reports/metrics_summary.json');
      return hit.isVisible();
    });
    await hit.click();
    const report = await webviewWith(p, '.card.nds');
    const nds = (await report.locator('.card.nds .value').textContent()) ?? '';
    const expected = (JSON.parse(readFileSync(FIXTURE, 'utf8').replace(/\bNaN\b/g, 'null')) as { nd_score: number }).nd_score;
    assert.equal(nds.trim(), expected.toFixed(4));
    const cone = report.locator('tr[data-class="traffic_cone"]');
    await cone.waitFor({ state: 'visible', timeout: 5000 });
    assert.ok((await cone.locator('.nan').count()) > 0, 'traffic_cone shows "—" for its undefined errors');
    mkdirSync(workDir, { recursive: true });
    await p.screenshot({ path: join(workDir, 'metrics-report.png') });
  });
});
