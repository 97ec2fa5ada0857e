/**
 * The dashboard webview's message contract (host ↔ page), used by both sides. Every message is
 * checked with the validators below on arrival; a message that fails is dropped and its reason
 * logged. No vscode or DOM imports.
 *
 * Flow: the page posts `ready`; the host answers with one `snapshot` (everything it knows about
 * the run), then sends `delta`s (throttled) carrying only what changed: the header, the epochs
 * whose numbers changed, the iteration points appended since the last message, and the
 * checkpoint list when it changed. The page posts `checkpointAction` for a checkpoint the host
 * listed; the host acts only on paths that are in the run's own checkpoint list.
 */

export const DASHBOARD_VIEW_TYPE = 'centerfusion.dashboard';

export type Num = number | null;

export interface DashboardHeader {
  runId: string;
  title: string;
  status: 'running' | 'completed' | 'failed' | 'stopped' | 'killed';
  epoch: number | null;
  numEpochs: number | null;
  /** Seconds left in the current phase (from the last iteration event), while running. */
  etaS: number | null;
  backend: string | null;
  started: string | null;
  ended: string | null;
  bestNds: number | null;
  bestNdsEpoch: number | null;
  note: string | null;
}

export interface EvalPoint {
  NDS: Num;
  mAP: Num;
  mATE: Num;
  mASE: Num;
  mAOE: Num;
  mAVE: Num;
  mAAE: Num;
  /** AP per class. */
  ap: Record<string, Num>;
  /** The five TP errors per class (ATE, ASE, AOE, AVE, AAE), when the evaluation gave them. */
  tp?: Record<string, Record<string, Num>>;
}

/** The per-class TP error keys, in the devkit's order, with their names. */
export const TP_ERRORS = [
  ['ATE', 'translation'],
  ['ASE', 'scale'],
  ['AOE', 'orientation'],
  ['AVE', 'velocity'],
  ['AAE', 'attribute'],
] as const;

export interface EpochPoint {
  epoch: number;
  lr: Num;
  train: Record<string, Num>;
  val: Record<string, Num> | null;
  eval: EvalPoint | null;
}

export interface IterPoint {
  epoch: number;
  iter: number;
  numIters: number;
  losses: Record<string, Num>;
}

export interface CheckpointRow {
  path: string;
  name: string;
  epoch: number;
  kind: 'last' | 'epoch' | 'save_point';
  sizeBytes: number | null;
  t: string;
  nds: Num;
}

export type CheckpointAction = 'copyPath' | 'reveal' | 'evaluate' | 'resume';
export const CHECKPOINT_ACTIONS: readonly CheckpointAction[] = ['copyPath', 'reveal', 'evaluate', 'resume'];

export interface SnapshotMessage {
  type: 'snapshot';
  header: DashboardHeader;
  epochs: EpochPoint[];
  /** Running train losses of the current epoch, oldest first. */
  iters: IterPoint[];
  checkpoints: CheckpointRow[];
  /** The checkpoint actions available in this window (evaluate/resume need their commands). */
  actions: CheckpointAction[];
  /** The epoch to highlight (an epoch row was clicked), or null. */
  focusEpoch: number | null;
}

export interface DeltaMessage {
  type: 'delta';
  header: DashboardHeader;
  /** Epochs that are new or changed, replacing the page's copy of each. */
  epochs: EpochPoint[];
  /** Iteration points to append; when their epoch differs from the page's, the page starts afresh. */
  iters: IterPoint[];
  /** The whole checkpoint list, only when it changed. */
  checkpoints?: CheckpointRow[];
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** Highlight one epoch (an epoch row was clicked while the panel was open); null clears. */
export interface FocusMessage {
  type: 'focus';
  epoch: number | null;
}

export type HostToDashboard = SnapshotMessage | DeltaMessage | ErrorMessage | FocusMessage;

export type DashboardToHost =
  | { type: 'ready' }
  | { type: 'checkpointAction'; action: CheckpointAction; path: string };

/** What the page saves with setState (and the serializer reads back after a reload). */
export interface DashboardState {
  runId: string;
  smoothing: number;
  logScale: boolean;
  /** The highlighted epoch, or null. */
  focusEpoch: number | null;
  /** Which TP error the per-class chart shows (one of TP_ERRORS' keys). */
  tpError: string;
}

/** A validation result: the message, or why it was rejected. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------
// validators

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isNum(v: unknown): v is Num {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}
function isOptStr(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}
function isStats(v: unknown): v is Record<string, Num> {
  return isObj(v) && Object.values(v).every(isNum);
}
function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
function isOptInt(v: unknown): v is number | null {
  return v === null || isInt(v);
}

const STATUSES = ['running', 'completed', 'failed', 'stopped', 'killed'];
const KINDS = ['last', 'epoch', 'save_point'];

/** Why `v` is not a header, or undefined when it is one. */
export function headerProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'header is not an object';
  if (typeof v.runId !== 'string' || v.runId === '') return 'header.runId is not a non-empty string';
  if (typeof v.title !== 'string') return 'header.title is not a string';
  if (typeof v.status !== 'string' || !STATUSES.includes(v.status)) return `header.status ${JSON.stringify(v.status)} is not a run status`;
  for (const key of ['epoch', 'numEpochs', 'bestNdsEpoch'] as const) if (!isOptInt(v[key])) return `header.${key} is not an integer or null`;
  for (const key of ['etaS', 'bestNds'] as const) if (!isNum(v[key])) return `header.${key} is not a number or null`;
  for (const key of ['backend', 'started', 'ended', 'note'] as const) if (!isOptStr(v[key])) return `header.${key} is not a string or null`;
  return undefined;
}

