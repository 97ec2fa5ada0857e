/**
 * Pieces every end-to-end scenario uses: named steps that remember a failure (so after() can
 * save a screenshot) and locators for the workbench's sidebar panes and tree rows
 * (selectors verified on VS Code 1.100 in code-server).
 */
import type { Locator, Page } from 'playwright-core';

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
