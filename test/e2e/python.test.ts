// End to end in a real VS Code (code-server + Debian chromium): a config whose trainer is Python,
// pointing at the fake CenterFusion checkout (test/fixtures/python/fake_centerfusion) copied into
// the sandbox workspace, is trained from the sidebar; the run completes with its epochs 1..3
// (from the print_iter lines and log.txt) in the Runs view and model_last.pth in Checkpoints.
// Before that: a past launch already in exp/ is imported, and a run started outside VS Code
// (python3 main.py in the checkout) appears and completes live through the folder watcher.
// Needs `node test/e2e/setup.mjs`, built bundles (dist/) and python3 on PATH.
// On failure: test/e2e/.work/python-failure.png and python-failure/ (logs, exp/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandOne, openCenterFusion, openPane, rowByLabel } from './workbench';
import { repoRoot, scenario } from './scenario';

const RUN_TIMEOUT_MS = 60_000;
let outside: ChildProcess | undefined;

const get = scenario('python', {
  keepOnFailure: ['fake_centerfusion/exp'],
  cleanup: () => {
    if (outside !== undefined && outside.exitCode === null && outside.signalCode === null) outside.kill('SIGKILL');
  },
  prepare: (ws) => {
    cpSync(join(repoRoot, 'test', 'fixtures', 'python', 'fake_centerfusion'), join(ws, 'fake_centerfusion'), { recursive: true });
    const config = {
      name: 'python-fake',
      task: 'ddd',
      trainer: { python: '', root: 'fake_centerfusion', script: 'main.py', env: { FAKE_CF_ITER_DELAY: '0.1', FAKE_CF_WORKERS: '1' } },
      options: { exp_id: 'pyfake', num_epochs: 3, val_intervals: 1, run_dataset_eval: true, num_iters: 10 },
    };
    writeFileSync(join(ws, '.centerfusion', 'configs', 'python-fake.json'), `${JSON.stringify(config, null, 2)}\n`);
    // A past launch already on disk (2 of 2 epochs): imported at start.
    const old = join(ws, 'fake_centerfusion', 'exp', 'ddd', 'old', 'logs_2025-01-02-10-00');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, 'opt.txt'), "==> Cmd:\n['main.py', 'ddd', '--exp_id', 'old']\n==> Opt:\n  exp_id: old\n  num_epochs: 2\n");
    writeFileSync(
      join(old, 'log.txt'),
      '2025-01-02-10-20: epoch: 1 |tot 9.000000 | hm 2.000000 | time 20.000000 | \n2025-01-02-10-40: epoch: 2 |tot 8.000000 | hm 1.900000 | time 20.000000 | tot 8.500000 | hm 2.000000 | time 1.000000 | \n',
    );
  },
});

test('train a Python config from the sidebar: its run completes with epochs 1..3', { timeout: 300_000 + RUN_TIMEOUT_MS }, async () => {
  const s = get();
  const { step } = s;
  const sb = s.sandbox;
  assert.ok(s.lib.which('python3'), 'python3 is not on PATH');
  const p = await s.open();
  await step('the CenterFusion container', () => openCenterFusion(p));
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
