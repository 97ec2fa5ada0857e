// End to end in a real VS Code (code-server + Debian chromium): VS Code reloaded while a run
// trains. Train a longer copy of the demo config ("reload": 15 epochs); once it is in its second
// epoch, run "Developer: Reload Window". The trainer must outlive the old extension host (its
// stdout/stderr go to files, not pipes), the new window must show the run still running
// (reattached: its epoch count keeps moving) and then completed with epochs 1..15, and run.json
// must say completed.
// Needs `node test/e2e/setup.mjs` and built bundles (dist/).
// On failure: test/e2e/.work/reattach-failure.png and reattach-failure/ (logs, exp/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type * as E2E from '../../scripts/e2e-lib.mjs';
import { expandOne, openPane, rowByLabel } from './workbench';
import { scenario } from './scenario';

const EPOCHS = 15;
const RUN_TIMEOUT_MS = Number(process.env.CFS_E2E_TRAIN_TIMEOUT_MS || 180_000);

const get = scenario('reattach', {
  keepOnFailure: ['exp'],
  prepare: (ws) => {
    const demo = JSON.parse(readFileSync(join(ws, '.centerfusion', 'configs', 'demo.json'), 'utf8')) as { options: Record<string, unknown> };
    const config = { name: 'reload', task: 'ddd', trainer: 'builtin', options: { ...demo.options, exp_id: 'reload', num_epochs: EPOCHS, save_point: String(EPOCHS) } };
    writeFileSync(join(ws, '.centerfusion', 'configs', 'reload.json'), `${JSON.stringify(config, null, 2)}\n`);
  },
});

