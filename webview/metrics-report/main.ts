/**
 * The metrics report webview: headline NDS and mAP, the five TP errors, the per-class table
 * (NaN as "—" with the reason in a tooltip), bar charts per class, precision-recall curves when
 * metrics_details.json is present, and the evaluation config. Rendered with DOM APIs only
 * (textContent, never HTML strings from data). State survives a reload through setState.
 */

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { vscodeApi } from '../common/vscodeApi';
import {
  compareClasses,
  delta,
  isHostToReport,
  TP_LABELS,
  TP_NAMES,
  type Cell,
  type Comparison,
  type HostToReport,
  type ReportModel,
  type ReportToHost,
  type TpName,
} from '../../src/shared/webview/metricsReport';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

const vscode = vscodeApi<HostToReport, ReportToHost>(isHostToReport);
const root = document.getElementById('root') as HTMLElement;
const charts: Chart[] = [];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, opts: { cls?: string; text?: string; title?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.cls !== undefined) node.className = opts.cls;
  if (opts.text !== undefined) node.textContent = opts.text;
  if (opts.title !== undefined) node.title = opts.title;
  for (const c of children) node.appendChild(c);
  return node;
}

function fmt(cell: Cell, digits = 3): HTMLElement {
  if (cell.value === null) return el('span', { cls: 'nan', text: '—', title: cell.why ?? 'Undefined (NaN in the file).' });
  return el('span', { cls: 'num', text: cell.value.toFixed(digits) });
}

function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v !== '' ? v : fallback;
}

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];

function color(i: number): string {
  return themeColor(PALETTE[i % PALETTE.length], themeColor('--vscode-foreground', 'gray'));
}

function chartDefaults(): void {
  Chart.defaults.color = themeColor('--vscode-foreground', 'gray');
  Chart.defaults.borderColor = themeColor('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  Chart.defaults.font.family = themeColor('--vscode-font-family', 'sans-serif');
  Chart.defaults.animation = false;
}

function headline(model: ReportModel): HTMLElement {
  const card = (label: string, cell: Cell, cls: string): HTMLElement =>
    el('div', { cls: `card ${cls}` }, el('div', { cls: 'label', text: label }), el('div', { cls: 'value' }, fmt(cell, 4)));
  const row = el('div', { cls: 'cards' }, card('NDS', model.nds, 'nds'), card('mAP', model.map, 'map'));
  for (const m of TP_NAMES) row.appendChild(card(TP_LABELS[m], model.tp[m], `tp ${m}`));
  return row;
}

function classTable(model: ReportModel): HTMLElement {
  const head = el('tr', {}, el('th', { text: 'class' }));
  for (const t of model.thresholds) head.appendChild(el('th', { text: `AP@${t}m`, title: `Average precision with a ${t} m center-distance match threshold` }));
  head.appendChild(el('th', { text: 'mean AP' }));
  for (const m of TP_NAMES) head.appendChild(el('th', { text: TP_LABELS[m].slice(1), title: m }));
  const body = el('tbody');
  for (const c of model.classes) {
    const tr = el('tr', {}, el('th', { cls: 'class', text: c.name }));
    tr.dataset.class = c.name;
    for (const t of model.thresholds) tr.appendChild(el('td', {}, fmt(c.aps[t] ?? { value: null })));
    tr.appendChild(el('td', { cls: 'mean' }, fmt(c.meanAp)));
    for (const m of TP_NAMES) tr.appendChild(el('td', {}, fmt(c.tp[m])));
    body.appendChild(tr);
  }
  return el('table', { cls: 'classes' }, el('thead', {}, head), body);
}

function barChart(title: string, labels: string[], datasets: { label: string; data: (number | null)[] }[]): HTMLElement {
  const canvas = el('canvas');
  const box = el('div', { cls: 'chart' }, el('h3', { text: title }), el('div', { cls: 'canvas-box' }, canvas));
  charts.push(
    new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: datasets.map((d, i) => ({ ...d, backgroundColor: color(i) })) },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: datasets.length > 1 } }, scales: { y: { beginAtZero: true } } },
    }),
  );
  return box;
}

