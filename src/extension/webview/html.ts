/**
 * The HTML shell shared by every CenterFusion Studio webview: one bundled script loaded with a
 * fresh nonce under a strict Content-Security-Policy, style sheets from media/, no remote content.
 *
 * Panels should create their webview with `webviewOptions(extensionUri)` so that the page can
 * load only dist/webview/ and media/ (localResourceRoots), nothing else from disk.
 *
 * CSP notes: @vscode-elements/elements (lit) styles its shadow roots with constructable style
 * sheets (adoptedStyleSheets), which style-src does not restrict, so no 'unsafe-inline' is
 * needed. chart.js draws on canvas and sets element sizes through the CSSOM (style.width = …),
 * which CSP does not block either; only `style="…"` attributes in HTML and <style> elements
 * without the nonce are blocked.
 */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { buildWebviewHtml } from './csp';

export interface WebviewHtmlOptions {
  /** The bundle, relative to the extension root: 'dist/webview/<name>.js'. */
  script: string;
  /** The page title (escaped). */
  title: string;
  /** Style sheets relative to the extension root, e.g. 'media/dashboard.css'. */
  styles?: string[];
  /**
   * Initial state for the page, embedded as JSON in
   * <script type="application/json" id="initial-state" nonce="…">; read it with
   * `JSON.parse(document.getElementById('initial-state')?.textContent ?? 'null')`.
   */
  state?: unknown;
}

/** A fresh random nonce (base64, 128 bits). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export { escapeHtml, messageHtml } from './csp';

function resourceUri(webview: vscode.Webview, extensionUri: vscode.Uri, relative: string): string {
  const parts = relative.split('/').filter((p) => p !== '' && p !== '.');
  return webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
}

/** The page of a webview: see csp.ts for the HTML and its policy (checked by cspProblems in the tests). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: WebviewHtmlOptions): string {
  return buildWebviewHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: resourceUri(webview, extensionUri, opts.script),
    styleUris: (opts.styles ?? []).map((s) => resourceUri(webview, extensionUri, s)),
    title: opts.title,
    state: opts.state,
  });
}

/** Webview options: scripts on, local resources only from dist/webview/ and media/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
