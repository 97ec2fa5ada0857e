/**
 * Colours for charts and canvases, read from VS Code's theme CSS variables (they change with
 * light, dark and high-contrast themes). Canvas drawing cannot use var(--x), so pages read the
 * resolved values here and call `onThemeChange` to redraw when the user switches theme.
 */

/** The resolved value of a CSS custom property on <body>, or `fallback` when it is unset. */
export function cssVar(name: string, fallback = ''): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Distinct series colours, taken from the theme's chart and terminal palettes. */
  series: string[];
  /** True in high-contrast themes (draw thicker lines, no fills). */
  highContrast: boolean;
  /** A highlight colour (focus border) for marks such as a selected epoch. */
  focus: string;
  /** Background of hover boxes (tooltips) on canvases. */
  hoverBackground: string;
}

const SERIES_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
  '--vscode-terminal-ansiCyan',
  '--vscode-terminal-ansiMagenta',
  '--vscode-terminal-ansiBrightBlue',
  '--vscode-terminal-ansiBrightGreen',
];

export function chartTheme(): ChartTheme {
  const foreground = cssVar('--vscode-foreground', cssVar('--vscode-editor-foreground'));
  const series = SERIES_VARS.map((v) => cssVar(v)).filter((c) => c !== '');
  const cls = document.body.classList;
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', cssVar('--vscode-widget-border', foreground))),
    background: cssVar('--vscode-editor-background'),
    fontFamily: cssVar('--vscode-font-family'),
    fontSize: Number.parseFloat(cssVar('--vscode-font-size', '13')) || 13,
    series: series.length > 0 ? series : [foreground],
    highContrast: cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light'),
    focus: cssVar('--vscode-focusBorder', foreground),
    hoverBackground: cssVar('--vscode-editorHoverWidget-background', cssVar('--vscode-editorWidget-background', cssVar('--vscode-editor-background'))),
  };
}

/** Series colour number `i` (wraps around the palette). */
export function seriesColor(theme: ChartTheme, i: number): string {
  return theme.series[((i % theme.series.length) + theme.series.length) % theme.series.length] ?? theme.foreground;
}

/**
 * Calls `listener` when VS Code switches theme (it rewrites <body>'s class and style).
 * Returns a function that stops listening.
 */
export function onThemeChange(listener: () => void): () => void {
  const observer = new MutationObserver(() => listener());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  return () => observer.disconnect();
}
