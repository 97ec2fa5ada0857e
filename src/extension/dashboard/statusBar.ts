/**
 * A status-bar item for the running run(s): epoch, progress of the current phase and ETA of
 * the newest running run (and how many others run); a click opens that run's dashboard.
 * Hidden while nothing runs. Updates are throttled (the store fires on every event).
 */

import * as vscode from 'vscode';
import type { Run, RunStore } from '../runs/runStore';
import { runTitle } from './model';

const THROTTLE_MS = 500;

export function statusText(running: readonly Run[]): { text: string; runId: string; tooltip: string } | undefined {
  const sorted = [...running].sort((a, b) => (b.started ?? '').localeCompare(a.started ?? ''));
  const run = sorted[0];
  if (run === undefined) return undefined;
  const parts = [`$(sync~spin) ${runTitle(run)}`];
  if (run.epoch !== undefined) parts.push(`epoch ${run.epoch}/${run.num_epochs ?? '?'}`);
  const it = run.iter;
  if (it !== undefined && it.num_iters > 0 && it.epoch === run.epoch) {
    parts.push(`${it.phase} ${Math.min(100, Math.round((100 * it.iter) / it.num_iters))}%`);
    if (it.eta_s !== undefined && Number.isFinite(it.eta_s)) parts.push(`ETA ${Math.max(0, Math.round(it.eta_s))}s`);
  }
  if (sorted.length > 1) parts.push(`(+${sorted.length - 1} more)`);
  return { text: parts.join(' · '), runId: run.id, tooltip: `CenterFusion: ${sorted.length} run(s) training. Click to open the dashboard.` };
}

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('centerfusion.runStatus', vscode.StatusBarAlignment.Left, 50);
  private readonly sub: { dispose(): void };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly store: RunStore, private readonly openCommand: string) {
    this.item.name = 'CenterFusion training';
    this.sub = store.onDidChange(() => this.schedule());
    this.update();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, THROTTLE_MS);
  }

  private update(): void {
    const status = statusText(this.store.all().filter((r) => r.status === 'running'));
    if (status === undefined) {
      this.item.hide();
      return;
    }
    this.item.text = status.text;
    this.item.tooltip = status.tooltip;
    this.item.command = { command: this.openCommand, title: 'Open Dashboard', arguments: [status.runId] };
    this.item.show();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.sub.dispose();
    this.item.dispose();
  }
}
