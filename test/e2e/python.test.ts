// End to end in a real VS Code (code-server + Debian chromium): a config whose trainer is Python,
// pointing at the fake CenterFusion checkout (test/fixtures/python/fake_centerfusion) copied into
// the sandbox workspace, is trained from the sidebar; the run completes with its epochs 1..3
// (from the print_iter lines and log.txt) in the Runs view and model_last.pth in Checkpoints.
// Before that: a past launch already in exp/ is imported, and a run started outside VS Code
// (python3 main.py in the checkout) appears and completes live through the folder watcher.
// Needs `node test/e2e/setup.mjs`, built bundles (dist/) and python3 on PATH.
// On failure: test/e2e/.work/python-failure.png and python-failure/ (logs, exp/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type * as E2E from '../../scripts/e2e-lib.mjs';
import { expandOne, openPane, rowByLabel, Steps } from './workbench';

const repoRoot = resolve(__dirname, '..', '..', '..');
const workDir = join(repoRoot, 'test', 'e2e', '.work');
const RUN_TIMEOUT_MS = 60_000;
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let lib: typeof E2E;
let sandbox: E2E.Sandbox | undefined;
let server: E2E.CodeServer | undefined;
let context: BrowserContext | undefined;
let page: Page | undefined;
let outside: ChildProcess | undefined;

const steps = new Steps();
const step = steps.step.bind(steps);


before(async () => {
  lib = (await importEsm(pathToFileURL(join(repoRoot, 'scripts', 'e2e-lib.mjs')).href)) as typeof E2E;
  assert.ok(existsSync(join(repoRoot, 'dist', 'extension.js')), 'dist/extension.js missing: run node scripts/build.mjs');
  await lib.ensureCodeServer();
  assert.ok(existsSync(lib.CHROMIUM_PATH), `${lib.CHROMIUM_PATH} missing: run node test/e2e/setup.mjs`);
  assert.ok(lib.which('python3'), 'python3 is not on PATH');
  rmSync(join(workDir, 'python-failure.png'), { force: true });
  rmSync(join(workDir, 'python-failure'), { recursive: true, force: true });
  sandbox = lib.makeSandbox({ prefix: 'cfs-e2e-py-' });
  cpSync(join(repoRoot, 'test', 'fixtures', 'python', 'fake_centerfusion'), join(sandbox.workspace, 'fake_centerfusion'), { recursive: true });
  const config = {
    name: 'python-fake',
    task: 'ddd',
    trainer: { python: '', root: 'fake_centerfusion', script: 'main.py', env: { FAKE_CF_ITER_DELAY: '0.1', FAKE_CF_WORKERS: '1' } },
    options: { exp_id: 'pyfake', num_epochs: 3, val_intervals: 1, run_dataset_eval: true, num_iters: 10 },
  };
  writeFileSync(join(sandbox.workspace, '.centerfusion', 'configs', 'python-fake.json'), `${JSON.stringify(config, null, 2)}\n`);
  // A past launch already on disk (2 of 2 epochs): imported at start.
  const old = join(sandbox.workspace, 'fake_centerfusion', 'exp', 'ddd', 'old', 'logs_2025-01-02-10-00');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'opt.txt'), "==> Cmd:\n['main.py', 'ddd', '--exp_id', 'old']\n==> Opt:\n  exp_id: old\n  num_epochs: 2\n");
  writeFileSync(
    join(old, 'log.txt'),
    '2025-01-02-10-20: epoch: 1 |tot 9.000000 | hm 2.000000 | time 20.000000 | \n2025-01-02-10-40: epoch: 2 |tot 8.000000 | hm 1.900000 | time 20.000000 | tot 8.500000 | hm 2.000000 | time 1.000000 | \n',
  );
});

