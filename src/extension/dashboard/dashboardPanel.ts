/**
 * The dashboard panels: one per run, opened from a run row (click or context menu) or the
 * `centerfusion.openDashboard` command, restored after a reload by a WebviewPanelSerializer.
 *
 * Each panel listens to the run store and, throttled, sends the page only what changed
 * (DashboardTracker). Messages from the page are validated; checkpoint actions act only on
 * files that are in the run's own checkpoint list.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseEventLines } from '../../shared/protocol';
import {
  checkDashboardState,
  checkDashboardToHost,
  DASHBOARD_VIEW_TYPE,
  type CheckpointAction,
  type DashboardToHost,
  type HostToDashboard,
} from '../../shared/webview/dashboard';
import { COMMANDS } from '../ids';
import type { Run, RunStore } from '../runs/runStore';
import { checkpointFile } from '../views/format';
import { EVENTS_FILE } from '../runs/runRecord';
import { messageHtml, webviewHtml, webviewOptions } from '../webview/html';
import { registerCompare } from './comparePanel';
import { DashboardTracker, runTitle } from './model';
import { dashboardTarget } from './target';
import { registerResume, RESUME_COMMAND, type ResumeDeps } from './resumeCommand';
import { RunStatusBar } from './statusBar';
import { LeadingThrottle } from './throttle';

export const OPEN_DASHBOARD_COMMAND = COMMANDS.openDashboard;
/**
 * Minimum milliseconds between two deltas to one panel (at most 10 messages a second): a change
 * after a quiet spell goes at once (leading edge), changes within the interval go together at its
 * end, and at most MAX_DELTAS_IN_FLIGHT deltas are on their way (LeadingThrottle; a 100 events/s
 * trainer: ~10 points a message). bench/live.ts measured p95 207-237 ms at 100 ms against
 * 605-914 ms at 50 ms, where delivery to the page backed up (and at 50 ms again after the page
 * became incremental: seconds of queued messages at load 8; at load 1, p95 296-418 ms against
 * 127-156 ms at 100 ms). Pacing by acknowledgement alone (one delta in flight, no window) measured
 * p95 183-186 ms: each message costs code-server's transport more as the rate rises.
 */
export const DASHBOARD_THROTTLE_MS = 100;
/**
 * Deltas posted to a page and not yet answered by the window (postMessage settles after a round
 * trip): past this many a further delta waits, so that a transport that cannot keep up (a loaded
 * machine: bench/live.ts saw 2.5 s of queued messages at load 13) never builds a queue of late
 * messages; the points wait on the host and go together. Four: at 10 messages a second it engages
 * only once 400 ms of messages are unanswered, never on a transport that keeps up.
 */
const MAX_DELTAS_IN_FLIGHT = 4;
/** Read-only test hook (bench/live.ts): a file that gets, per delta with points, when it was posted. */
const LIVE_TRACE = process.env['CFS_LIVE_TRACE'];

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  store: RunStore;
  log: (line: string) => void;
  /** What "Resume from here" needs to start the trainer; without it the action is not offered. */
  resume?: Omit<ResumeDeps, 'store'>;
}

class DashboardPanel implements vscode.Disposable {
  private readonly tracker = new DashboardTracker();
  private readonly disposables: vscode.Disposable[] = [];
  /** The page posted `ready` and has not been torn down since (hiding the panel destroys it). */
  private ready = false;
  /** A snapshot went to the current page: from now on it gets deltas. */
  private snapshotSent = false;
  /** A snapshot is being prepared (reads the events file): changes wait for it. */
  private snapshotting: Promise<void> | undefined;
  private readonly throttle = new LeadingThrottle(DASHBOARD_THROTTLE_MS, () => this.sendDelta(), undefined, MAX_DELTAS_IN_FLIGHT);
  private disposed = false;
  /** Set while the page is ready but the run is not in the store yet (runs load after activation). */
  private awaitingRun = false;
  private awaitTimer: ReturnType<typeof setTimeout> | undefined;
  /** An epoch to highlight, asked for before the page could take it (sent with the next snapshot). */
  private pendingFocus: number | null = null;

