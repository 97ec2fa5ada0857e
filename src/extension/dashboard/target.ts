/**
 * What `centerfusion.openDashboard` was asked to open: its arguments come from a run row
 * (`[runId]`), an epoch row (`[runId, epoch]`), the status bar (`[runId]`) or a context menu
 * (a Runs tree node, then the selection). No vscode import (unit-tested).
 */

import type { RunsNode } from '../views/runsTree';

export interface DashboardTarget {
  runId: string;
  /** The epoch to highlight, or null. */
  epoch: number | null;
}

export function dashboardTarget(arg: unknown, second?: unknown): DashboardTarget | undefined {
  if (typeof arg === 'string' && arg !== '') {
    return { runId: arg, epoch: typeof second === 'number' && Number.isInteger(second) ? second : null };
  }
  if (typeof arg === 'object' && arg !== null) {
    const node = arg as Partial<RunsNode> & { runId?: unknown; epoch?: unknown };
    if ((node.kind === 'run' || node.kind === 'epoch') && typeof node.runId === 'string' && node.runId !== '') {
      const epoch = node.kind === 'epoch' && typeof node.epoch === 'number' && Number.isInteger(node.epoch) ? node.epoch : null;
      return { runId: node.runId, epoch };
    }
  }
  return undefined;
}