after(async () => {
  if (steps.failed) {
    mkdirSync(workDir, { recursive: true });
    if (page) await page.screenshot({ path: join(workDir, 'python-failure.png') }).catch(() => undefined);
    if (sandbox) {
      const dest = join(workDir, 'python-failure');
      mkdirSync(dest, { recursive: true });
      if (existsSync(sandbox.logFile)) cpSync(sandbox.logFile, join(dest, 'code-server.log'));
      const logs = join(sandbox.userData, 'logs');
      if (existsSync(logs)) cpSync(logs, join(dest, 'vscode-logs'), { recursive: true });
      const exp = join(sandbox.workspace, 'fake_centerfusion', 'exp');
      if (existsSync(exp)) cpSync(exp, join(dest, 'exp'), { recursive: true });
    }
  }
  const problems: string[] = [];
  if (outside !== undefined && outside.exitCode === null && outside.signalCode === null) outside.kill('SIGKILL');
  if (context) await context.close().catch((e: unknown) => problems.push(`closing the browser: ${String(e)}`));
  if (server) await server.stop().catch((e: unknown) => problems.push(String(e)));
  if (sandbox) {
    let left = lib.processesWith(sandbox.root);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = lib.processesWith(sandbox.root);
    }
    if (left.length > 0) {
      if (!steps.failed) problems.push(`processes left behind:\n${left.map((p) => `  ${p.pid} ${p.cmdline.slice(0, 200)}`).join('\n')}`);
      for (const p of left) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    if (process.env.CFS_KEEP_SANDBOX === '1') console.log(`# sandbox kept: ${sandbox.root}`);
    else lib.removeSandbox(sandbox);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('train a Python config from the sidebar: its run completes with epochs 1..3', { timeout: 300_000 + RUN_TIMEOUT_MS }, async () => {
  const sb = sandbox!;
  await step('install the extension', () => lib.installExtension(sb.extensions, { mode: 'link', workDir: sb.root, env: sb.env }));
  server = await step('start code-server', () =>
    lib.startCodeServer({ userDataDir: sb.userData, extensionsDir: sb.extensions, env: sb.env, logFile: sb.logFile, configFile: sb.config }),
  );
  const p = await step('launch chromium', async () => {
    context = await lib.launchChromium(sb);
    page = context.pages()[0] ?? (await context.newPage());
    return page;
  });
  await step('workbench loaded', async () => {
    await p.goto(server!.folderUrl(sb.workspace), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
  });
  const [configs, runs, checkpoints] = await step('views', async () => [
    await openPane(p, 'Configs'),
    await openPane(p, 'Runs'),
    await openPane(p, 'Checkpoints'),
  ]);
  await step('a past launch found on disk: ddd/old, completed with 2 epochs', async () => {
    await rowByLabel(runs, 'ddd/old').first().waitFor({ state: 'visible', timeout: 30_000 });
    await runs.locator('.label-description', { hasText: /completed · 2 epochs/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
  });
  await step('a run started outside VS Code (ddd/outside) appears and completes its 4 epochs live', async () => {
    outside = spawn('python3', ['main.py', 'ddd', '--exp_id', 'outside', '--num_epochs', '4'], {
      cwd: join(sb.workspace, 'fake_centerfusion', 'src'),
      env: { ...sb.env, FAKE_CF_ITER_DELAY: '0.3' },
      stdio: 'ignore',
    });
    await rowByLabel(runs, 'ddd/outside').first().waitFor({ state: 'visible', timeout: 30_000 });
    await runs.locator('.label-description', { hasText: /running|epoch \d/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await runs.locator('.label-description', { hasText: /completed · 4 epochs/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
  });
  await step('click Train on "python-fake"', async () => {
    const row = rowByLabel(configs, 'python-fake').first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.hover();
    const train = row.locator('.actions a.action-label[aria-label="Train"]');
    await train.waitFor({ state: 'visible', timeout: 10_000 });
    await train.click();
  });
  await step('the run completes with epochs 1..3 in the Runs view', async () => {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const run = runs.locator('.monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-description', { hasText: /completed · 3 epochs/i }) }).first();
      if (await run.isVisible()) {
        if ((await run.getAttribute('aria-expanded').catch(() => null)) === 'false') await run.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => undefined);
        const epochs = await Promise.all([1, 2, 3].map((n) => rowByLabel(runs, `epoch ${n}`).last().isVisible()));
        if (epochs.every(Boolean)) break;
      } else {
        await expandOne(runs, 1, /^epoch /i);
      }
      if (Date.now() > deadline) {
        const text = (await runs.locator('.pane-body').innerText({ timeout: 2000 }).catch(() => '?')).replace(/\s+/g, ' ');
        const toasts = await p.locator('.notifications-toasts .notification-list-item-message').allInnerTexts().catch(() => []);
        throw new Error(`no completed run with epochs 1..3; the Runs view shows: ${text.slice(0, 600)}; notifications: ${toasts.join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  await step('Checkpoints lists model_last.pth', async () => {
    const deadline = Date.now() + 20_000;
    const ckpt = rowByLabel(checkpoints, 'model_last.pth').first();
    while (!(await ckpt.isVisible())) {
      await expandOne(checkpoints, 2, /\.(pth|ckpt)$/i);
      if (Date.now() > deadline) throw new Error('model_last.pth not in the Checkpoints view');
      await new Promise((r) => setTimeout(r, 300));
    }
  });
});
