/**
 * The HTML and Content-Security-Policy of every CenterFusion Studio webview, without vscode
 * (unit-tested): html.ts fills in the webview's URIs. `cspProblems` states the policy as a check
 * that the tests run on every page the extension can produce (docs/reliability.md).
 */

export interface HtmlParts {
  /** The webview's cspSource (its own resource origin). */
  cspSource: string;
  /** A fresh nonce for this page. */
  nonce: string;
  /** URI of the one bundled script. */
  scriptUri: string;
  styleUris: string[];
  title: string;
  /** Initial state, embedded as JSON in a nonce'd application/json script element. */
  state?: unknown;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe to put inside a <script> element (no "</script>", no HTML comment openers). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? null)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The policy: nothing by default; scripts only with the nonce; styles, images, fonts from the extension. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function buildWebviewHtml(parts: HtmlParts): string {
  const { nonce } = parts;
  const styles = parts.styleUris.map((uri) => `<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(uri)}">`).join('\n');
  const state = parts.state === undefined ? '' : `<script type="application/json" id="initial-state" nonce="${nonce}">${scriptJson(parts.state)}</script>\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(parts.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(parts.title)}</title>
${styles}
</head>
<body>
<div id="root"></div>
${state}<script nonce="${nonce}" src="${escapeHtml(parts.scriptUri)}"></script>
</body>
</html>`;
}

/** A page that only says something (no script at all), e.g. a panel that could not be restored. */
export function messageHtml(message: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
</head>
<body><p>${escapeHtml(message)}</p></body>
</html>`;
}

/**
 * What is wrong with a page's security, as a list (empty when none): a CSP meta element with
 * default-src 'none'; script-src only by nonce (no 'unsafe-inline', 'unsafe-eval', hosts or
 * wildcards); every <script> carrying that nonce; no http(s) or protocol-relative URL anywhere
 * (no remote content; `local` names the webview's own origin, which is allowed); no inline event handlers or javascript: URLs; no style="" attributes.
 */
export function cspProblems(html: string, local: { cspSource?: string; resourcePrefix?: string } = {}): string[] {
  const problems: string[] = [];
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*>/i.exec(html);
  if (meta === null) return ['no Content-Security-Policy meta element'];
  const directives = new Map<string, string[]>();
  for (const part of meta[1].split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  const def = directives.get('default-src');
  if (def === undefined || def.join(' ') !== "'none'") problems.push(`default-src is ${JSON.stringify(def?.join(' '))}, not 'none'`);
  const scriptSrc = directives.get('script-src');
  let nonce: string | undefined;
  if (scriptSrc !== undefined) {
    for (const source of scriptSrc) {
      const m = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(source);
      if (m) nonce = m[1];
      else problems.push(`script-src allows ${source}`);
    }
    if (nonce === undefined) problems.push('script-src has no nonce');
  }
  for (const [name, values] of directives) {
    for (const value of values) {
      if (value === local.cspSource) continue; // the webview's own resource origin
      if (/^'unsafe-(inline|eval|hashes)'$/.test(value) || value === '*' || /^(https?:|\/\/|wss?:)/i.test(value)) {
        problems.push(`${name} allows ${value}`);
      }
    }
  }
  const scripts = html.match(/<script\b[^>]*>/gi) ?? [];
  if (scripts.length > 0 && scriptSrc === undefined) problems.push('scripts on a page without script-src');
  for (const tag of scripts) {
    if (nonce === undefined || !tag.includes(`nonce="${nonce}"`)) problems.push(`script without the page's nonce: ${tag}`);
  }
  for (const m of html.matchAll(/(?:src|href)\s*=\s*"([^"]*)"/gi)) {
    const url = m[1];
    const own = local.resourcePrefix !== undefined && url.startsWith(local.resourcePrefix);
    if (!own && /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(url)) problems.push(`remote content: ${url}`);
  }
  if (/\son[a-z]+\s*=/i.test(html)) problems.push('an inline event handler attribute (on...=)');
  if (/javascript:/i.test(html)) problems.push('a javascript: URL');
  if (/\sstyle\s*=\s*"/i.test(html)) problems.push('a style="" attribute');
  return problems;
}
