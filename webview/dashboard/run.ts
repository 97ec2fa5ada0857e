/**
 * The run dashboard page (one run): header, charts (chart.js) and checkpoint list. It receives one
 * snapshot, then deltas; every message is validated (src/shared/webview/dashboard.ts) and a bad
 * one is dropped with its reason in the console. Smoothing and log scale are kept with
 * setState, together with the run id the serializer needs after a reload.
 */

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { Chart, registerables, type ChartDataset, type Plugin, type ScatterDataPoint } from 'chart.js';
import {
  checkDashboardState,
  checkHostToDashboard,
  emaSmooth,
  TP_ERRORS,
  type CheckpointAction,
  type CheckpointRow,
  type DashboardHeader,
  type DashboardState,
  type DashboardToHost,
  type EpochPoint,
  type HostToDashboard,
  type IterPoint,
  type Num,
} from '../../src/shared/webview/dashboard';
import { chartTheme, onThemeChange, seriesColor, type ChartTheme } from '../common/theme';
import { vscodeApi } from '../common/vscodeApi';
import { iterAfter, IterSeriesSet } from './iterSeries';

/** Builds the page of one run inside #root and starts talking to the host. */
export function startRunPage(): void {
  Chart.register(...registerables);

  const api = vscodeApi<DashboardState, DashboardToHost>(
    (v: unknown): v is DashboardState => checkDashboardState(v) !== undefined,
  );

  function initialState(): DashboardState | undefined {
    const el = document.getElementById('initial-state');
    try {
      return checkDashboardState(JSON.parse(el?.textContent ?? 'null'));
    } catch {
      return undefined;
    }
  }

  // The saved state wins (the user's smoothing, log scale and highlight survive hiding and
  // reloads); it is normalised, since it may come from an older version of this page.
  const state: DashboardState = checkDashboardState(api.getState()) ??
    initialState() ?? { runId: '', smoothing: 0.6, logScale: false, focusEpoch: null, tpError: 'ATE' };
  api.setState(state);

  // ---------------------------------------------------------------------------------------------
  // data held by the page

  /** Running-loss points the page keeps (the host sends at most 2,000 at once). */
  const MAX_PAGE_ITERS = 4000;
  let header: DashboardHeader | undefined;
  const epochs = new Map<number, EpochPoint>();
  let iters: IterPoint[] = [];
  let checkpoints: CheckpointRow[] = [];
  let actions: CheckpointAction[] = [];

  // ---------------------------------------------------------------------------------------------
  // DOM

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const root = document.getElementById('root') ?? document.body;
  root.textContent = '';
  const headerEl = el('header', { id: 'header', class: 'header', 'data-status': '' });
  const messageEl = el('p', { id: 'message', class: 'muted' }, 'Waiting for the run…');
  const controls = el('div', { class: 'controls' });
  const smoothLabel = el('label', { for: 'smoothing' }, 'Smoothing ');
  const smoothInput = el('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01' });
  smoothInput.value = String(state.smoothing);
  const smoothValue = el('span', { id: 'smoothing-value', class: 'muted' }, state.smoothing.toFixed(2));
  const logInput = document.createElement('vscode-checkbox');
  logInput.id = 'log-scale';
  logInput.label = 'Log scale (losses, LR)';
  logInput.checked = state.logScale;
  smoothLabel.append(smoothInput);
  controls.append(smoothLabel, smoothValue, logInput);

  const focusSection = el('section', { id: 'focus', class: 'focus', hidden: '' });
  const grid = el('div', { class: 'charts' });
  const checkpointSection = el('section', { class: 'checkpoints' });
  checkpointSection.append(el('h2', {}, 'Checkpoints'));
  const checkpointTable = el('table', { id: 'checkpoints' });
  checkpointSection.append(checkpointTable);
  root.append(headerEl, messageEl, controls, focusSection, grid, checkpointSection);

  // Read-only test hooks: how many messages and iteration points the page received.
  let messagesReceived = 0;
  let itersReceived = 0;
  function markReceived(iterCount: number): void {
    messagesReceived++;
    itersReceived += iterCount;
    root.setAttribute('data-messages', String(messagesReceived));
    root.setAttribute('data-iters-received', String(itersReceived));
  }
  // Read-only latency probe (bench/live.ts): only when a test has put an array in
  // window.__cfsLiveProbe, each live iteration point is recorded there with the time it arrived
  // and the time it entered the running-loss chart's data (performance.timeOrigin + now()).
  interface LiveProbeEntry { epoch: number; iter: number; received: number; charted?: number }
  const unCharted: LiveProbeEntry[] = [];
  const probeNow = (): number => performance.timeOrigin + performance.now();
  function probeReceived(points: readonly IterPoint[]): void {
    const probe = (window as unknown as { __cfsLiveProbe?: unknown }).__cfsLiveProbe;
    if (!Array.isArray(probe) || probe.length >= 100_000) return;
    const now = probeNow();
    for (const p of points) {
      const e: LiveProbeEntry = { epoch: p.epoch, iter: p.iter, received: now };
      probe.push(e);
      unCharted.push(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // charts

  type SeriesMap = Map<string, ScatterDataPoint[]>;

  /** Draws a vertical line at the highlighted epoch on the per-epoch charts. */
  const focusLine: Plugin<'line'> = {
    id: 'cfFocusLine',
    afterDatasetsDraw(chart) {
      if (state.focusEpoch === null) return;
      const x = chart.scales['x']?.getPixelForValue(state.focusEpoch);
      const area = chart.chartArea;
      if (x === undefined || !Number.isFinite(x) || x < area.left || x > area.right) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = theme.focus;
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  interface ChartBox {
    id: string;
    chart: Chart<'line', ScatterDataPoint[]>;
    box: HTMLElement;
    /** Whether smoothing and the log toggle apply. */
    smooth: boolean;
    log: boolean;
    build: () => SeriesMap;
    /** build() gives the points as drawn (smoothed and filtered already): used as they are. */
    prepared?: boolean;
  }

  let theme: ChartTheme = chartTheme();
  const charts: ChartBox[] = [];

  function makeChart(id: string, title: string, xLabel: string, opts: { smooth: boolean; log: boolean; extra?: HTMLElement; prepared?: boolean }, build: () => SeriesMap): ChartBox {
    const box = el('figure', { class: 'chart', id: `chart-${id}`, 'data-points': '0', 'data-series': '0' });
    const caption = el('figcaption', {}, title);
    if (opts.extra !== undefined) caption.append(' ', opts.extra);
    const perEpoch = xLabel === 'epoch';
    const canvas = el('canvas', { 'aria-label': title, role: 'img' });
    const holder = el('div', { class: 'canvas-holder' });
    holder.append(canvas);
    box.append(caption, holder);
    grid.append(box);
    const chart = new Chart<'line', ScatterDataPoint[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: perEpoch ? [focusLine] : [],
      options: {
        // A click on a per-epoch chart highlights the nearest epoch.
        onClick: perEpoch
          ? (event, elements, c) => {
              if (elements.length === 0 || event.x === null) return;
              const x = c.scales['x']?.getValueForPixel(event.x);
              if (x !== undefined && Number.isFinite(x)) setFocus(Math.round(x));
            }
          : undefined,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 10 } },
          // Long series (the running losses of a big epoch) are drawn from at most ~800 samples.
          decimation: { enabled: true, algorithm: 'lttb', samples: 800, threshold: 1000 },
          tooltip: {
            callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${formatNumber(ctx.parsed.y)}` },
          },
        },
        scales: {
          x: { type: 'linear', title: { display: true, text: xLabel }, ticks: { precision: 0 } },
          y: { type: 'linear' },
        },
      },
    });
    const entry: ChartBox = { id, chart, box, smooth: opts.smooth, log: opts.log, build, prepared: opts.prepared };
    charts.push(entry);
    return entry;
  }

  function formatNumber(v: number | null | undefined): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
    return v.toPrecision(4).replace(/\.?0+$/, '');
  }

  function sortedEpochs(): EpochPoint[] {
    return [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
  }

  function push(map: SeriesMap, name: string, x: number, y: Num | undefined): void {
    if (y === null || y === undefined) return;
    let list = map.get(name);
    if (list === undefined) {
      list = [];
      map.set(name, list);
    }
    list.push({ x, y });
  }

  makeChart('loss', 'Losses per epoch (train, val)', 'epoch', { smooth: true, log: true }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) {
      for (const [k, v] of Object.entries(e.train)) push(m, `train ${k}`, e.epoch, v);
      if (e.val !== null) for (const [k, v] of Object.entries(e.val)) push(m, `val ${k}`, e.epoch, v);
    }
    return m;
  });
  // The running losses: built once from `iters`, then each delta's points are appended to the
  // arrays the chart draws (appendIters), smoothed as they come.
  let iterSet = new IterSeriesSet(0, false);
  const iterChart = makeChart('iter', 'Running train losses, current epoch', 'iteration', { smooth: true, log: true, prepared: true }, () => {
    iterSet = new IterSeriesSet(state.smoothing, state.logScale);
    iterSet.append(iters);
    const m: SeriesMap = new Map();
    for (const s of iterSet.series.values()) m.set(s.name, s.data);
    return m;
  });
  makeChart('lr', 'Learning rate', 'epoch', { smooth: false, log: true }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) push(m, 'lr', e.epoch, e.lr);
    return m;
  });
  makeChart('nds', 'NDS and mAP', 'epoch', { smooth: false, log: false }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) {
      push(m, 'NDS', e.epoch, e.eval?.NDS);
      push(m, 'mAP', e.epoch, e.eval?.mAP);
    }
    return m;
  });
  makeChart('tp', 'TP errors', 'epoch', { smooth: false, log: false }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) {
      if (e.eval === null) continue;
      push(m, 'mATE', e.epoch, e.eval.mATE);
      push(m, 'mASE', e.epoch, e.eval.mASE);
      push(m, 'mAOE', e.epoch, e.eval.mAOE);
      push(m, 'mAVE', e.epoch, e.eval.mAVE);
      push(m, 'mAAE', e.epoch, e.eval.mAAE);
    }
    return m;
  });
  makeChart('ap', 'AP per class', 'epoch', { smooth: false, log: false }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) if (e.eval !== null) for (const [k, v] of Object.entries(e.eval.ap)) push(m, k, e.epoch, v);
    return m;
  });
  const tpSelect = document.createElement('vscode-single-select');
  tpSelect.id = 'tp-error';
  tpSelect.setAttribute('aria-label', 'TP error shown per class');
  for (const [key, name] of TP_ERRORS) {
    const option = document.createElement('vscode-option');
    option.value = key;
    option.textContent = `${key} (${name})`;
    if (key === state.tpError) option.selected = true;
    tpSelect.append(option);
  }
  makeChart('tp-class', 'TP error per class', 'epoch', { smooth: false, log: false, extra: tpSelect }, () => {
    const m: SeriesMap = new Map();
    for (const e of sortedEpochs()) {
      const tp = e.eval?.tp;
      if (tp === undefined) continue;
      for (const [cls, errors] of Object.entries(tp)) push(m, cls, e.epoch, errors[state.tpError]);
    }
    return m;
  });

  function styleChart(c: ChartBox): void {
    const o = c.chart.options;
    const text = theme.foreground;
    o.color = text;
    o.font = { family: theme.fontFamily, size: theme.fontSize };
    for (const axis of ['x', 'y'] as const) {
      const scale = o.scales?.[axis];
      if (scale === undefined) continue;
      scale.grid = { color: theme.grid };
      scale.ticks = { ...(scale.ticks ?? {}), color: theme.muted };
      if ('title' in scale && scale.title !== undefined) scale.title.color = theme.muted;
    }
    const y = o.scales?.y;
    if (y !== undefined) y.type = c.log && state.logScale ? 'logarithmic' : 'linear';
    const tooltip = o.plugins?.tooltip;
    if (tooltip !== undefined) {
      tooltip.backgroundColor = theme.hoverBackground;
      tooltip.titleColor = theme.foreground;
      tooltip.bodyColor = theme.foreground;
      tooltip.borderColor = theme.grid;
      tooltip.borderWidth = 1;
    }
  }

  function renderChart(c: ChartBox): void {
    const series = c.build();
    const datasets: ChartDataset<'line', ScatterDataPoint[]>[] = [];
    let i = 0;
    let points = 0;
    const logOn = c.log && state.logScale;
    for (const [name, raw] of series) {
      let data = raw;
      if (c.smooth && state.smoothing > 0 && c.prepared !== true) {
        const ys = emaSmooth(raw.map((p) => p.y), state.smoothing);
        data = raw.map((p, j) => ({ x: p.x, y: ys[j] ?? Number.NaN }));
      }
      if (logOn && c.prepared !== true) data = data.filter((p) => p.y !== null && p.y > 0);
      points = Math.max(points, data.length);
      const color = seriesColor(theme, i++);
      datasets.push({
        label: name,
        data,
        borderColor: color,
        backgroundColor: color,
        borderWidth: theme.highContrast ? 2.5 : 1.5,
        borderDash: name.startsWith('val ') ? [5, 3] : undefined,
        pointRadius: data.length > 60 ? 0 : 2,
        pointHoverRadius: 4,
      });
    }
    c.chart.data.datasets = datasets;
    styleChart(c);
    c.chart.update('none');
    if (c.id === 'iter') markCharted();
    c.box.setAttribute('data-points', String(points));
    c.box.setAttribute('data-series', String(datasets.length));
    c.box.classList.toggle('empty', points === 0);
    c.box.setAttribute('data-drawn', String(++drawCount));
  }
  let drawCount = 0;

  function markCharted(): void {
    if (unCharted.length === 0) return;
    const now = probeNow();
    for (const e of unCharted) e.charted = now;
    unCharted.length = 0;
  }

  /**
   * A delta's new running-loss points (already in `iters`): appended to the chart's own arrays and
   * drawn now (the host sends at most 10 messages a second, and an append redraws one chart
   * without rebuilding its points). A whole rebuild instead when one is due anyway (queued,
   * settings changed), when the points thinned or restarted, or a new loss appeared.
   */
  function appendIters(points: readonly IterPoint[], rebuild: boolean): void {
    if (dirty.has('iter')) return; // the queued render rebuilds from `iters`
    const before = iterChart.chart.data.datasets.length;
    if (rebuild || iterSet.append(points) > 0 || before !== iterSet.series.size) {
      renderChart(iterChart);
      return;
    }
    const count = iterSet.maxPoints;
    for (const d of iterChart.chart.data.datasets) d.pointRadius = count > 60 ? 0 : 2;
    iterChart.chart.update('none');
    markCharted();
    iterChart.box.setAttribute('data-points', String(count));
    iterChart.box.classList.toggle('empty', count === 0);
    iterChart.box.setAttribute('data-drawn', String(++drawCount));
  }

  let renderQueued = false;
  const dirty = new Set<string>();
  function invalidate(ids: string[]): void {
    for (const id of ids) dirty.add(id);
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      for (const c of charts) if (dirty.has(c.id)) renderChart(c);
      dirty.clear();
    });
  }
  const ALL = charts.map((c) => c.id);

  // ---------------------------------------------------------------------------------------------
  // header and checkpoints

  function duration(seconds: number): string {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const r = s % 60;
    return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${r}s` : `${r}s`;
  }

  function field(label: string, value: string, id: string): HTMLElement {
    const span = el('span', { class: 'field', id: `h-${id}` });
    span.append(el('span', { class: 'label' }, `${label} `), el('span', { class: 'value' }, value));
    return span;
  }

  function renderHeader(): void {
    if (header === undefined) return;
    const h = header;
    headerEl.textContent = '';
    headerEl.setAttribute('data-status', h.status);
    const title = el('h1', {}, h.title);
    const status = el('span', { class: `status status-${h.status}`, id: 'h-status' }, h.status);
    const start = h.started !== null ? Date.parse(h.started) : Number.NaN;
    const end = h.ended !== null ? Date.parse(h.ended) : h.status === 'running' ? Date.now() : Number.NaN;
    const elapsed = Number.isFinite(start) && Number.isFinite(end) ? duration((end - start) / 1000) : '–';
    const epochText = `${h.epoch ?? '–'}/${h.numEpochs ?? '?'}`;
    const best = h.bestNds !== null ? `${formatNumber(h.bestNds)} (epoch ${h.bestNdsEpoch ?? '?'})` : '–';
    const line = el('div', { class: 'fields' });
    line.append(
      status,
      field('Epoch', epochText, 'epoch'),
      field('ETA', h.etaS !== null ? duration(h.etaS) : '–', 'eta'),
      field('Backend', h.backend ?? '–', 'backend'),
      field('Elapsed', elapsed, 'elapsed'),
      field('Best NDS', best, 'best'),
    );
    headerEl.append(title, line);
    if (h.note !== null) headerEl.append(el('p', { class: 'note' }, h.note));
  }

  function sizeText(bytes: number | null): string {
    if (bytes === null) return '–';
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  }

  const ACTION_LABELS: Record<CheckpointAction, string> = {
    copyPath: 'Copy path',
    reveal: 'Reveal',
    evaluate: 'Evaluate',
    resume: 'Resume from here',
  };

  // ---------------------------------------------------------------------------------------------
  // the highlighted epoch

  function setFocus(epoch: number | null): void {
    state.focusEpoch = epoch;
    api.setState(state);
    renderFocus();
    renderCheckpoints();
    invalidate(charts.filter((c) => c.id !== 'iter').map((c) => c.id));
  }

  function renderFocus(): void {
    const epoch = state.focusEpoch;
    root.setAttribute('data-focus-epoch', epoch === null ? '' : String(epoch));
    focusSection.textContent = '';
    if (epoch === null) {
      focusSection.hidden = true;
      return;
    }
    focusSection.hidden = false;
    const e = epochs.get(epoch);
    const head = el('div', { class: 'focus-head' });
    const clear = document.createElement('vscode-button');
    clear.id = 'focus-clear';
    clear.secondary = true;
    clear.title = 'Clear the highlight';
    clear.textContent = 'Clear';
    clear.addEventListener('click', () => setFocus(null));
    head.append(el('h2', {}, `Epoch ${epoch}`), clear);
    focusSection.append(head);
    if (e === undefined) {
      focusSection.append(el('p', { class: 'muted' }, 'No numbers for this epoch yet.'));
      return;
    }
    const facts = el('p', { class: 'fields' });
    facts.append(field('LR', formatNumber(e.lr), 'focus-lr'));
    if (e.eval !== null) {
      facts.append(field('NDS', formatNumber(e.eval.NDS), 'focus-nds'), field('mAP', formatNumber(e.eval.mAP), 'focus-map'));
      for (const [key] of TP_ERRORS) facts.append(field(`m${key}`, formatNumber(e.eval[`m${key}`]), `focus-m${key.toLowerCase()}`));
    }
    focusSection.append(facts);
    const names = [...new Set([...Object.keys(e.train), ...Object.keys(e.val ?? {})])];
    if (names.length > 0) {
      const table = el('table', { class: 'focus-losses' });
      const hr = el('tr');
      hr.append(el('th', {}, 'loss'));
      for (const n of names) hr.append(el('th', {}, n));
      table.append(hr);
      const rows: [string, Record<string, Num> | null][] = [['train', e.train], ['val', e.val]];
      for (const [label, stats] of rows) {
        if (stats === null) continue;
        const tr = el('tr');
        tr.append(el('th', {}, label));
        for (const n of names) tr.append(el('td', {}, formatNumber(stats[n])));
        table.append(tr);
      }
      focusSection.append(table);
    }
  }

  // One formatter for every row (toLocaleString builds one per call: slow for 200 rows).
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });
  function timeText(iso: string): string {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
  }

  function renderCheckpoints(): void {
    checkpointTable.textContent = '';
    checkpointTable.setAttribute('data-rows', String(checkpoints.length));
    if (checkpoints.length === 0) {
      checkpointTable.append(el('caption', { class: 'muted' }, 'No checkpoints yet.'));
      return;
    }
    const head = el('tr');
    for (const t of ['File', 'Epoch', 'Kind', 'Size', 'Written', 'NDS', '']) head.append(el('th', {}, t));
    checkpointTable.append(head);
    for (const c of checkpoints) {
      const tr = el('tr', { 'data-path': c.path, class: c.epoch === state.focusEpoch ? 'focused' : '' });
      tr.append(
        el('td', { title: c.path }, c.name),
        el('td', {}, String(c.epoch)),
        el('td', {}, c.kind),
        el('td', {}, sizeText(c.sizeBytes)),
        el('td', {}, timeText(c.t)),
        el('td', {}, formatNumber(c.nds)),
      );
      const cell = el('td', { class: 'actions' });
      for (const a of actions) {
        const button = el('button', { type: 'button', 'data-action': a }, ACTION_LABELS[a]);
        button.addEventListener('click', () => api.postMessage({ type: 'checkpointAction', action: a, path: c.path }));
        cell.append(button);
      }
      tr.append(cell);
      checkpointTable.append(tr);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // messages

  /**
   * Keeps the running-loss series bounded: every other point of the older half goes (as the host
   * does). True when it thinned.
   */
  function thinIters(): boolean {
    let thinned = false;
    while (iters.length > MAX_PAGE_ITERS) {
      const half = Math.floor(iters.length / 2);
      iters = [...iters.slice(0, half).filter((_, i) => i % 2 === 0), ...iters.slice(half)];
      thinned = true;
    }
    return thinned;
  }

  function apply(message: HostToDashboard): void {
    markReceived(message.type === 'snapshot' || message.type === 'delta' ? message.iters.length : 0);
    switch (message.type) {
      case 'focus':
        setFocus(message.epoch);
        if (message.epoch !== null) focusSection.scrollIntoView({ block: 'nearest' });
        return;
      case 'error':
        messageEl.textContent = message.message;
        messageEl.className = 'error';
        return;
      case 'snapshot':
        header = message.header;
        epochs.clear();
        for (const e of message.epochs) epochs.set(e.epoch, e);
        iters = message.iters.slice();
        thinIters();
        checkpoints = message.checkpoints;
        actions = message.actions;
        messageEl.textContent = '';
        messageEl.className = 'muted';
        if (message.focusEpoch !== null && message.focusEpoch !== undefined) state.focusEpoch = message.focusEpoch;
        api.setState(state);
        renderHeader();
        renderFocus();
        renderCheckpoints();
        invalidate(ALL);
        return;
      case 'delta': {
        if (message.iters.length > 0) {
          // First the chart (what the user watches), then the rest of the page.
          const first = message.iters[0];
          const current = iters[iters.length - 1];
          let restart = false;
          if (first !== undefined && current !== undefined && first.epoch > current.epoch) {
            // A new epoch: its chart starts afresh.
            iters = [];
            restart = true;
          }
          // Only points after the newest held (a repeat is never drawn twice).
          const fresh: IterPoint[] = [];
          for (const p of message.iters) {
            const last = iters[iters.length - 1];
            if (last === undefined || iterAfter(last, p)) {
              iters.push(p);
              fresh.push(p);
            }
          }
          probeReceived(fresh);
          const thinned = thinIters();
          if (fresh.length > 0 || restart) appendIters(fresh, restart || thinned);
        }
        if (JSON.stringify(message.header) !== JSON.stringify(header)) {
          header = message.header;
          renderHeader();
        }
        if (message.epochs.length > 0) {
          for (const e of message.epochs) epochs.set(e.epoch, e);
          invalidate(['loss', 'lr', 'nds', 'tp', 'ap', 'tp-class']);
          if (state.focusEpoch !== null && message.epochs.some((e) => e.epoch === state.focusEpoch)) renderFocus();
        }
        if (message.checkpoints !== undefined) {
          checkpoints = message.checkpoints;
          renderCheckpoints();
        }
        return;
      }
    }
  }

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const checked = checkHostToDashboard(event.data);
    if (!checked.ok) {
      console.warn(`CenterFusion dashboard: ignored a message from the host: ${checked.reason}`);
      return;
    }
    apply(checked.value);
  });

  smoothInput.addEventListener('input', () => {
    const v = Number(smoothInput.value);
    state.smoothing = Number.isFinite(v) && v >= 0 && v < 1 ? v : 0;
    smoothValue.textContent = state.smoothing.toFixed(2);
    api.setState(state);
    invalidate(charts.filter((c) => c.smooth).map((c) => c.id));
  });
  tpSelect.addEventListener('change', () => {
    state.tpError = TP_ERRORS.some(([k]) => k === tpSelect.value) ? tpSelect.value : 'ATE';
    api.setState(state);
    invalidate(['tp-class']);
  });
  logInput.addEventListener('change', () => {
    state.logScale = logInput.checked;
    api.setState(state);
    invalidate(charts.filter((c) => c.log).map((c) => c.id));
  });
  onThemeChange(() => {
    theme = chartTheme();
    invalidate(ALL);
  });
  // The elapsed time of a running run moves on between messages.
  setInterval(() => {
    if (header?.status === 'running') renderHeader();
  }, 1000);

  renderFocus();
  api.postMessage({ type: 'ready' });
}
