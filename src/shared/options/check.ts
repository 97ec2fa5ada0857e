// Semantic checks for a form and before a launch. Never throws: everything is a problem.
import { OPTION_SPECS } from './catalog';
import { DATASET_INFO } from './datasets';
import { chunkSizes } from './resolve';
import type { OptionProblem, OptionValue, RawOptions } from './types';
import { KNOWN_TASKS, closestDest, folderNameProblem, getSpec, parseListText, valueProblem } from './values';

/** The optimizers CenterFusion's main.py can build. */
export const SUPPORTED_OPTIMIZERS: readonly string[] = Object.freeze(['adam', 'sgd']);

/** Longest option text accepted (a path or a comma list); anything longer is a mistake or an attack. */
export const MAX_OPTION_TEXT = 4096;

/**
 * Why an option's text is unsafe to pass to a trainer, or undefined: NUL and other control
 * characters (spawn refuses NUL; newlines would forge log lines), absurd lengths, and a leading
 * `--` (argparse would read the value as another option).
 */
export function unsafeTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL bytes';
  if (/[\u0001-\u001f\u007f]/.test(text)) return `must not contain control characters (line breaks, tabs, escapes), got ${JSON.stringify(text.slice(0, 80))}`;
  if (text.length > MAX_OPTION_TEXT) return `is too long (${text.length} characters, at most ${MAX_OPTION_TEXT})`;
  if (text.startsWith('--')) return `must not start with '--' (it would read as another option), got ${JSON.stringify(text.slice(0, 80))}`;
  return undefined;
}

/** True when at least one problem is an error (a missing severity counts as an error). */
export function hasErrors(problems: readonly OptionProblem[]): boolean {
  return problems.some((p) => p.severity !== 'warning');
}

/**
 * Check options the way a form and a launch need: kinds and bounds, a known task, a safe exp_id
 * (always an error: it becomes a directory), learning-rate schedule and save points inside the
 * run (warnings), val_intervals against num_epochs, batch split, optimizer, and the settings
 * that --pointcloud silently overrides. Missing options count as their defaults.
 */