function curveCharts(model: ReportModel): HTMLElement | undefined {
  if (model.curves.length === 0) return undefined;
  const section = el('section', {}, el('h2', { text: 'Precision-recall curves (metrics_details.json)' }));
  const grid = el('div', { cls: 'charts' });
  const byClass = new Map<string, typeof model.curves>();
  for (const c of model.curves) byClass.set(c.className, [...(byClass.get(c.className) ?? []), c]);
  for (const [name, curves] of byClass) {
    const canvas = el('canvas');
    grid.appendChild(el('div', { cls: 'chart' }, el('h3', { text: name }), el('div', { cls: 'canvas-box' }, canvas)));
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: {
          datasets: curves.map((c, i) => ({
            label: `${c.threshold} m`,
            data: c.recall.map((r, k) => ({ x: r ?? NaN, y: c.precision[k] ?? NaN })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
            borderColor: color(i),
            backgroundColor: color(i),
            pointRadius: 0,
            borderWidth: 1.5,
          })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'recall' } }, y: { min: 0, max: 1, title: { display: true, text: 'precision' } } },
        },
      }),
    );
  }
  section.appendChild(grid);
  return section;
}

function tpCurveCharts(model: ReportModel): HTMLElement | undefined {
  if (model.tpCurves.length === 0) return undefined;
  const section = el('section', {}, el('h2', { text: `TP-error curves at ${model.tpThreshold ?? '2.0'} m (metrics_details.json)` }));
  section.appendChild(el('p', { cls: 'hint', text: 'Each true-positive error against recall, from the minimum recall up to the highest recall the class reaches (as the nuScenes devkit plots them). Lower is better.' }));
  const grid = el('div', { cls: 'charts' });
  for (const curve of model.tpCurves) {
    const canvas = el('canvas');
    const box = el('div', { cls: 'chart tp-curve' }, el('h3', { text: curve.className }), el('div', { cls: 'canvas-box' }, canvas));
    box.dataset.class = curve.className;
    grid.appendChild(box);
    if (curve.recall.length === 0) {
      box.appendChild(el('p', { cls: 'hint', text: 'No point above the minimum recall: the class has no true positive at this threshold.' }));
      continue;
    }
    const metrics = TP_NAMES.filter((m) => curve.errors[m].some((v) => v !== null));
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: {
          datasets: metrics.map((m: TpName, i) => {
            const data = curve.recall.map((r, k) => ({ x: r, y: curve.errors[m][k] ?? NaN })).filter((p) => Number.isFinite(p.y));
            // A class that barely passes the minimum recall has one or two points: draw them.
            return { label: TP_LABELS[m].slice(1), data, borderColor: color(i), backgroundColor: color(i), pointRadius: data.length <= 2 ? 3 : 0, borderWidth: 1.5 };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'recall' } }, y: { min: 0, title: { display: true, text: 'error' } } },
        },
      }),
    );
  }
  section.appendChild(grid);
  return section;
}

/** A signed difference, marked better/worse (for TP errors lower is better). */
function deltaCell(d: number | null, lowerIsBetter: boolean, digits = 3): HTMLElement {
  if (d === null) return el('span', { cls: 'nan', text: '—', title: 'Undefined in one of the two files (NaN), so there is no difference.' });
  const better = lowerIsBetter ? d < 0 : d > 0;
  const cls = d === 0 ? 'delta same' : better ? 'delta better' : 'delta worse';
  return el('span', { cls, text: `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d).toFixed(digits)}` });
}

