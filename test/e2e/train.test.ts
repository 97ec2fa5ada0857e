// End to end in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, driven through Debian's
// chromium by playwright-core): open the demo workspace, click Train on the "demo" config, and
// watch the run complete with its epochs and its last checkpoint in the sidebar.
// Needs `node test/e2e/setup.mjs` (npm test runs it) and built bundles (dist/).
// Pictures: test/e2e/.work/train.png on success (for the README); on failure
// test/e2e/.work/train-failure.png and train-failure/ (code-server and VS Code logs, exp/).
// Env: CFS_E2E_TRAIN_TIMEOUT_MS (default 120000); CFS_KEEP_SANDBOX=1 keeps the run folder
// (with <sandbox>/train.png on failure).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type * as E2E from '../../scripts/e2e-lib.mjs';
import { expandOne, openPane, rowByLabel } from './workbench';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/e2e -> repo
const workDir = join(repoRoot, 'test', 'e2e', '.work'); // gitignored; screenshots and failure logs
const TRAIN_TIMEOUT_MS = Number(process.env.CFS_E2E_TRAIN_TIMEOUT_MS || 120_000);

// tsc compiles this file to CommonJS, which would turn `import()` into `require()`; the helper
// library is an ES module (shared with `npm start`), so load it with a real dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let lib: typeof E2E;
let sandbox: E2E.Sandbox | undefined;
let server: E2E.CodeServer | undefined;
let context: BrowserContext | undefined;
let page: Page | undefined;
let failed = false;
const peak = { pss: 0, rss: 0 };
let rssTimer: NodeJS.Timeout | undefined;
const pageErrors: string[] = [];
const t0 = Date.now();
const timings: [string, number][] = [];

function mark(what: string): void {
  timings.push([what, Date.now() - t0]);
  console.log(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);
}

/** One step; its name goes into the failure message so a red run says where it stopped. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    mark(name);
    return r;
  } catch (e) {
    failed = true;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`step "${name}" failed: ${msg}`, { cause: e });
  }
}


/** Texts of the notification toasts on screen (errors from Train show up here). */
async function toasts(p: Page): Promise<string[]> {
  const items = p.locator('.notifications-toasts .notification-list-item-message');
  return (await items.allInnerTexts().catch(() => [] as string[])).map((t) => t.trim()).filter(Boolean);
}

async function saveFailureArtifacts(): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  if (page) await page.screenshot({ path: join(workDir, 'train-failure.png') }).catch(() => undefined);
  if (sandbox) {
    if (page) await page.screenshot({ path: join(sandbox.root, 'train.png') }).catch(() => undefined);
    const dest = join(workDir, 'train-failure');
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    if (existsSync(sandbox.logFile)) cpSync(sandbox.logFile, join(dest, 'code-server.log'));
    const vscodeLogs = join(sandbox.userData, 'logs');
    if (existsSync(vscodeLogs)) cpSync(vscodeLogs, join(dest, 'vscode-logs'), { recursive: true });
    const exp = join(sandbox.workspace, 'exp');
    if (existsSync(exp)) cpSync(exp, join(dest, 'workspace-exp'), { recursive: true });
    writeFileSync(join(dest, 'page-errors.txt'), pageErrors.join('\n'));
    console.log(`# failure artifacts: ${join(workDir, 'train-failure.png')} and ${dest}/`);
  }
}

before(async () => {
  lib = (await importEsm(pathToFileURL(join(repoRoot, 'scripts', 'e2e-lib.mjs')).href)) as typeof E2E;
  assert.ok(existsSync(join(repoRoot, 'dist', 'extension.js')), 'dist/extension.js missing: run node scripts/build.mjs');
  await lib.ensureCodeServer(); // a no-op when setup.mjs already installed it
  assert.ok(existsSync(lib.CHROMIUM_PATH), `${lib.CHROMIUM_PATH} missing: run node test/e2e/setup.mjs`);
  // Failure artifacts always belong to the latest run.
  rmSync(join(workDir, 'train-failure.png'), { force: true });
  rmSync(join(workDir, 'train-failure'), { recursive: true, force: true });
  sandbox = lib.makeSandbox();
  if (sandbox.usedFallbackConfig) console.log('# demo/.centerfusion/configs/demo.json absent: using a built-in demo config');
  const marker = sandbox.root;
  rssTimer = setInterval(() => {
    const m = lib.memoryOf(marker);
    peak.pss = Math.max(peak.pss, m.pss);
    peak.rss = Math.max(peak.rss, m.rss);
  }, 1000);
  rssTimer.unref();
});

