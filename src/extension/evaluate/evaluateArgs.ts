/**
 * The command line of an evaluation: the run's own CenterFusion options with --eval,
 * --load_model <checkpoint> and --run_dataset_eval set (and --resume cleared, since an
 * evaluation must load exactly the checkpoint that was picked).
 *
 * No vscode import (unit-tested).
 */

import * as path from 'node:path';
import { parseArgv, toArgv, type RawOptions } from '../../shared/options';

/** Studio-only flags the trainer takes before CenterFusion's options (not CenterFusion options). */
const STUDIO_FLAGS = ['--root-dir', '--run-id'];

/** Removes `--root-dir X`, `--root-dir=X`, `--run-id X` and `--run-id=X` from a trainer argv. */
export function withoutStudioFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (STUDIO_FLAGS.includes(token)) {
      i++; // skip its value too
      continue;
    }
    if (STUDIO_FLAGS.some((flag) => token.startsWith(`${flag}=`))) continue;
    out.push(token);
  }
  return out;
}

export interface EvaluationPlan {
  /** Everything after `--run-id <id>`: the task, then options (toArgv order). */
  args: string[];
  raw: RawOptions;
  task: string;
  exp_id: string;
}

/**
 * Builds the evaluation of `checkpoint` from the options of the run that wrote it: either its
 * recorded argv (run_start / run.json) or, when that is missing, options from its config.
 * Throws OptionError (with every problem) when the options do not parse.
 */
export function planEvaluation(source: { argv?: readonly string[]; raw?: RawOptions }, checkpoint: string): EvaluationPlan {
  let raw: RawOptions;
  if (source.argv !== undefined && source.argv.length > 0) raw = parseArgv(withoutStudioFlags(source.argv));
  else if (source.raw !== undefined) raw = { ...source.raw };
  else throw new Error('the run records no options (no argv in its run.json and no config)');
  const evalRaw: RawOptions = { ...raw, eval: true, run_dataset_eval: true, resume: false, load_model: path.resolve(checkpoint) };
  const args = toArgv(evalRaw);
  return { args, raw: evalRaw, task: String(evalRaw.task), exp_id: typeof evalRaw.exp_id === 'string' && evalRaw.exp_id !== '' ? evalRaw.exp_id : 'default' };
}

/**
 * Where the metrics_summary.json of a finished evaluation may be, best first: the copy in the
 * run folder (eval/eval/), then CenterFusion's place under save_dir.
 */
export function summaryCandidates(runDir: string | undefined, saveDir: string | undefined, valSplit: string): string[] {
  const out: string[] = [];
  if (runDir !== undefined) out.push(path.join(runDir, 'eval', 'eval', 'metrics_summary.json'));
  if (saveDir !== undefined) out.push(path.join(saveDir, `nuscenes_eval_det_output_${valSplit}`, 'metrics_summary.json'));
  return out;
}

/** Runs jobs one after another (evaluations of several checkpoints queue up). */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Number of jobs queued or running. */
  get size(): number {
    return this.waiting;
  }

  push(job: () => Promise<void>): Promise<void> {
    this.waiting++;
    const next = this.tail.then(job).catch(() => undefined).finally(() => {
      this.waiting--;
    });
    this.tail = next;
    return next;
  }
}

