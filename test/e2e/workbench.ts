/**
 * Pieces every end-to-end scenario uses: named steps that remember a failure (so after() can
 * save a screenshot) and locators for the workbench's sidebar panes and tree rows
 * (selectors verified on VS Code 1.100 in code-server).
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';

export class Steps {
  /** Set once any step has thrown: after() saves failure artifacts then. */
  failed = false;
  private readonly t0 = Date.now();

  /** Runs one named step, logs its elapsed time, and names the step in a failure. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      console.log(`# [${((Date.now() - this.t0) / 1000).toFixed(1)} s] ${name}`);
      return r;
    } catch (e) {
      this.failed = true;
      throw new Error(`step "${name}" failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}

/** A sidebar view pane by its title. */
export function pane(p: Page, title: string): Locator {
  return p.locator('.part.sidebar .pane').filter({
    has: p.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${title}\\s*$`, 'i') }),
  });
}

/** Tree rows of a pane whose label is exactly `label` (case-insensitive). */
export function rowByLabel(scope: Locator, label: string): Locator {
  return scope.locator('.monaco-list-row[role="treeitem"]').filter({
    has: scope.page().locator('.label-name', { hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i') }),
  });
}

/** Polls `probe` until it returns a non-undefined value or `ms` pass; `describe` explains a timeout. */
export async function until<T>(ms: number, probe: () => Promise<T | undefined>, describe: () => Promise<string>, everyMs = 300): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The page inside the newest webview of the extension (VS Code nests it: outer iframe, then #active-frame). */
export function webviewFrame(p: Page, extensionId: string): FrameLocator {
  return p
    .frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`)
    .last()
    .frameLocator('iframe#active-frame');
}

/** Runs a command from the command palette by its full title, e.g. "Developer: Reload Window". */
export async function runCommand(p: Page, title: string): Promise<void> {
  const widget = p.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  const item = widget.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  // F1 toggles: close whatever quick input is open first, then open the palette (a busy
  // workbench may miss the first key press). The palette can also close between opening and
  // typing (a notification or a view taking focus), so opening, typing and finding the entry
  // are retried together, each with a short timeout.
  await until(40_000, async () => {
    if (!(await input.isVisible())) {
      await p.keyboard.press('Escape');
      await p.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 3000 });
    }
    await input.fill(`>${title}`, { timeout: 3000 });
    await item.waitFor({ state: 'visible', timeout: 5000 });
    return true;
  }, async () => `the command palette did not offer "${title}"`);
  await p.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
}

/** Ensures a pane's body is open (a view contributed as collapsed shows only its header). */
export async function openPane(p: Page, title: string): Promise<Locator> {
  const pn = pane(p, title);
  await pn.waitFor({ state: 'visible', timeout: 30_000 });
  const header = pn.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pn;
}

/**
 * Expands the first collapsed row at or above `maxLevel` whose label does not match `skip`;
 * true when it clicked one.
 */
export async function expandOne(scope: Locator, maxLevel: number, skip: RegExp = /^$/): Promise<boolean> {
  const rows = scope.locator('.monaco-list-row[role="treeitem"][aria-expanded="false"]');
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const level = Number((await row.getAttribute('aria-level').catch(() => null)) ?? '99');
    const name = ((await row.locator('.label-name').first().textContent({ timeout: 1000 }).catch(() => '')) ?? '').trim();
    if (level > maxLevel || skip.test(name)) continue;
    // The tree re-renders on every update, so a row can go stale between lookup and click.
    if (await row.locator('.monaco-tl-twistie').click({ timeout: 2000 }).then(() => true, () => false)) return true;
  }
  return false;
}

/** Opens the CenterFusion container from the activity bar (a busy workbench takes its time to answer the click). */
export async function openCenterFusion(p: Page): Promise<void> {
  const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
  await icon.waitFor({ state: 'visible', timeout: 90_000 });
  const title = p.locator('.part.sidebar .composite.title h2', { hasText: /CenterFusion/i });
  await until(120_000, async () => {
    if (await title.isVisible()) return true;
    await icon.click({ timeout: 20_000 });
    await title.waitFor({ state: 'visible', timeout: 10_000 });
    return true;
  }, async () => 'the CenterFusion container did not open');
}