export function checkOptions(raw: RawOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const error = (option: string, message: string): void => {
    problems.push({ option, message, severity: 'error' });
  };
  const warn = (option: string, message: string): void => {
    problems.push({ option, message, severity: 'warning' });
  };

  // ---- kinds: later checks only look at options whose value is well-formed
  const v: Record<string, OptionValue> = {};
  const bad = new Set<string>();
  for (const spec of OPTION_SPECS) {
    const value = Object.prototype.hasOwnProperty.call(raw, spec.dest) ? raw[spec.dest] : spec.default;
    const problem = valueProblem(spec, value);
    if (problem) {
      error(spec.dest, problem);
      bad.add(spec.dest);
    } else {
      v[spec.dest] = value;
    }
  }
  for (const key of Object.keys(raw)) {
    if (!getSpec(key)) {
      const guess = closestDest(key, ['task']);
      error(key, `unknown option${guess ? `; did you mean ${guess}?` : ''}`);
    }
  }
  // ---- text that could smuggle something into a command line or a path (docs/reliability.md)
  for (const spec of OPTION_SPECS) {
    const value = v[spec.dest];
    if (typeof value !== 'string') continue;
    const problem = unsafeTextProblem(value);
    if (problem) {
      error(spec.dest, problem);
      bad.add(spec.dest);
    }
  }
  const ok = (...dests: string[]): boolean => dests.every((d) => !bad.has(d));
  const num = (dest: string): number => v[dest] as number;
  const numbers = (dest: string): number[] => {
    const parsed = parseListText(getSpec(dest)!, v[dest] as string);
    return parsed.ok ? (parsed.value as number[]) : [];
  };

  // ---- task
  if (ok('task')) {
    const task = v.task as string;
    if (task === '') {
      error('task', `missing the task (one of ${KNOWN_TASKS.join(', ')}, or a combination such as tracking,ddd)`);
    } else {
      const unknown = task.split(',').filter((part) => !KNOWN_TASKS.includes(part));
      if (unknown.length > 0) {
        error('task', `unknown task ${unknown.map((u) => JSON.stringify(u)).join(', ')}: use ${KNOWN_TASKS.join(', ')} or a comma combination such as tracking,ddd`);
      }
    }
  }

  // ---- exp_id becomes exp/<task>/<exp_id>: anything but a plain folder name could escape it
  if (ok('exp_id')) {
    const problem = folderNameProblem(v.exp_id as string);
    if (problem) error('exp_id', problem);
  }

  // ---- bounds
  for (const spec of OPTION_SPECS) {
    if (bad.has(spec.dest) || typeof v[spec.dest] !== 'number' || spec.dest === 'lr') continue;
    const value = num(spec.dest);
    if (spec.min !== undefined && value < spec.min) error(spec.dest, `must be at least ${spec.min}, got ${value}`);
    if (spec.max !== undefined && value > spec.max) error(spec.dest, `must be at most ${spec.max}, got ${value}`);
  }
  if (ok('lr') && num('lr') <= 0) error('lr', `the learning rate must be greater than 0, got ${num('lr')}`);

  // ---- schedule
  const epochs = ok('num_epochs') && num('num_epochs') >= 1 ? num('num_epochs') : undefined;
  if (epochs !== undefined && ok('lr_step')) {
    const steps = numbers('lr_step');
    const outside = steps.filter((s) => s < 1 || s > epochs);
    if (outside.length > 0) {
      warn('lr_step', `${outside.join(', ')} outside 1..${epochs} (num_epochs): the learning rate never drops there`);
    }
    if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) {
      warn('lr_step', 'entries are not in increasing order: CenterFusion takes the drop count from the position in the list, so the schedule would jump around');
    }
  }
  if (epochs !== undefined && ok('save_point')) {
    const outside = numbers('save_point').filter((s) => s < 1 || s > epochs);
    if (outside.length > 0) {
      warn('save_point', `${outside.join(', ')} outside 1..${epochs} (num_epochs): no checkpoint is saved for it`);
    }
  }
  if (epochs !== undefined && ok('val_intervals', 'eval') && !v.eval) {
    const every = num('val_intervals');
    if (every === epochs) {
      error('val_intervals', `equal to num_epochs (${epochs}): CenterFusion only creates the validation loader when val_intervals < num_epochs (or with --eval), yet validates at every multiple of val_intervals, so it crashes at the last epoch. Use a smaller value, or more than num_epochs to never validate`);
    } else if (every > epochs) {
      warn('val_intervals', `${every} is more than num_epochs (${epochs}): no validation${v.run_dataset_eval ? ' and no dataset evaluation' : ''} will run`);
    } else if (every <= 0 && v.run_dataset_eval) {
      warn('val_intervals', `${every} turns validation off, so --run_dataset_eval never runs`);
    }
  }

  // ---- devices and batch split
  if (ok('gpus')) {
    const ids = numbers('gpus');
    if (ids[0] < 0 && ids.length > 1) warn('gpus', `a first id below 0 means CPU: the other ids (${ids.slice(1).join(', ')}) are ignored`);
    if (ids[0] >= 0 && ids.some((id) => id < 0)) error('gpus', 'mixes GPU ids with -1 (CPU); give either GPU ids or -1');
    if (new Set(ids).size !== ids.length) warn('gpus', 'lists the same GPU more than once');
    if (ok('batch_size', 'master_batch_size', 'debug') && num('debug') <= 0 && num('batch_size') >= 1) {
      const numGpus = ids[0] >= 0 ? ids.length : 1;
      const chunks = chunkSizes(num('batch_size'), numGpus, num('master_batch_size'));
      if (chunks.some((c) => c < 0)) {
        error('master_batch_size', `${num('master_batch_size')} is larger than batch_size ${num('batch_size')}`);
      } else if (numGpus > 1 && chunks.some((c) => c === 0)) {
        warn('batch_size', `the split over ${numGpus} GPUs is ${JSON.stringify(chunks)}: some GPU gets no samples; use at least one sample per GPU`);
      }
    }
  }
  if (ok('debug') && num('debug') > 0) {
    warn('debug', 'debug mode trains with batch_size 1, one GPU and no loader workers');
  }

  // ---- model and input
  if (ok('optim') && !SUPPORTED_OPTIMIZERS.includes(v.optim as string)) {
    error('optim', `CenterFusion only builds ${SUPPORTED_OPTIMIZERS.join(' or ')}, got ${JSON.stringify(v.optim)}`);
  }
  if (ok('down_ratio') && num('down_ratio') !== 4) {
    warn('down_ratio', `the networks are built for an output stride of 4, got ${num('down_ratio')}`);
  }
  if (ok('arch') && (v.arch as string).includes('dla')) {
    for (const dest of ['input_res', 'input_h', 'input_w']) {
      if (ok(dest) && num(dest) > 0 && num(dest) % 32 !== 0) {
        warn(dest, `${num(dest)} is not a multiple of 32, which the DLA up-sampling path needs`);
      }
    }
  }
  if (ok('test_scales')) {
    const scales = numbers('test_scales');
    if (scales.some((s) => s <= 0)) error('test_scales', 'every scale must be greater than 0');
    if (scales.length > 1) error('test_scales', `CenterFusion's detector supports a single test scale and stops with an assertion error for ${scales.length}`);
  }
  if (ok('dataset') && !DATASET_INFO[v.dataset as string]) {
    warn('dataset', `${JSON.stringify(v.dataset)} is not a dataset this tool knows (${Object.keys(DATASET_INFO).join(', ')}); only CenterFusion's own factory may have it`);
  }

  // ---- what --pointcloud overrides
  const pillarDefault = getSpec('pillar_dims')!.default;
  if (ok('pointcloud', 'pillar_dims') && v.pointcloud && v.pillar_dims !== pillarDefault) {
    warn('pillar_dims', 'has no effect with --pointcloud: CenterFusion always uses 1.5,0.2,0.2 then');
  }
  return problems;
}
