/**
 * The run store: every known training run, folded from run-protocol events.
 *
 * No vscode import here, so it is unit-testable with node's test runner. The tree views listen
 * through onDidChange and throttle their own refreshes; the store notifies on every change.
 *
 * Folding rules (all idempotent, so re-reading an events file or a repeated line changes nothing):
 * - state keyed by epoch number, checkpoints keyed by file path, warnings and errors keyed by
 *   (time, message);
 * - progress only moves forward: an older `iter` event does not rewind the progress bar;
 * - once a run has ended, late events fill in details but never make it "running" again.
 */

import type {
  CheckpointKind,
  EvalMetrics,
  Phase,
  RunEvent,
  RunStatus,
  Stats,
} from '../../shared/protocol/types';

export type RunState = 'running' | RunStatus;

export interface CheckpointInfo {
  readonly path: string;
  readonly epoch: number;
  readonly kind: CheckpointKind;
  /** From the event's optional `size_bytes` field. */
  readonly size_bytes?: number;
  readonly t: string;
}

export interface EpochInfo {
  readonly epoch: number;
  readonly lr?: number;
  /** The epoch's train averages (from epoch_end). */
  readonly train?: Stats;
  /** Validation averages, null when the epoch had no validation. */
  readonly val?: Stats | null;
  readonly time_min?: number;
  readonly val_time_min?: number;
  /** Checkpoints currently attributed to this epoch (model_last moves to the newest epoch). */
  readonly checkpoints: readonly CheckpointInfo[];
  readonly eval?: EvalMetrics;
  /** True once epoch_end arrived. */
  readonly done: boolean;
}

export interface IterProgress {
  readonly phase: Phase;
  readonly epoch: number | null;
  readonly iter: number;
  readonly num_iters: number;
  readonly losses: Stats;
  readonly eta_s?: number;
  readonly elapsed_s?: number;
}

