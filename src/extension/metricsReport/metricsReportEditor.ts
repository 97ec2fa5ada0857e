/**
 * The metrics report: a read-only custom editor for metrics_summary.json (the default editor for
 * files of that name, "Open With" for any other JSON file). It reads the file (bare NaN allowed)
 * and metrics_details.json beside it, sends the report model to the webview, and sends it again
 * whenever either file changes. A malformed or truncated file shows a message in the editor.
 */

import * as vscode from 'vscode';
import { buildReportModel, isReportToHost, type HostToReport } from '../../shared/webview/metricsReport';
import { webviewHtml, webviewOptions } from '../webview/html';

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
  constructor(private readonly extensionUri: vscode.Uri) {}

  static register(extensionUri: vscode.Uri): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(METRICS_REPORT_VIEW_TYPE, new MetricsReportProvider(extensionUri), {
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

    const send = async (): Promise<void> => {
      const mine = ++generation;
      const message = await loadReport(document.uri);
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
        }
      }),
    );
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
    });
  }
}