/** Opens the CenterFusion container (after a reload too) and returns its Runs pane. */
async function runsPane(p: Page): Promise<Locator> {
  await p.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
  const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
  await icon.waitFor({ state: 'visible', timeout: 60_000 });
  const title = p.locator('.part.sidebar .composite.title h2', { hasText: /CenterFusion/i });
  // After a reload the workbench restores its last sidebar view on its own, a moment later; a
  // click on the icon of a view that is already active hides the sidebar again. So: click only
  // when the title has stayed hidden for a while, and check again after each click.
  const deadline = Date.now() + 60_000;
  while (!(await title.waitFor({ state: 'visible', timeout: 4000 }).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error('the CenterFusion container did not open after the reload');
    await icon.click({ timeout: 5000 }).catch(() => undefined);
  }
  return openPane(p, 'Runs');
}

async function describeRuns(runs: Locator): Promise<string> {
  const text = (await runs.locator('.pane-body').innerText({ timeout: 2000 }).catch(() => '?')).replace(/\s+/g, ' ');
  const notes = await runs.page().locator('.notifications-toasts .notification-list-item-message').allInnerTexts().catch(() => [] as string[]);
  return `the Runs view shows: ${text.slice(0, 600)}${notes.length ? `; notifications: ${notes.join(' | ')}` : ''}`;
}

/** The epoch a running row of the "reload" run shows (`epoch N/5`), or undefined. */
async function runningEpoch(runs: Locator): Promise<number | undefined> {
  const texts = await runs.locator('.label-description').allInnerTexts().catch(() => [] as string[]);
  for (const t of texts) {
    const m = new RegExp(`epoch (\\d+)/${EPOCHS}`).exec(t);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The one run folder of the "reload" config: exp/ddd/reload/runs/<id>. */
function runDir(sb: E2E.Sandbox): string | undefined {
  const runsDir = join(sb.workspace, 'exp', 'ddd', 'reload', 'runs');
  if (!existsSync(runsDir)) return undefined;
  const ids = readdirSync(runsDir);
  return ids.length === 1 ? join(runsDir, ids[0]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A trainer whose first extension host is gone is reparented; until its new parent reaps it,
  // an ended trainer is a zombie that kill(pid, 0) still finds.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits up to `ms` for the process to end (run.json is written just before the trainer exits). */
async function endsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

test('VS Code reloaded while a run trains: the run is reattached and completes with all its epochs', { timeout: 150_000 + RUN_TIMEOUT_MS }, async () => {
  const s = get();
  const { step } = s;
  const sb = s.sandbox;
  const p = await s.open();
  let runs = await step('Runs view', () => runsPane(p));
  await step('click Train on "reload"', async () => {
    const configs = await openPane(p, 'Configs');
    const row = rowByLabel(configs, 'reload').first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.hover();
    const train = row.locator('.actions a.action-label[aria-label="Train"]');
    await train.waitFor({ state: 'visible', timeout: 10_000 });
    await train.click();
  });
  const before = await step('the run reaches its second epoch', async () => {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const epoch = await runningEpoch(runs);
      if (epoch !== undefined && epoch >= 2) return epoch;
      if (epoch === undefined) await expandOne(runs, 1, /^epoch /i);
      if ((await runs.locator('.label-description', { hasText: /\b(completed|failed|stopped|killed)\b/ }).count()) > 0) {
        throw new Error(`the run ended before the reload; ${await describeRuns(runs)}`);
      }
      if (Date.now() > deadline) throw new Error(`no run in its second epoch; ${await describeRuns(runs)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  });
  const pid = await step('its process.json names the trainer', async () => {
    const dir = runDir(sb);
    assert.ok(dir, 'one run folder under exp/ddd/reload/runs');
    const record = JSON.parse(readFileSync(join(dir, 'process.json'), 'utf8')) as { pid: number };
    assert.ok(alive(record.pid), `trainer ${record.pid} alive`);
    assert.ok(existsSync(join(dir, 'stdout.log')) && existsSync(join(dir, 'stderr.log')));
    return record.pid;
  });
  await step('Developer: Reload Window', async () => {
    await p.locator('.monaco-workbench').click({ position: { x: 900, y: 400 } }).catch(() => undefined);
    await p.keyboard.press('F1');
    const input = p.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Developer: Reload Window');
    await p.locator('.quick-input-list .monaco-list-row', { hasText: /Reload Window/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await p.keyboard.press('Enter');
    // The old workbench goes away: wait until the sidebar is rebuilt.
    await p.waitForEvent('framenavigated', { timeout: 30_000 }).catch(() => undefined);
  });
  runs = await step('after the reload: the Runs view', () => runsPane(p));
  await step('the trainer outlived the old extension host', async () => {
    assert.ok(alive(pid), `trainer ${pid} still running after the reload`);
  });
  await step('the run is shown running again (reattached) and its epoch moves on', async () => {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    let first: number | undefined;
    for (;;) {
      const epoch = await runningEpoch(runs);
      if (epoch !== undefined) {
        first ??= epoch;
        if (epoch > first) return;
      } else {
        await expandOne(runs, 1, /^epoch /i);
      }
      if ((await runs.locator('.label-description', { hasText: /\b(failed|stopped|killed)\b/ }).count()) > 0) {
        throw new Error(`the run ended badly after the reload; ${await describeRuns(runs)}`);
      }
      // The last epoch may have ended before the new window looked: completed is fine too.
      if (first === undefined && (await runs.locator('.label-description', { hasText: new RegExp(`completed · ${EPOCHS} epochs`) }).count()) > 0) return;
      if (Date.now() > deadline) throw new Error(`the run did not show as running after the reload (epoch before: ${before}); ${await describeRuns(runs)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  });
  await step(`then completed with epochs 1..${EPOCHS}`, async () => {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const run = runs
        .locator('.monaco-list-row[role="treeitem"]')
        .filter({ has: p.locator('.label-description', { hasText: new RegExp(`completed · ${EPOCHS} epochs`) }) })
        .first();
      if (await run.isVisible()) {
        if ((await run.getAttribute('aria-expanded').catch(() => null)) === 'false') await run.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => undefined);
        // "completed · N epochs" counts the epochs the store holds as done; the rows of the first
        // ones are on screen (the list only renders what fits).
        if (await rowByLabel(runs, 'epoch 1').last().isVisible()) break;
      } else {
        await expandOne(runs, 1, /^epoch /i);
      }
      if ((await runs.locator('.label-description', { hasText: /\b(failed|stopped|killed)\b/ }).count()) > 0) {
        throw new Error(`the run ended badly; ${await describeRuns(runs)}`);
      }
      if (Date.now() > deadline) throw new Error(`no completed run with ${EPOCHS} epochs; ${await describeRuns(runs)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const dir = runDir(sb)!;
    assert.equal((JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string }).status, 'completed');
    const ends = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"epoch_end"')).length;
    assert.equal(ends, EPOCHS, 'every epoch in events.jsonl');
    assert.ok(await endsWithin(pid, 20_000), 'the trainer has ended within 20 s of its completed run.json');
  });
});