export interface Run {
  readonly id: string;
  /** The config it was launched from, when known (launched here, or named in run.json). */
  readonly configName?: string;
  /** Workspace folder (root dir) the run belongs to. */
  readonly folder?: string;
  /** The run's own folder (<root>/exp/<task>/<exp_id>/runs/<id>) when known. */
  readonly runDir?: string;
  readonly task?: string;
  readonly exp_id?: string;
  readonly mode?: string;
  readonly save_dir?: string;
  readonly backend?: string;
  readonly argv?: readonly string[];
  readonly opts?: Readonly<Record<string, unknown>>;
  readonly pid?: number;
  readonly status: RunState;
  /** ISO times. */
  readonly started?: string;
  readonly ended?: string;
  readonly exit_code?: number | null;
  readonly signal?: string | null;
  readonly num_epochs?: number;
  /** Highest epoch seen (started or ended). */
  readonly epoch?: number;
  readonly lr?: number;
  /** The newest train losses: running averages while an epoch runs, then the epoch's averages. */
  readonly lastLosses?: Stats;
  readonly epochs: ReadonlyMap<number, EpochInfo>;
  /** One entry per checkpoint file (newest event per path wins). */
  readonly checkpoints: readonly CheckpointInfo[];
  readonly iter?: IterProgress;
  readonly lastEval?: EvalMetrics;
  /** Distinct warning log events. */
  readonly warnings: number;
  /** Bad event lines seen while reading this run. */
  readonly problems: number;
  /** Distinct error events, oldest first. */
  readonly errors: readonly string[];
  /** Set when the status was inferred rather than reported (e.g. a dead pid), with the reason. */
  readonly note?: string;
  /** True while this window owns the trainer process (its stdout feeds the store). */
  readonly attached: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Fields a caller may set directly (launch metadata, run.json facts, process outcome). */
export type RunMeta = Mutable<Partial<
  Pick<
    Run,
    | 'configName'
    | 'folder'
    | 'runDir'
    | 'task'
    | 'exp_id'
    | 'mode'
    | 'save_dir'
    | 'backend'
    | 'pid'
    | 'status'
    | 'started'
    | 'ended'
    | 'exit_code'
    | 'signal'
    | 'num_epochs'
    | 'note'
    | 'attached'
  >
>>;

interface MutableEpoch {
  epoch: number;
  lr?: number;
  train?: Stats;
  val?: Stats | null;
  time_min?: number;
  val_time_min?: number;
  checkpoints: CheckpointInfo[];
  eval?: EvalMetrics;
  done: boolean;
}

interface MutableRun extends Mutable<Omit<Run, 'epochs' | 'checkpoints' | 'errors'>> {
  epochs: Map<number, MutableEpoch>;
  checkpoints: CheckpointInfo[];
  errors: string[];
  /** Keys of the warnings and errors already counted. */
  seen: Set<string>;
  /** Time of the run_end event that set the status, to let the newest one win. */
  endedBy?: string;
}

export interface Disposable {
  dispose(): void;
}

export type RunChangeListener = (runId: string) => void;

/**
 * Every iteration event folded live (apply/applyAll), in the order folded, before the run's
 * change notification: the store itself keeps only the newest iteration (`Run.iter`), so a
 * listener that charts every point (the dashboard) collects them here. Not called by `load`
 * (a run rebuilt from disk), whose events the listener can read back from the run's files.
 */
export type RunIterListener = (runId: string, iters: readonly IterProgress[]) => void;

const PHASE_RANK: Record<Phase, number> = { train: 0, val: 1, test: 2 };

function newRun(id: string): MutableRun {
  return {
    id,
    status: 'running',
    epochs: new Map(),
    checkpoints: [],
    errors: [],
    seen: new Set(),
    warnings: 0,
    problems: 0,
    attached: false,
  };
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Positive integer from a resolved options object (e.g. opts.num_epochs). */
function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export class RunStore {
  private readonly runs = new Map<string, MutableRun>();
  private readonly listeners = new Set<RunChangeListener>();
  private readonly iterListeners = new Set<RunIterListener>();

  /** All runs, in no particular order. */
  all(): Run[] {
    return [...this.runs.values()];
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  get size(): number {
    return this.runs.size;
  }

  onDidChange(listener: RunChangeListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Every iteration event folded live, before the change notification (see RunIterListener). */
  onDidFoldIters(listener: RunIterListener): Disposable {
    this.iterListeners.add(listener);
    return { dispose: () => this.iterListeners.delete(listener) };
  }

  /** Sets metadata fields on a run, creating it when needed. */
  update(id: string, meta: RunMeta): Run {
    const run = this.ensure(id);
    Object.assign(run, stripUndefined(meta));
    this.fire(id);
    return run;
  }

  /** Counts bad event lines (from the reader) against a run. */
  addProblems(id: string, count: number): void {
    if (count <= 0) return;
    const run = this.ensure(id);
    run.problems += count;
    this.fire(id);
  }

  /** Folds one event into its run. Returns the run. */
  apply(event: RunEvent): Run {
    const run = this.ensure(event.run);
    fold(run, event);
    if (event.type === 'iter' && this.iterListeners.size > 0) this.fireIters(run.id, [iterProgress(event)]);
    this.fire(run.id);
    return run;
  }

  /** Folds many events, notifying once per touched run. */
  applyAll(events: readonly RunEvent[]): void {
    const touched = new Set<string>();
    const iters = this.iterListeners.size > 0 ? new Map<string, IterProgress[]>() : undefined;
    for (const event of events) {
      fold(this.ensure(event.run), event);
      touched.add(event.run);
      if (iters !== undefined && event.type === 'iter') {
        let list = iters.get(event.run);
        if (list === undefined) iters.set(event.run, (list = []));
        list.push(iterProgress(event));
      }
    }
    if (iters !== undefined) for (const [id, list] of iters) this.fireIters(id, list);
    for (const id of touched) this.fire(id);
  }

  /**
   * Replaces a run with one rebuilt from scratch: `meta` first, then the events. Used when a
   * run folder is (re)read from disk, so re-reading never double-counts. The config name this
   * window launched it from is kept when the folder does not tell.
   */
  load(id: string, meta: RunMeta, events: readonly RunEvent[], problems = 0): Run {
    const run = newRun(id);
    run.configName = this.runs.get(id)?.configName;
    Object.assign(run, stripUndefined(meta));
    run.problems = problems;
    for (const event of events) if (event.run === id) fold(run, event);
    this.runs.set(id, run);
    this.fire(id);
    return run;
  }

  delete(id: string): void {
    if (this.runs.delete(id)) this.fire(id);
  }

  private ensure(id: string): MutableRun {
    let run = this.runs.get(id);
    if (run === undefined) {
      run = newRun(id);
      this.runs.set(id, run);
    }
    return run;
  }

  private fireIters(id: string, iters: readonly IterProgress[]): void {
    for (const listener of [...this.iterListeners]) {
      try {
        listener(id, iters);
      } catch {
        // A failing listener must not break folding or the other listeners.
      }
    }
  }

  private fire(id: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(id);
      } catch {
        // A failing listener must not break folding or the other listeners.
      }
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}

function epochOf(run: MutableRun, epoch: number): MutableEpoch {
  let entry = run.epochs.get(epoch);
  if (entry === undefined) {
    entry = { epoch, checkpoints: [], done: false };
    run.epochs.set(epoch, entry);
  }
  return entry;
}

function seeEpoch(run: MutableRun, epoch: number): void {
  if (run.epoch === undefined || epoch > run.epoch) run.epoch = epoch;
}

/** True when progress (epoch, phase, iter) `b` is not behind `a`. */
function notBehind(a: IterProgress | undefined, b: IterProgress): boolean {
  if (a === undefined) return true;
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (eb !== ea) return eb > ea;
  if (a.phase !== b.phase) return PHASE_RANK[b.phase] > PHASE_RANK[a.phase];
  return b.iter >= a.iter;
}

/** The highest epoch that has ended. */
function lastDoneEpoch(run: MutableRun): number {
  let best = 0;
  for (const e of run.epochs.values()) if (e.done && e.epoch > best) best = e.epoch;
  return best;
}

function iterProgress(event: Extract<RunEvent, { type: 'iter' }>): IterProgress {
  return {
    phase: event.phase,
    epoch: event.epoch,
    iter: event.iter,
    num_iters: event.num_iters,
    losses: event.losses,
    eta_s: event.eta_s,
    elapsed_s: event.elapsed_s,
  };
}

function fold(run: MutableRun, event: RunEvent): void {
  switch (event.type) {
    case 'run_start': {
      run.task = event.task;
      run.exp_id = event.exp_id;
      run.mode = event.mode;
      run.argv = event.argv;
      run.opts = event.opts;
      run.save_dir = event.save_dir;
      run.backend = event.backend;
      run.started = event.t;
      run.num_epochs = positiveInt(event.opts['num_epochs']) ?? run.num_epochs;
      const pid = positiveInt(event['pid']);
      if (pid !== undefined) run.pid = pid;
      break;
    }
    case 'options':
      if (run.opts === undefined) run.opts = event.opts;
      run.num_epochs ??= positiveInt(event.opts['num_epochs']);
      break;
    case 'epoch_start': {
      const entry = epochOf(run, event.epoch);
      entry.lr = finiteNumber(event.lr) ?? entry.lr;
      if (run.epoch === undefined || event.epoch >= run.epoch) run.lr = entry.lr ?? run.lr;
      seeEpoch(run, event.epoch);
      if (run.started === undefined) run.started = event.t;
      break;
    }
    case 'iter': {
      const progress = iterProgress(event);
      if (event.epoch !== null) {
        epochOf(run, event.epoch);
        seeEpoch(run, event.epoch);
      }
      if (notBehind(run.iter, progress)) {
        run.iter = progress;
        // Running averages only stand in for the newest losses while no later epoch has ended.
        if (event.phase === 'train' && (event.epoch ?? 0) > lastDoneEpoch(run)) run.lastLosses = event.losses;
      }
      break;
    }
    case 'epoch_end': {
      const entry = epochOf(run, event.epoch);
      entry.train = event.train;
      entry.val = event.val;
      entry.time_min = finiteNumber(event.time_min);
      entry.val_time_min = finiteNumber(event.val_time_min);
      entry.done = true;
      seeEpoch(run, event.epoch);
      if (event.epoch >= lastDoneEpoch(run)) run.lastLosses = event.train;
      break;
    }
    case 'lr_change':
      if (run.epoch === undefined || event.epoch >= run.epoch) run.lr = finiteNumber(event.lr) ?? run.lr;
      break;
    case 'checkpoint':
      addCheckpoint(run, {
        path: event.path,
        epoch: event.epoch,
        kind: event.kind,
        size_bytes: finiteNumber(event['size_bytes']),
        t: event.t,
      });
      break;
    case 'eval':
      if (event.epoch !== null) epochOf(run, event.epoch).eval = event.metrics;
      run.lastEval = event.metrics;
      break;
    case 'log':
      if (event.level === 'warning') {
        const key = `w|${event.t}|${event.message}`;
        if (!run.seen.has(key)) {
          run.seen.add(key);
          run.warnings++;
        }
      }
      break;
    case 'error': {
      const key = `e|${event.t}|${event.message}`;
      if (!run.seen.has(key)) {
        run.seen.add(key);
        const kind = event.error_type ?? 'Error';
        run.errors.push(`${kind}: ${event.message}`);
      }
      break;
    }
    case 'run_end':
      // The newest run_end wins; an identical repeat changes nothing.
      if (run.endedBy === undefined || run.endedBy <= event.t) {
        run.status = event.status;
        run.ended = event.t;
        run.endedBy = event.t;
        if (event.exit_code !== undefined) run.exit_code = event.exit_code;
        if (event.signal !== undefined) run.signal = event.signal;
        run.note = typeof event['reason'] === 'string' ? event['reason'] : run.note;
      }
      break;
  }
}

function addCheckpoint(run: MutableRun, info: CheckpointInfo): void {
  const index = run.checkpoints.findIndex((c) => c.path === info.path);
  if (index >= 0) {
    const old = run.checkpoints[index];
    // Keep the newer announcement (a later epoch, or the same epoch written later).
    if (old.epoch > info.epoch || (old.epoch === info.epoch && old.t >= info.t)) return;
    run.checkpoints[index] = info;
    const oldEpoch = run.epochs.get(old.epoch);
    if (oldEpoch !== undefined) oldEpoch.checkpoints = oldEpoch.checkpoints.filter((c) => c.path !== info.path);
  } else {
    run.checkpoints.push(info);
  }
  const entry = epochOf(run, info.epoch);
  entry.checkpoints = [...entry.checkpoints.filter((c) => c.path !== info.path), info];
}
