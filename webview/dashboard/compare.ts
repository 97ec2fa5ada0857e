/**
 * The comparison page: several runs' curves overlaid (one colour per run), the options that
 * differ between them, and their best metrics. The host re-sends the whole comparison on
 * change (it is small: epochs only); every message is validated.
 */

import { Chart, registerables, type ChartDataset, type ScatterDataPoint } from 'chart.js';
import {
  checkCompareState,
  checkHostToCompare,
  type CompareMessage,
  type CompareState,
  type CompareToHost,
  type EpochPoint,
  type Num,
} from '../../src/shared/webview/dashboard';
import { chartTheme, onThemeChange, seriesColor } from '../common/theme';
import { vscodeApi } from '../common/vscodeApi';

/** The run ids embedded by the host, when the page is a comparison. */
export function initialCompareState(): CompareState | undefined {
  try {
    return checkCompareState(JSON.parse(document.getElementById('initial-state')?.textContent ?? 'null'));
  } catch {
    return undefined;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmt(v: Num | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4).replace(/\.?0+$/, '');
}

interface Curve {
  id: string;
  title: string;
  log: boolean;
  value: (e: EpochPoint) => Num | undefined;
}

const CURVES: Curve[] = [
  { id: 'train-tot', title: 'Train loss (tot)', log: true, value: (e) => e.train['tot'] },
  { id: 'val-tot', title: 'Val loss (tot)', log: true, value: (e) => e.val?.['tot'] },
  { id: 'nds', title: 'NDS', log: false, value: (e) => e.eval?.NDS },
  { id: 'map', title: 'mAP', log: false, value: (e) => e.eval?.mAP },
  { id: 'lr', title: 'Learning rate', log: true, value: (e) => e.lr },
];

export function startComparePage(initial: CompareState): void {
  Chart.register(...registerables);
  const api = vscodeApi<CompareState, CompareToHost>((v: unknown): v is CompareState => checkCompareState(v) !== undefined);
  const state: CompareState = api.getState() ?? initial;
  api.setState(state);
  let data: CompareMessage | undefined;
  let theme = chartTheme();

  const root = document.getElementById('root') ?? document.body;
  root.textContent = '';
  const title = el('h1', {}, `Comparing ${state.runIds.length} runs`);
  const message = el('p', { id: 'message', class: 'muted' }, 'Waiting for the runs…');
  const controls = el('div', { class: 'controls' });
  const logLabel = el('label', { for: 'log-scale' });
  const logInput = el('input', { id: 'log-scale', type: 'checkbox' });
  logInput.checked = state.logScale;
  logLabel.append(logInput, document.createTextNode(' Log scale'));
  controls.append(logLabel);
  const grid = el('div', { class: 'charts' });
  const metrics = el('table', { id: 'compare-metrics' });
  const options = el('table', { id: 'compare-options' });
  root.append(title, message, controls, grid, el('h2', {}, 'Best metrics'), metrics, el('h2', {}, 'Options that differ'), options);

  const charts = CURVES.map((curve) => {
    const box = el('figure', { class: 'chart', id: `chart-${curve.id}`, 'data-points': '0', 'data-series': '0' });
    const holder = el('div', { class: 'canvas-holder' });
    const canvas = el('canvas', { role: 'img', 'aria-label': curve.title });
    holder.append(canvas);
    box.append(el('figcaption', {}, curve.title), holder);
    grid.append(box);
    const chart = new Chart<'line', ScatterDataPoint[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        spanGaps: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
        scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } }, y: { type: 'linear' } },
      },
    });
    return { curve, box, chart };
  });

  function render(): void {
    if (data === undefined) return;
    for (const { curve, box, chart } of charts) {
      const logOn = curve.log && state.logScale;
      let points = 0;
      const datasets: ChartDataset<'line', ScatterDataPoint[]>[] = data.runs.map((r, i) => {
        const pts: ScatterDataPoint[] = [];
        for (const e of [...r.epochs].sort((a, b) => a.epoch - b.epoch)) {
          const y = curve.value(e);
          if (y !== null && y !== undefined && (!logOn || y > 0)) pts.push({ x: e.epoch, y });
        }
        points += pts.length;
        const color = seriesColor(theme, i);
        return { label: r.header.title + ` (${r.header.started ?? r.header.runId})`, data: pts, borderColor: color, backgroundColor: color, borderWidth: theme.highContrast ? 2.5 : 1.5, pointRadius: pts.length > 60 ? 0 : 2 };
      });
      chart.data.datasets = datasets;
      chart.options.color = theme.foreground;
      for (const axis of ['x', 'y'] as const) {
        const scale = chart.options.scales?.[axis];
        if (scale === undefined) continue;
        scale.grid = { color: theme.grid };
        scale.ticks = { ...(scale.ticks ?? {}), color: theme.muted };
      }
      const y = chart.options.scales?.y;
      if (y !== undefined) y.type = logOn ? 'logarithmic' : 'linear';
      chart.update('none');
      box.setAttribute('data-points', String(points));
      box.setAttribute('data-series', String(datasets.length));
      box.classList.toggle('empty', points === 0);
    }
    metrics.textContent = '';
    const head = el('tr');
    for (const h of ['Run', 'Status', 'Epochs', 'Best NDS', 'at epoch', 'Last train tot', 'Last val tot']) head.append(el('th', {}, h));
    metrics.append(head);
    for (const r of data.runs) {
      const last = [...r.epochs].sort((a, b) => b.epoch - a.epoch)[0];
      const lastVal = [...r.epochs].sort((a, b) => b.epoch - a.epoch).find((e) => e.val !== null);
      const tr = el('tr', { 'data-run': r.header.runId });
      for (const text of [
        `${r.header.title} · ${r.header.started ?? r.header.runId}`,
        r.header.status,
        `${r.header.epoch ?? '–'}/${r.header.numEpochs ?? '?'}`,
        fmt(r.header.bestNds),
        r.header.bestNdsEpoch === null ? '–' : String(r.header.bestNdsEpoch),
        fmt(last?.train['tot']),
        fmt(lastVal?.val?.['tot']),
      ]) tr.append(el('td', {}, text));
      metrics.append(tr);
    }
    options.textContent = '';
    options.setAttribute('data-rows', String(data.differing.length));
    if (data.differing.length === 0) {
      options.append(el('caption', { class: 'muted' }, 'The runs use the same options.'));
      return;
    }
    const oh = el('tr');
    oh.append(el('th', {}, 'Option'));
    for (const r of data.runs) oh.append(el('th', {}, `${r.header.title} · ${r.header.started ?? r.header.runId}`));
    options.append(oh);
    for (const row of data.differing) {
      const tr = el('tr');
      tr.append(el('td', {}, row.option));
      for (const v of row.values) tr.append(el('td', {}, v === '' ? '–' : v));
      options.append(tr);
    }
  }

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const checked = checkHostToCompare(event.data);
    if (!checked.ok) {
      console.warn(`CenterFusion comparison: ignored a message from the host: ${checked.reason}`);
      return;
    }
    if (checked.value.type === 'error') {
      message.textContent = checked.value.message;
      message.className = 'error';
      return;
    }
    data = checked.value;
    message.textContent = '';
    title.textContent = `Comparing ${data.runs.length} runs`;
    render();
  });
  logInput.addEventListener('change', () => {
    state.logScale = logInput.checked;
    api.setState(state);
    render();
  });
  onThemeChange(() => {
    theme = chartTheme();
    render();
  });
  api.postMessage({ type: 'ready' });
}