after(async () => {
  if (rssTimer) clearInterval(rssTimer);
  if (failed) await saveFailureArtifacts();
  const problems: string[] = [];
  if (context) await context.close().catch((e: unknown) => problems.push(`closing the browser: ${String(e)}`));
  if (server) await server.stop().catch((e: unknown) => problems.push(String(e)));
  if (sandbox) {
    // Every process of the run has the sandbox path in its environment (HOME, TMPDIR, ...).
    const marker = sandbox.root;
    let left = lib.processesWith(marker);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = lib.processesWith(marker);
    }
    if (left.length > 0) {
      // A trainer runs in its own process group on purpose (a run outlives VS Code), so after a
      // failed test one may still be training: end it, and report it only when the test passed.
      const list = left.map((p) => `  ${p.pid} ${p.cmdline.slice(0, 200)}`).join('\n');
      if (failed && left.every((p) => /\bcli\.js train\b/.test(p.cmdline))) console.log(`# ending the trainer of the failed run:\n${list}`);
      else problems.push(`processes left behind:\n${list}`);
      for (const p of left) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    if (process.env.CFS_KEEP_SANDBOX === '1') console.log(`# sandbox kept: ${sandbox.root}`);
    else lib.removeSandbox(sandbox);
  }
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(`# peak memory of code-server + chromium + trainer: PSS ${mib(peak.pss)} (summed RSS ${mib(peak.rss)})`);
  console.log(`# timings: ${timings.map(([w, ms]) => `${w} ${(ms / 1000).toFixed(1)}s`).join(', ')}`);
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('train the demo config in VS Code: run completes with 3 epochs and a last checkpoint', { timeout: TRAIN_TIMEOUT_MS + 180_000 }, async () => {
  const sb = sandbox!;
  await step('install the extension (vsce package + --install-extension)', async () => {
    const r = await lib.installExtension(sb.extensions, { mode: 'vsix', workDir: sb.root, env: sb.env });
    assert.ok(existsSync(join(r.path, 'package.json')), `not installed at ${r.path}`);
  });

  server = await step('start code-server', () => lib.startCodeServer({
    userDataDir: sb.userData,
    extensionsDir: sb.extensions,
    env: sb.env,
    logFile: sb.logFile,
    configFile: sb.config,
  }));

  const p = await step('launch chromium', async () => {
    context = await lib.launchChromium(sb);
    const pg = context.pages()[0] ?? (await context.newPage());
    pg.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page = pg;
    return pg;
  });

  await step('workbench loaded', async () => {
    await p.goto(server!.folderUrl(sb.workspace), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await p.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
  });

  await step('open the CenterFusion container', async () => {
    const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
    await p.locator('.part.sidebar .composite.title h2', { hasText: /CenterFusion/i }).waitFor({ state: 'visible', timeout: 30_000 });
    // A wider sidebar shows the rows' descriptions whole (drag the sash at its right edge).
    const box = await p.locator('.part.sidebar').boundingBox();
    if (box) {
      const y = box.y + box.height / 2;
      await p.mouse.move(box.x + box.width + 1, y);
      await p.mouse.down();
      await p.mouse.move(box.x + 480, y, { steps: 5 });
      await p.mouse.up();
      await p.mouse.move(1000, 450);
    }
  });

  const [configs, runs, checkpoints] = await step('views Configs, Runs, Checkpoints', async () => [
    await openPane(p, 'Configs'),
    await openPane(p, 'Runs'),
    await openPane(p, 'Checkpoints'),
  ]);

  await step('click Train on the "demo" config', async () => {
    const row = rowByLabel(configs, 'demo').first();
    await row.waitFor({ state: 'visible', timeout: 60_000 }); // the extension activates and fills the view
    await row.hover();
    const train = row.locator('.actions a.action-label[aria-label="Train"]');
    await train.waitFor({ state: 'visible', timeout: 10_000 });
    await train.click();
  });

  await step(`run completed with epochs 1..3 (within ${TRAIN_TIMEOUT_MS / 1000} s)`, async () => {
    const started = Date.now();
    const deadline = started + TRAIN_TIMEOUT_MS;
    let sawRunning = false;
    const describe = async (): Promise<string> => {
      const text = (await runs.locator('.pane-body').innerText({ timeout: 2000 }).catch(() => '?')).replace(/\s+/g, ' ');
      const notes = await toasts(p);
      return `the Runs view shows: ${text.slice(0, 600)}${notes.length ? `; notifications: ${notes.join(' | ')}` : ''}`;
    };
    for (;;) {
      const run = runs.locator('.monaco-list-row[role="treeitem"]').filter({
        has: p.locator('.label-description', { hasText: /completed/i }),
      }).first();
      if (!sawRunning && (await runs.locator('.label-description', { hasText: /running|epoch/i }).count()) > 0) {
        sawRunning = true;
        mark('run shown as running');
      }
      if (await run.isVisible()) {
        if ((await run.getAttribute('aria-expanded').catch(() => null)) === 'false') {
          await run.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => undefined);
        }
        const epochs = await Promise.all([1, 2, 3].map((n) => rowByLabel(runs, `epoch ${n}`).first().isVisible()));
        if (epochs.every(Boolean)) break;
      } else {
        await expandOne(runs, 1, /^epoch /i); // runs may be grouped (by config or status)
      }
      // A run that ended badly will not complete: say so now rather than at the deadline.
      const ended = runs.locator('.label-description', { hasText: /\b(failed|stopped|killed)\b/i });
      if ((await ended.count()) > 0 && !(await run.isVisible())) throw new Error(`the run ended without completing; ${await describe()}`);
      // A run row appears as soon as the trainer starts; none after 30 s means Train failed.
      if (Date.now() - started > 30_000 && (await runs.locator('.monaco-list-row[role="treeitem"]').count()) === 0) {
        throw new Error(`no run appeared within 30 s of clicking Train; ${await describe()}`);
      }
      if (Date.now() > deadline) throw new Error(`no completed run with epochs 1..3; ${await describe()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  await step('Checkpoints lists model_last.ckpt', async () => {
    const deadline = Date.now() + 30_000;
    const ckpt = rowByLabel(checkpoints, 'model_last.ckpt').first();
    while (!(await ckpt.isVisible())) {
      await expandOne(checkpoints, 2, /\.ckpt$/i);
      if (Date.now() > deadline) {
        const text = (await checkpoints.locator('.pane-body').innerText({ timeout: 2000 }).catch(() => '?')).replace(/\s+/g, ' ');
        throw new Error(`model_last.ckpt not in the Checkpoints view; it shows: ${text.slice(0, 600)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  await step('screenshot', async () => {
    mkdirSync(workDir, { recursive: true });
    await p.mouse.click(1000, 450); // focus the editor area: no row outline in the picture
    await p.screenshot({ path: join(workDir, 'train.png') });
  });
});
