/**
 * The comparison panel: several runs' curves overlaid, the options that differ between them and
 * their best metrics. Opened by `centerfusion.compareRuns` (multi-select in the Runs tree, or a
 * quick pick), restored after a reload by a serializer. The runs are small summaries (epochs
 * only), so each update re-sends the whole comparison, throttled.
 */

import * as vscode from 'vscode';
import {
  checkCompareState,
  checkCompareToHost,
  COMPARE_VIEW_TYPE,
  differingOptions,
  type CompareMessage,
  type HostToCompare,
} from '../../shared/webview/dashboard';
import type { Run, RunStore } from '../runs/runStore';
import { messageHtml, webviewHtml, webviewOptions } from '../webview/html';
import { epochPoints, headerOf, runTitle } from './model';

/** Options that differ between any two runs without meaning anything (paths, ids, times). */
const IGNORED_OPTIONS = ['save_dir', 'debug_dir', 'exp_dir', 'root_dir', 'data_dir', 'log_dir', 'run_id', 'load_model'];
const THROTTLE_MS = 500;

export function compareMessage(runs: readonly Run[]): CompareMessage {
  return {
    type: 'compare',
    runs: runs.map((r) => ({ header: headerOf(r), epochs: epochPoints(r) })),
    differing: differingOptions(runs.map((r) => r.opts), IGNORED_OPTIONS),
  };
}

export interface CompareDeps {
  extensionUri: vscode.Uri;
  store: RunStore;
  log: (line: string) => void;
}

function attach(panel: vscode.WebviewPanel, runIds: string[], deps: CompareDeps): void {
  panel.webview.options = webviewOptions(deps.extensionUri);
  panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, {
    script: 'dist/webview/dashboard.js',
    title: panel.title,
    styles: ['media/dashboard.css'],
    state: { runIds, logScale: false },
  });
  let ready = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (): void => {
    const runs = runIds.map((id) => deps.store.get(id)).filter((r): r is Run => r !== undefined);
    const message: HostToCompare = runs.length > 0 ? compareMessage(runs) : { type: 'error', message: 'None of these runs is known in this window yet.' };
    void panel.webview.postMessage(message).then(undefined, () => undefined);
  };
  const subs = [
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const checked = checkCompareToHost(raw);
      if (!checked.ok) {
        deps.log(`Compare: ignored a message from the page: ${checked.reason}`);
        return;
      }
      ready = true;
      send();
    }),
    deps.store.onDidChange((id) => {
      if (!ready || !runIds.includes(id) || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        send();
      }, THROTTLE_MS);
    }),
  ];
  panel.onDidDispose(() => {
    if (timer !== undefined) clearTimeout(timer);
    for (const s of subs) s.dispose();
  });
}

function runIdsOf(args: unknown[]): string[] {
  const ids: string[] = [];
  const add = (x: unknown): void => {
    if (typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'run') {
      const id = (x as { runId?: unknown }).runId;
      if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
    }
  };
  for (const a of args) {
    if (Array.isArray(a)) a.forEach(add);
    else add(a);
  }
  return ids;
}

export function registerCompare(deps: CompareDeps, commandId: string): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(commandId, async (...args: unknown[]) => {
      let ids = runIdsOf(args);
      if (ids.length < 2) {
        const runs = deps.store.all().sort((a, b) => (b.started ?? '').localeCompare(a.started ?? ''));
        if (runs.length < 2) {
          void vscode.window.showInformationMessage('CenterFusion: comparing needs at least two runs.');
          return;
        }
        const picked = await vscode.window.showQuickPick(
          runs.map((r) => ({ label: runTitle(r), description: `${r.status} · ${r.started ?? ''}`, picked: ids.includes(r.id), runId: r.id })),
          { canPickMany: true, placeHolder: 'Runs to compare (two or more)' },
        );
        if (picked === undefined) return;
        ids = picked.map((p) => p.runId);
        if (ids.length < 2) {
          void vscode.window.showInformationMessage('CenterFusion: pick at least two runs to compare.');
          return;
        }
      }
      const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare ${ids.length} runs`, vscode.ViewColumn.Active, webviewOptions(deps.extensionUri));
      attach(panel, ids, deps);
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown): Promise<void> => {
        const saved = checkCompareState(state);
        if (saved === undefined) {
          panel.webview.html = messageHtml('This comparison could not be restored (no saved runs).');
          return;
        }
        attach(panel, saved.runIds, deps);
      },
    }),
  ];
}
