/**
 * The command line of "Resume from here" on a checkpoint: the run's own CenterFusion options
 * with --resume and --load_model <checkpoint> (so training continues after that checkpoint's
 * epoch, with its optimizer state, in the same exp folder), and --eval cleared.
 *
 * No vscode import (unit-tested).
 */

import * as path from 'node:path';
import { parseArgv, toArgv, type RawOptions } from '../../shared/options';
import { withoutStudioFlags } from '../evaluate/evaluateArgs';

export interface ResumePlan {
  /** Everything after `--run-id <id>`: the task, then options (toArgv order). */
  args: string[];
  raw: RawOptions;
  task: string;
  exp_id: string;
  num_epochs: number | undefined;
}

/**
 * Builds the resumed training of `checkpoint` from the options of the run that wrote it: its
 * recorded argv, else its config's options. Throws (OptionError with every problem, or a plain
 * Error) when there are no options or they do not parse.
 */
export function planResume(source: { argv?: readonly string[]; raw?: RawOptions }, checkpoint: string): ResumePlan {
  let raw: RawOptions;
  if (source.argv !== undefined && source.argv.length > 0) raw = parseArgv(withoutStudioFlags(source.argv));
  else if (source.raw !== undefined) raw = { ...source.raw };
  else throw new Error('the run records no options (no argv in its run.json and no config)');
  if (raw.eval === true) throw new Error('the run was an evaluation, not a training run');
  const resumed: RawOptions = { ...raw, resume: true, eval: false, load_model: path.resolve(checkpoint) };
  const args = toArgv(resumed);
  const numEpochs = typeof resumed.num_epochs === 'number' ? resumed.num_epochs : undefined;
  return {
    args,
    raw: resumed,
    task: String(resumed.task),
    exp_id: typeof resumed.exp_id === 'string' && resumed.exp_id !== '' ? resumed.exp_id : 'default',
    num_epochs: numEpochs,
  };
}
