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

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe to put inside a <script> element (no "</script>", no HTML comment openers). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? null)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function resourceUri(webview: vscode.Webview, extensionUri: vscode.Uri, relative: string): string {
  const parts = relative.split('/').filter((p) => p !== '' && p !== '.');
  return webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: WebviewHtmlOptions): string {
  const nonce = makeNonce();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const styles = (opts.styles ?? [])
    .map((s) => `<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(resourceUri(webview, extensionUri, s))}">`)
    .join('\n');
  const state = opts.state === undefined ? '' : `<script type="application/json" id="initial-state" nonce="${nonce}">${scriptJson(opts.state)}</script>\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(opts.title)}</title>
${styles}
</head>
<body>
<div id="root"></div>
${state}<script nonce="${nonce}" src="${escapeHtml(resourceUri(webview, extensionUri, opts.script))}"></script>
</body>
</html>`;
}

/** Webview options: scripts on, local resources only from dist/webview/ and media/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
