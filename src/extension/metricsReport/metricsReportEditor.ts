/**
 * The metrics report: a read-only custom editor for metrics_summary.json (the default editor for
 * files of that name, "Open With" for any other JSON file). It reads the file (bare NaN allowed)
 * and metrics_details.json beside it, sends the report model to the webview, and sends it again
 * whenever either file changes. A malformed or truncated file shows a message in the editor.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildReportModel, isReportToHost, type Comparison, type HostToReport } from '../../shared/webview/metricsReport';
import { COMMANDS } from '../ids';
import type { Run } from '../runs/runStore';
import { webviewHtml, webviewOptions } from '../webview/html';
import { runLinkOf, type RunLink } from './runLink';

/** What the report needs of the run store: the runs, to link a file back to its run. */
export interface KnownRuns {
  all(): Run[];
  /** Runs are read after activation: a report opened before gets its link when they arrive. */
  onDidChange?(listener: (runId: string) => void): { dispose(): void };
}

export const METRICS_REPORT_VIEW_TYPE = 'centerfusion.metricsReport';
/** How long to wait after a change before reading again (writers replace files in steps). */
const RELOAD_DELAY_MS = 150;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

function basename(uri: vscode.Uri): string {
  const parts = uri.path.split('/');
  return parts[parts.length - 1] ?? uri.path;
}

/** Reads a second summary for "Compare With…". Never throws. */
export async function loadComparison(uri: vscode.Uri): Promise<Comparison> {
  const loaded = await loadReport(uri);
  const shown = uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri, true) : uri.toString();
  return loaded.type === 'report'
    ? { fileName: loaded.fileName, path: shown, model: loaded.model }
    : { fileName: loaded.fileName, path: shown, error: loaded.message };
}

/** Other summaries of the workspace to compare with: run evaluations, per-epoch copies, CenterFusion's own. */
async function pickComparison(current: vscode.Uri): Promise<vscode.Uri | undefined> {
  const found = [
    ...(await vscode.workspace.findFiles('**/metrics_summary.json', '**/node_modules/**', 500)),
    ...(await vscode.workspace.findFiles('**/.centerfusion-studio/metrics/**/epoch_*.json', '**/node_modules/**', 500)),
  ].filter((u) => u.toString() !== current.toString());
  const browse = { label: '$(folder-opened) Browse…', uri: undefined as vscode.Uri | undefined };
  const items = [
    ...found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri, false), description: path.basename(path.dirname(uri.fsPath)), uri: uri as vscode.Uri | undefined })),
    browse,
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'metrics_summary.json to compare with', matchOnDescription: true });
  if (picked === undefined) return undefined;
  if (picked.uri !== undefined) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'nuScenes metrics summary': ['json'] }, title: 'Compare With…' });
  return chosen?.[0];
}

/** Reads the summary (and details) and builds the message for the webview. Never throws. */
export async function loadReport(uri: vscode.Uri): Promise<HostToReport> {
  const fileName = basename(uri);
  const summary = await readText(uri);
  if (summary === undefined) return { type: 'error', fileName, message: `Cannot read ${uri.fsPath}: the file is missing or unreadable.` };
  if (summary.trim() === '') return { type: 'error', fileName, message: `${fileName} is empty (an evaluation may still be writing it).` };
  const details = await readText(vscode.Uri.joinPath(uri, '..', 'metrics_details.json'));
  try {
    return { type: 'report', fileName, model: buildReportModel(summary, details) };
  } catch (err) {
    return { type: 'error', fileName, message: `${fileName} is not a readable nuScenes metrics summary: ${messageOf(err)}` };
  }
}

export class MetricsReportProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs?: KnownRuns,
  ) {}

  /** `runs` (the run store) lets the report link back to the run and epoch a file belongs to. */
  static register(extensionUri: vscode.Uri, runs?: KnownRuns): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(METRICS_REPORT_VIEW_TYPE, new MetricsReportProvider(extensionUri, runs), {
      supportsMultipleEditorsPerDocument: true,
    });
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = webviewOptions(this.extensionUri);
    webview.html = webviewHtml(webview, this.extensionUri, { script: 'dist/webview/metrics-report.js', title: 'Metrics Report', styles: ['media/metrics-report.css'] });
    const disposables: vscode.Disposable[] = [];
    let ready = false;
    let timer: NodeJS.Timeout | undefined;
    let generation = 0;
    let link: RunLink | undefined;
    let compareUri: vscode.Uri | undefined;
    let compareWatcher: vscode.Disposable[] = [];

    const send = async (): Promise<void> => {
      const mine = ++generation;
      const message = await loadReport(document.uri);
      if (message.type === 'report') {
        link = document.uri.scheme === 'file' && this.runs !== undefined ? runLinkOf(document.uri.fsPath, this.runs.all()) : undefined;
        if (link !== undefined) message.run = { label: link.label };
        if (compareUri !== undefined) message.compare = await loadComparison(compareUri);
      }
      if (mine !== generation || !ready) return; // a newer read is under way, or the panel is gone
      void webview.postMessage(message);
    };
    const later = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => void send(), RELOAD_DELAY_MS);
    };

    disposables.push(
      webview.onDidReceiveMessage((msg: unknown) => {
        if (!isReportToHost(msg)) return; // ignore anything outside the contract
        if (msg.type === 'ready') {
          ready = true;
          void send();
        } else if (msg.type === 'openDetails') {
          void vscode.commands.executeCommand('vscode.open', vscode.Uri.joinPath(document.uri, '..', 'metrics_details.json'));
        } else if (msg.type === 'openRun') {
          // The run the host worked out itself; the page only asks.
          if (link !== undefined) void vscode.commands.executeCommand(COMMANDS.openDashboard, link.runId, link.epoch ?? undefined);
        } else if (msg.type === 'compare') {
          void pickComparison(document.uri).then((uri) => {
            if (uri === undefined) return;
            compareUri = uri;
            for (const d of compareWatcher) d.dispose();
            compareWatcher = [];
            if (uri.scheme === 'file') {
              const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri)));
              compareWatcher.push(w, w.onDidChange(later), w.onDidCreate(later), w.onDidDelete(later));
            }
            void send();
          });
        } else if (msg.type === 'clearCompare') {
          compareUri = undefined;
          for (const d of compareWatcher) d.dispose();
          compareWatcher = [];
          void send();
        }
      }),
    );
    const runs = this.runs;
    const subscribe = runs?.onDidChange?.bind(runs);
    if (document.uri.scheme === 'file' && runs !== undefined && subscribe !== undefined) {
      const fsPath = document.uri.fsPath;
      disposables.push(
        subscribe(() => {
          if (!ready) return;
          const now = runLinkOf(fsPath, runs.all());
          if (now?.label !== link?.label || now?.runId !== link?.runId) later();
        }),
      );
    }
    if (document.uri.scheme === 'file') {
      const dir = vscode.Uri.joinPath(document.uri, '..');
      const pattern = new vscode.RelativePattern(dir, `{${basename(document.uri)},metrics_details.json}`);
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      disposables.push(watcher, watcher.onDidChange(later), watcher.onDidCreate(later), watcher.onDidDelete(later));
    }
    panel.onDidDispose(() => {
      if (timer !== undefined) clearTimeout(timer);
      ready = false;
      for (const d of disposables) d.dispose();
      for (const d of compareWatcher) d.dispose();
    });
  }
}