function evalProblem(v: unknown): string | undefined {
  if (v === null) return undefined;
  if (!isObj(v)) return 'eval is not an object';
  for (const key of ['NDS', 'mAP', 'mATE', 'mASE', 'mAOE', 'mAVE', 'mAAE'] as const) if (!isNum(v[key])) return `eval.${key} is not a number or null`;
  if (!isStats(v.ap)) return 'eval.ap is not a map of numbers';
  if (v.tp !== undefined && !(isObj(v.tp) && Object.values(v.tp).every(isStats))) return 'eval.tp is not a map of maps of numbers';
  return undefined;
}

function epochProblem(v: unknown, i: number): string | undefined {
  if (!isObj(v)) return `epochs[${i}] is not an object`;
  if (!isInt(v.epoch)) return `epochs[${i}].epoch is not an integer`;
  if (!isNum(v.lr)) return `epochs[${i}].lr is not a number or null`;
  if (!isStats(v.train)) return `epochs[${i}].train is not a map of numbers`;
  if (v.val !== null && !isStats(v.val)) return `epochs[${i}].val is not a map of numbers or null`;
  const e = evalProblem(v.eval);
  return e === undefined ? undefined : `epochs[${i}].${e}`;
}

function iterProblem(v: unknown, i: number): string | undefined {
  if (!isObj(v)) return `iters[${i}] is not an object`;
  if (!isInt(v.epoch) || !isInt(v.iter) || !isInt(v.numIters)) return `iters[${i}] epoch/iter/numIters are not integers`;
  if (!isStats(v.losses)) return `iters[${i}].losses is not a map of numbers`;
  return undefined;
}

function checkpointProblem(v: unknown, i: number): string | undefined {
  if (!isObj(v)) return `checkpoints[${i}] is not an object`;
  if (typeof v.path !== 'string' || typeof v.name !== 'string' || typeof v.t !== 'string') return `checkpoints[${i}] path/name/t are not strings`;
  if (!isInt(v.epoch)) return `checkpoints[${i}].epoch is not an integer`;
  if (typeof v.kind !== 'string' || !KINDS.includes(v.kind)) return `checkpoints[${i}].kind is not a checkpoint kind`;
  if (!isNum(v.sizeBytes) || !isNum(v.nds)) return `checkpoints[${i}] sizeBytes/nds are not numbers or null`;
  return undefined;
}