  constructor(
    readonly runId: string,
    readonly panel: vscode.WebviewPanel,
    private readonly deps: DashboardDeps,
    private readonly onDispose: () => void,
    focusEpoch: number | null = null,
  ) {
    this.pendingFocus = focusEpoch;
    panel.webview.options = webviewOptions(deps.extensionUri);
    const run = deps.store.get(runId);
    panel.title = run !== undefined ? `Dashboard: ${runTitle(run)}` : 'CenterFusion dashboard';
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'centerfusion.svg');
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, {
      script: 'dist/webview/dashboard.js',
      title: panel.title,
      styles: ['media/dashboard.css'],
      state: { runId, smoothing: 0.6, logScale: false, focusEpoch, tpError: 'ATE' },
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden the page is destroyed while hidden; it posts `ready`
        // again when shown and gets a fresh snapshot. Nothing is sent to a page that is gone.
        if (!panel.visible) {
          this.ready = false;
          this.snapshotSent = false;
          this.throttle.cancel();
        }
      }),
      // Every iteration folded live becomes a chart point (the store keeps only the newest).
      deps.store.onDidFoldIters((id, iters) => {
        if (id === runId) this.tracker.addIters(iters);
      }),
      deps.store.onDidChange((id) => {
        if (id !== runId) return;
        const r = deps.store.get(runId);
        if (r === undefined) return;
        // Iteration points are collected even while the page is hidden (onDidFoldIters above;
        // observe adds the newest iteration of a run fed otherwise, e.g. re-read from disk).
        this.tracker.observe(r);
        this.retitle(r);
        if (!this.ready) return;
        if (!this.snapshotSent) {
          if (this.snapshotting === undefined) void this.sendSnapshot();
          return;
        }
        this.schedule();
      }),
    );
  }

  private retitle(run: Run): void {
    const title = `Dashboard: ${runTitle(run)}`;
    if (this.panel.title !== title) this.panel.title = title;
  }

  reveal(focusEpoch: number | null): void {
    this.panel.reveal();
    if (focusEpoch === null) return;
    if (this.ready && this.snapshotSent) void this.post({ type: 'focus', epoch: focusEpoch });
    else this.pendingFocus = focusEpoch;
  }

  /** Posts to the page; the promise settles once the message was handed over (never rejects). */
  private post(message: HostToDashboard): PromiseLike<unknown> | undefined {
    if (this.disposed) return undefined;
    return this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  private actions(): CheckpointAction[] {
    return ['copyPath', 'reveal', ...(this.available.evaluate ? (['evaluate'] as const) : []), ...(this.available.resume ? (['resume'] as const) : [])];
  }

  private available = { evaluate: false, resume: false };

  private sendSnapshot(): Promise<void> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    this.snapshotting = this.prepareSnapshot()
      .catch((err: unknown) => this.deps.log(`Dashboard ${this.runId}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.snapshotting = undefined;
      });
    return this.snapshotting;
  }

  private async prepareSnapshot(): Promise<void> {
    const all = await vscode.commands.getCommands(true);
    this.available = { evaluate: all.includes(COMMANDS.evaluateCheckpoint), resume: all.includes(RESUME_COMMAND) };
    const run = this.deps.store.get(this.runId);
    if (run === undefined) {
      // Past runs are read after activation: the store's change event sends the snapshot when
      // this one arrives; say so on the page only if it does not come at all.
      if (!this.awaitingRun) {
        this.awaitingRun = true;
        this.awaitTimer = setTimeout(() => {
          if (this.deps.store.get(this.runId) === undefined && !this.disposed) {
            void this.post({ type: 'error', message: `Run ${this.runId} is not known in this window (its folder may have been removed).` });
          }
        }, 15_000);
      }
      return;
    }
    this.awaitingRun = false;
    this.retitle(run);
    await this.seedIterations(run);
    if (!this.ready || this.disposed) return;
    const current = this.deps.store.get(this.runId) ?? run;
    void this.post(this.tracker.snapshot(current, this.actions(), this.pendingFocus));
    this.pendingFocus = null;
    this.snapshotSent = true;
    this.throttle.markSent();
  }

  /**
   * Reads the newest epoch's iteration events back from the run's own events.jsonl, once per
   * epoch: later points come through onDidFoldIters (never throws).
   */
  private async seedIterations(run: Run): Promise<void> {
    if (run.runDir === undefined || !this.tracker.needsSeed(run)) return;
    try {
      const file = path.join(run.runDir, EVENTS_FILE);
      const stat = await fs.stat(file);
      if (stat.size > 64 * 1024 * 1024) return; // too big to read whole; live points still arrive
      const batch = parseEventLines(await fs.readFile(file, 'utf8'));
      this.tracker.seed(run, batch.events);
    } catch {
      // No events file (a run read from CenterFusion's text logs): the chart fills live only.
    }
  }

  private schedule(): void {
    if (!this.ready || !this.snapshotSent || this.disposed) return;
    this.throttle.request();
  }

  /** The throttle's send: what changed since the last message; its promise counts against MAX_DELTAS_IN_FLIGHT. */
  private sendDelta(): PromiseLike<unknown> | undefined {
    const run = this.deps.store.get(this.runId);
    if (run === undefined || !this.ready || !this.snapshotSent || this.disposed) return undefined;
    const delta = this.tracker.delta(run);
    const posted = this.post(delta);
    if (LIVE_TRACE && delta.iters.length > 0) {
      void fs.appendFile(LIVE_TRACE, `${JSON.stringify({ t: Date.now(), iters: delta.iters.map((p) => p.iter) })}\n`).catch(() => undefined);
    }
    return posted;
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = checkDashboardToHost(raw);
    if (!checked.ok) {
      this.deps.log(`Dashboard ${this.runId}: ignored a message from the page: ${checked.reason}`);
      return;
    }
    const message: DashboardToHost = checked.value;
    if (message.type === 'ready') {
      // A (re)loaded page: whatever the previous page had is gone, so it gets a whole snapshot.
      this.ready = true;
      this.snapshotSent = false;
      await this.sendSnapshot();
      return;
    }
    const run = this.deps.store.get(this.runId);
    const checkpoint = run?.checkpoints.find((c) => c.path === message.path);
    if (run === undefined || checkpoint === undefined) {
      this.deps.log(`Dashboard ${this.runId}: ignored ${message.action} on a path that is not one of the run's checkpoints`);
      return;
    }
    const file = checkpointFile(checkpoint, run);
    try {
      switch (message.action) {
        case 'copyPath':
          await vscode.env.clipboard.writeText(file);
          vscode.window.setStatusBarMessage(`Copied ${file}`, 3000);
          break;
        case 'reveal':
          await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
          break;
        case 'evaluate':
          if (this.available.evaluate) await vscode.commands.executeCommand(COMMANDS.evaluateCheckpoint, vscode.Uri.file(file));
          break;
        case 'resume':
          if (this.available.resume) await vscode.commands.executeCommand(RESUME_COMMAND, vscode.Uri.file(file));
          break;
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: ${message.action} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.throttle.dispose();
    if (this.awaitTimer !== undefined) clearTimeout(this.awaitTimer);
    for (const d of this.disposables) d.dispose();
    this.onDispose();
    this.panel.dispose();
  }
}

export class DashboardManager implements vscode.Disposable {
  private readonly panels = new Map<string, DashboardPanel>();

  constructor(private readonly deps: DashboardDeps) {}

  /** Opens (or reveals) the run's dashboard; `focusEpoch` highlights that epoch. */
  open(runId: string, focusEpoch: number | null = null): void {
    const existing = this.panels.get(runId);
    if (existing !== undefined) {
      existing.reveal(focusEpoch);
      return;
    }
    const run = this.deps.store.get(runId);
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      run !== undefined ? `Dashboard: ${runTitle(run)}` : 'CenterFusion dashboard',
      vscode.ViewColumn.Active,
      { ...webviewOptions(this.deps.extensionUri), retainContextWhenHidden: false },
    );
    this.adopt(runId, panel, focusEpoch);
  }

  /** Takes over a panel (a new one, or one VS Code restored after a reload). */
  adopt(runId: string, panel: vscode.WebviewPanel, focusEpoch: number | null = null): void {
    const previous = this.panels.get(runId);
    const p = new DashboardPanel(runId, panel, this.deps, () => {
      if (this.panels.get(runId) === p) this.panels.delete(runId);
    }, focusEpoch);
    // Two restored panels of one run: the newest is the one `open` reveals; both keep working.
    if (previous !== undefined) this.deps.log(`Dashboard ${runId}: a second panel of this run was restored`);
    this.panels.set(runId, p);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
  }
}

async function pickRun(store: RunStore): Promise<string | undefined> {
  const runs: Run[] = store.all().sort((a, b) => (b.started ?? '').localeCompare(a.started ?? ''));
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('CenterFusion: no runs yet. Train a config first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: runTitle(r), description: `${r.status} · ${r.started ?? ''}`, runId: r.id })),
    { placeHolder: 'Run to open in the dashboard' },
  );
  return picked?.runId;
}

/** Registers the dashboard: manager, command and panel serializer. */
export function registerDashboard(deps: DashboardDeps): vscode.Disposable[] {
  const manager = new DashboardManager(deps);
  return [
    manager,
    new RunStatusBar(deps.store, OPEN_DASHBOARD_COMMAND),
    ...registerCompare(deps, COMMANDS.compareRuns),
    ...(deps.resume !== undefined ? [registerResume({ ...deps.resume, store: deps.store })] : []),
    vscode.commands.registerCommand(OPEN_DASHBOARD_COMMAND, async (arg?: unknown, second?: unknown) => {
      const target = dashboardTarget(arg, second);
      if (target !== undefined) {
        manager.open(target.runId, target.epoch);
        return;
      }
      const runId = await pickRun(deps.store);
      if (runId !== undefined) manager.open(runId);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown): Promise<void> => {
        const saved = checkDashboardState(state);
        if (saved === undefined) {
          panel.webview.html = messageHtml('This dashboard could not be restored (no saved run).');
          return;
        }
        manager.adopt(saved.runId, panel);
      },
    }),
  ];
}
