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