function comparison(fileName: string, a: ReportModel, compare: Comparison): HTMLElement {
  const section = el('section', { cls: 'compare' });
  section.id = 'compare';
  const clear = el('button', { cls: 'link', text: 'Clear comparison' });
  clear.addEventListener('click', () => vscode.postMessage({ type: 'clearCompare' }));
  section.appendChild(el('h2', { text: 'Comparison' }, document.createTextNode(' '), clear));
  if ('error' in compare) {
    section.appendChild(el('div', { cls: 'error', text: `${compare.path}: ${compare.error}` }));
    return section;
  }
  const b = compare.model;
  section.appendChild(el('p', { cls: 'hint', text: `A: ${fileName} (this file) · B: ${compare.path} · Δ = B − A` }));
  const head = el('tr', {}, el('th', { text: 'metric' }), el('th', { text: 'A' }), el('th', { text: 'B' }), el('th', { text: 'Δ' }));
  const body = el('tbody');
  const line = (label: string, ca: Cell, cb: Cell, lower: boolean, key: string): void => {
    const tr = el('tr', {}, el('th', { cls: 'class', text: label }), el('td', {}, fmt(ca, 4)), el('td', {}, fmt(cb, 4)), el('td', {}, deltaCell(delta(ca, cb), lower, 4)));
    tr.dataset.metric = key;
    body.appendChild(tr);
  };
  line('NDS', a.nds, b.nds, false, 'nds');
  line('mAP', a.map, b.map, false, 'map');
  for (const m of TP_NAMES) line(TP_LABELS[m], a.tp[m], b.tp[m], true, m);
  section.appendChild(el('table', { cls: 'classes headline-compare' }, el('thead', {}, head), body));

  const chead = el('tr', {}, el('th', { text: 'class' }), el('th', { text: 'mean AP A' }), el('th', { text: 'mean AP B' }), el('th', { text: 'Δ AP' }));
  for (const m of TP_NAMES) chead.appendChild(el('th', { text: `Δ ${TP_LABELS[m].slice(1)}`, title: `${m}: B − A (lower is better)` }));
  const cbody = el('tbody');
  for (const row of compareClasses(a, b)) {
    const tr = el('tr', {}, el('th', { cls: 'class', text: row.name }));
    tr.dataset.class = row.name;
    tr.appendChild(el('td', {}, fmt(row.a?.meanAp ?? { value: null, why: 'Not in this file.' })));
    tr.appendChild(el('td', {}, fmt(row.b?.meanAp ?? { value: null, why: 'Not in the other file.' })));
    tr.appendChild(el('td', {}, deltaCell(row.meanAp, false)));
    for (const m of TP_NAMES) tr.appendChild(el('td', {}, deltaCell(row.tp[m], true)));
    cbody.appendChild(tr);
  }
  section.appendChild(el('table', { cls: 'classes class-compare' }, el('thead', {}, chead), cbody));
  return section;
}

function toolbar(message: Extract<HostToReport, { type: 'report' }>): HTMLElement {
  const bar = el('div', { cls: 'toolbar' });
  if (message.run !== undefined) {
    const link = el('button', { cls: 'link run-link', text: `From ${message.run.label}: open its dashboard` });
    link.addEventListener('click', () => vscode.postMessage({ type: 'openRun' }));
    bar.appendChild(link);
  }
  const compare = el('button', { cls: 'compare-with', text: 'Compare With…' });
  compare.addEventListener('click', () => vscode.postMessage({ type: 'compare' }));
  bar.appendChild(compare);
  return bar;
}

function render(message: HostToReport): void {
  for (const c of charts.splice(0)) c.destroy();
  root.replaceChildren();
  if (message.type === 'error') {
    root.appendChild(el('div', { cls: 'error', text: message.message }));
    root.appendChild(el('p', { cls: 'hint', text: 'The report updates by itself when the file changes.' }));
    return;
  }
  const m = message.model;
  chartDefaults();
  root.appendChild(el('h1', { text: `nuScenes detection: ${message.fileName}` }));
  root.appendChild(toolbar(message));
  root.appendChild(headline(m));
  if (message.compare !== undefined) root.appendChild(comparison(message.fileName, m, message.compare));
  if (m.evalTime !== null) root.appendChild(el('p', { cls: 'hint', text: `Evaluation time ${m.evalTime.toFixed(1)} s` }));
  root.appendChild(el('section', {}, el('h2', { text: 'Per class' }), classTable(m)));
  const names = m.classes.map((c) => c.name);
  const charts1 = el('div', { cls: 'charts' });
  charts1.appendChild(barChart('AP per class', names, [{ label: 'mean AP', data: m.classes.map((c) => c.meanAp.value) }]));
  charts1.appendChild(
    barChart('AP per distance threshold', names, m.thresholds.map((t) => ({ label: `${t} m`, data: m.classes.map((c) => c.aps[t]?.value ?? null) }))),
  );
  for (const tp of TP_NAMES) charts1.appendChild(barChart(`${TP_LABELS[tp]} per class`, names, [{ label: tp, data: m.classes.map((c) => c.tp[tp].value) }]));
  root.appendChild(el('section', {}, el('h2', { text: 'Charts' }), charts1));
  const curves = curveCharts(m);
  if (curves !== undefined) root.appendChild(curves);
  const tpCurves = tpCurveCharts(m);
  if (tpCurves !== undefined) root.appendChild(tpCurves);
  if (m.detailsNote !== undefined) root.appendChild(el('p', { cls: 'hint', text: m.detailsNote }));
  const cfg = el('details', {}, el('summary', { text: 'Evaluation config' }), el('pre', { text: m.config }));
  root.appendChild(el('section', {}, cfg));
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostToReport(event.data)) return; // only messages of the contract
  vscode.setState(event.data);
  render(event.data);
});

const saved = vscode.getState();
if (saved !== undefined) render(saved);
vscode.postMessage({ type: 'ready' });