/** A checkpoint named by a command argument: its file, and its run when the argument says. */
export interface CheckpointRef {
  file?: string;
  runId?: string;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the shapes the Evaluate command is called with:
 * - a file URI (explorer context menu; the dashboard's list) or a path string;
 * - a Checkpoints tree node `{kind: 'checkpoint', runId, path}`;
 * - a checkpoint target `{file, runId, checkpoint}` or `{runId, path}` / `{path}` / `{file}`
 *   (the dashboard's checkpoint list).
 * Undefined for anything else (the command then asks with a quick pick).
 */
export function checkpointRef(arg: unknown): CheckpointRef | undefined {
  if (typeof arg === 'string') return arg.trim() === '' ? undefined : { file: arg };
  if (!isObj(arg)) return undefined;
  // A vscode.Uri (structurally: the command module passes real ones, tests plain objects).
  if (typeof arg.scheme === 'string' && typeof arg.fsPath === 'string') return arg.scheme === 'file' ? { file: arg.fsPath } : undefined;
  const runId = typeof arg.runId === 'string' && arg.runId !== '' ? arg.runId : undefined;
  if (arg.kind !== undefined && arg.kind !== 'checkpoint') return undefined; // a run node, not a checkpoint
  const file = typeof arg.file === 'string' && arg.file !== '' ? arg.file : typeof arg.path === 'string' && arg.path !== '' ? arg.path : undefined;
  return file === undefined ? undefined : { file, runId };
}

/**
 * The options of a Python evaluation as a config's "options" (for planPythonLaunch, with
 * CenterFusion's test.py as the script, as its experiments/test.sh does): the run's options (its
 * recorded argv `[script, task, ...]`, else its config's options) with --load_model <checkpoint>
 * and --run_dataset_eval, --resume and --eval cleared (test.py evaluates by itself).
 * Throws OptionError.
 */
export function planPythonEvaluation(source: { argv?: readonly string[]; options?: Record<string, unknown> }, checkpoint: string): { task?: string; options: Record<string, unknown> } {
  let options: Record<string, unknown>;
  let task: string | undefined;
  if (source.argv !== undefined && source.argv.length > 0) {
    const argv = [...source.argv];
    if (/\.py$/.test(argv[0] ?? '')) argv.shift(); // main.py / test.py
    const raw = parseArgv(withoutStudioFlags(argv));
    task = String(raw.task);
    const { task: _task, ...rest } = raw;
    void _task;
    options = rest;
  } else if (source.options !== undefined) options = { ...source.options };
  else throw new Error('the run records no options (no argv in its run.json and no config)');
  delete options['print_iter']; // the launch adds its own unless the user set one in the config
  if (source.options !== undefined && source.options['print_iter'] !== undefined) options['print_iter'] = source.options['print_iter'];
  delete options['eval'];
  return { task, options: { ...options, run_dataset_eval: true, resume: false, load_model: path.resolve(checkpoint) } };
}

export type QueueState = 'queued' | 'running';

export interface QueueEntry {
  readonly id: number;
  readonly label: string;
  readonly state: QueueState;
}

/**
 * Evaluations, one at a time, in order, visible: entries() lists the running one and those
 * waiting; a waiting one can be cancelled; listeners hear every change. A failing job does not
 * stop the queue.
 */
export class EvaluationQueue {
  private readonly waiting: { id: number; label: string; job: () => Promise<void>; done: () => void }[] = [];
  private running: { id: number; label: string } | undefined;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(): void {
    for (const l of [...this.listeners]) l();
  }

  /** The running entry first, then the waiting ones in order. */
  entries(): QueueEntry[] {
    const out: QueueEntry[] = [];
    if (this.running !== undefined) out.push({ ...this.running, state: 'running' });
    for (const w of this.waiting) out.push({ id: w.id, label: w.label, state: 'queued' });
    return out;
  }

  get size(): number {
    return this.waiting.length + (this.running !== undefined ? 1 : 0);
  }

  /** Queues a job; the promise settles when it has run (or was cancelled). */
  push(label: string, job: () => Promise<void>): { id: number; done: Promise<void> } {
    const id = this.nextId++;
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    this.waiting.push({ id, label, job, done });
    this.fire();
    this.pump();
    return { id, done: settled };
  }

  /** Removes a waiting entry; false when it is running or unknown. */
  cancel(id: number): boolean {
    const i = this.waiting.findIndex((w) => w.id === id);
    if (i < 0) return false;
    const [w] = this.waiting.splice(i, 1);
    w.done();
    this.fire();
    return true;
  }

  private pump(): void {
    if (this.running !== undefined) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.running = { id: next.id, label: next.label };
    this.fire();
    void Promise.resolve()
      .then(next.job)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        next.done();
        this.fire();
        this.pump();
      });
  }
}