function listProblem(v: unknown, name: string, item: (x: unknown, i: number) => string | undefined): string | undefined {
  if (!Array.isArray(v)) return `${name} is not an array`;
  for (let i = 0; i < v.length; i++) {
    const p = item(v[i], i);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Checks a message arriving in the page. */
export function checkHostToDashboard(v: unknown): Checked<HostToDashboard> {
  if (!isObj(v)) return { ok: false, reason: 'message is not an object' };
  let problem: string | undefined;
  switch (v.type) {
    case 'snapshot':
      problem =
        headerProblem(v.header) ??
        listProblem(v.epochs, 'epochs', epochProblem) ??
        listProblem(v.iters, 'iters', iterProblem) ??
        listProblem(v.checkpoints, 'checkpoints', checkpointProblem) ??
        listProblem(v.actions, 'actions', (a, i) => (typeof a === 'string' && (CHECKPOINT_ACTIONS as readonly string[]).includes(a) ? undefined : `actions[${i}] is not an action`)) ??
        (v.focusEpoch === undefined || isOptInt(v.focusEpoch) ? undefined : 'focusEpoch is not an integer or null');
      break;
    case 'focus':
      problem = isOptInt(v.epoch) ? undefined : 'focus.epoch is not an integer or null';
      break;
    case 'delta':
      problem =
        headerProblem(v.header) ??
        listProblem(v.epochs, 'epochs', epochProblem) ??
        listProblem(v.iters, 'iters', iterProblem) ??
        (v.checkpoints === undefined ? undefined : listProblem(v.checkpoints, 'checkpoints', checkpointProblem));
      break;
    case 'error':
      problem = typeof v.message === 'string' ? undefined : 'error.message is not a string';
      break;
    default:
      problem = `unknown message type ${JSON.stringify(v.type)}`;
  }
  // The checks above prove the shape field by field.
  return problem === undefined ? { ok: true, value: v as unknown as HostToDashboard } : { ok: false, reason: problem };
}

/** Checks a message arriving in the host from the page. */
export function checkDashboardToHost(v: unknown): Checked<DashboardToHost> {
  if (!isObj(v)) return { ok: false, reason: 'message is not an object' };
  if (v.type === 'ready') return { ok: true, value: { type: 'ready' } };
  if (v.type === 'checkpointAction') {
    if (typeof v.action !== 'string' || !(CHECKPOINT_ACTIONS as readonly string[]).includes(v.action)) {
      return { ok: false, reason: `unknown checkpoint action ${JSON.stringify(v.action)}` };
    }
    if (typeof v.path !== 'string' || v.path === '' || v.path.length > 4096) return { ok: false, reason: 'checkpointAction.path is not a path' };
    return { ok: true, value: { type: 'checkpointAction', action: v.action as CheckpointAction, path: v.path } };
  }
  return { ok: false, reason: `unknown message type ${JSON.stringify(v.type)}` };
}

/** The saved page state, or undefined when it is not one (an older page's state, corrupt). */
export function checkDashboardState(v: unknown): DashboardState | undefined {
  if (!isObj(v) || typeof v.runId !== 'string' || v.runId === '') return undefined;
  const smoothing = typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing < 1 ? v.smoothing : 0;
  const focusEpoch = isInt(v.focusEpoch) ? v.focusEpoch : null;
  const tpError = TP_ERRORS.some(([k]) => k === v.tpError) ? (v.tpError as string) : 'ATE';
  return { runId: v.runId, smoothing, logScale: v.logScale === true, focusEpoch, tpError };
}

// ---------------------------------------------------------------------------------------------
// smoothing

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` in [0, 1),
 * debiased (divided by 1 - weight^n) so that the first points are not pulled towards zero.
 * Null and non-finite values stay null and do not advance the average.
 */
export function emaSmooth(values: readonly Num[], weight: number): Num[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

// ---------------------------------------------------------------------------------------------
// comparison of several runs (a second page, same contract file)

export const COMPARE_VIEW_TYPE = 'centerfusion.compare';

export interface CompareRun {
  header: DashboardHeader;
  epochs: EpochPoint[];
}

export interface CompareOptionRow {
  option: string;
  /** One value per run, in the order of `runs` (JSON text; '' where the run does not set it). */
  values: string[];
}

export interface CompareMessage {
  type: 'compare';
  runs: CompareRun[];
  differing: CompareOptionRow[];
}

export type HostToCompare = CompareMessage | ErrorMessage;
export type CompareToHost = { type: 'ready' };

export interface CompareState {
  runIds: string[];
  logScale: boolean;
}

export function checkHostToCompare(v: unknown): Checked<HostToCompare> {
  if (!isObj(v)) return { ok: false, reason: 'message is not an object' };
  if (v.type === 'error') return typeof v.message === 'string' ? { ok: true, value: { type: 'error', message: v.message } } : { ok: false, reason: 'error.message is not a string' };
  if (v.type !== 'compare') return { ok: false, reason: `unknown message type ${JSON.stringify(v.type)}` };
  const problem =
    listProblem(v.runs, 'runs', (r, i) => {
      if (!isObj(r)) return `runs[${i}] is not an object`;
      const h = headerProblem(r.header);
      if (h !== undefined) return `runs[${i}].${h}`;
      const e = listProblem(r.epochs, 'epochs', epochProblem);
      return e === undefined ? undefined : `runs[${i}].${e}`;
    }) ??
    listProblem(v.differing, 'differing', (r, i) =>
      isObj(r) && typeof r.option === 'string' && Array.isArray(r.values) && r.values.every((x) => typeof x === 'string') ? undefined : `differing[${i}] is not an option row`,
    );
  // The checks above prove the shape field by field.
  return problem === undefined ? { ok: true, value: v as unknown as CompareMessage } : { ok: false, reason: problem };
}

export function checkCompareToHost(v: unknown): Checked<CompareToHost> {
  return isObj(v) && v.type === 'ready' ? { ok: true, value: { type: 'ready' } } : { ok: false, reason: `unknown message ${JSON.stringify(isObj(v) ? v.type : v)}` };
}

export function checkCompareState(v: unknown): CompareState | undefined {
  if (!isObj(v) || !Array.isArray(v.runIds) || v.runIds.length === 0 || !v.runIds.every((x) => typeof x === 'string')) return undefined;
  return { runIds: v.runIds as string[], logScale: v.logScale === true };
}

/** The options whose values differ between runs (resolved options, JSON-compared), sorted by name. */
export function differingOptions(opts: readonly (Readonly<Record<string, unknown>> | undefined)[], ignore: readonly string[] = []): CompareOptionRow[] {
  const keys = new Set<string>();
  for (const o of opts) for (const k of Object.keys(o ?? {})) keys.add(k);
  const rows: CompareOptionRow[] = [];
  for (const key of [...keys].sort()) {
    if (ignore.includes(key)) continue;
    const values = opts.map((o) => (o !== undefined && key in o ? JSON.stringify(o[key]) : ''));
    if (new Set(values).size > 1) rows.push({ option: key, values });
  }
  return rows;
}
