/**
 * Python trainer configs: reading the `trainer` object of a config and turning the config into
 * the command line of a CenterFusion run.
 *
 *   "trainer": {"python": "", "root": "../CenterFusion", "script": "main.py", "env": {"CUDA_VISIBLE_DEVICES": "0"}}
 *
 * - `python`: the interpreter; empty or absent lets the extension choose (interpreter.ts);
 * - `root`: the CenterFusion checkout (absolute, or relative to the workspace folder); the run
 *   starts in its `src/`, where CenterFusion's relative paths expect it;
 * - `script`: `main.py` (default) or `test.py`;
 * - `env`: extra environment variables (strings; numbers and booleans are written as text).
 *
 * The launch is `<python> <script> <task> ...toArgv(options)`, with PYTHONUNBUFFERED=1 and
 * `--print_iter N` added when the options do not set one, because CenterFusion's progress bar
 * prints nothing when its output is not a terminal and Python holds piped stdout in a buffer.
 *
 * No vscode import (unit-tested). Never throws.
 */

import * as path from 'node:path';
import { checkOptions, hasErrors, optionsFromConfig, toArgv, type OptionProblem, type RawOptions } from '../../shared/options';

export const PYTHON_SCRIPTS = ['main.py', 'test.py'] as const;
export type PythonScript = (typeof PYTHON_SCRIPTS)[number];

/** `--print_iter` value added when a config does not set one. */
export const DEFAULT_PRINT_ITER = 1;

export interface PythonTrainerSpec {
  /** The interpreter the config names; undefined when it leaves the choice to the extension. */
  python?: string;
  /** Absolute path of the CenterFusion checkout. */
  root: string;
  script: PythonScript;
  env: Record<string, string>;
}

export interface PythonConfigInput {
  /** The workspace folder of the config (relative roots are resolved against it). */
  folder: string;
  task: string;
  /** The config's `trainer` object, as written. */
  trainer: Record<string, unknown>;
  /** The config's `options` object, as written. */
  options: Record<string, unknown>;
}

export interface PythonLaunchPlan {
  spec: PythonTrainerSpec;
  /** Arguments after the interpreter: the script, the task, then the options. */
  args: string[];
  /** <root>/src. */
  cwd: string;
  /** Variables set on top of the extension host's environment. */
  env: Record<string, string>;
  /** Validated options (every option, defaults included). */
  raw: RawOptions;
  expId: string;
  /** CenterFusion's save_dir: <root>/exp/<task>/<exp_id>. */
  saveDir: string;
  /** What was added to the user's command line and environment, and why (one line). */
  explanation: string;
  /** Option warnings (errors make the plan undefined). */
  warnings: OptionProblem[];
}

export type PlanResult = { ok: true; plan: PythonLaunchPlan } | { ok: false; problems: string[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a config's `trainer` object. Problems are sentences for the user. */
export function readPythonTrainer(trainer: Record<string, unknown>, folder: string): { spec?: PythonTrainerSpec; problems: string[] } {
  const problems: string[] = [];
  let python: string | undefined;
  if (trainer['python'] !== undefined && trainer['python'] !== null) {
    if (typeof trainer['python'] !== 'string') problems.push('"trainer.python" must be a string: the interpreter, or "" to let CenterFusion Studio find one');
    else if (trainer['python'].trim() !== '') python = trainer['python'].trim();
  }
  let root = '';
  if (typeof trainer['root'] !== 'string' || trainer['root'].trim() === '') {
    problems.push('"trainer.root" is required: the folder of your CenterFusion checkout (the one holding src/main.py)');
  } else {
    root = path.resolve(folder, trainer['root'].trim());
  }
  let script: PythonScript = 'main.py';
  if (trainer['script'] !== undefined) {
    const s = trainer['script'];
    if (typeof s === 'string' && (PYTHON_SCRIPTS as readonly string[]).includes(s)) script = s as PythonScript;
    else problems.push(`"trainer.script" must be "main.py" or "test.py", got ${JSON.stringify(s)}`);
  }
  const env: Record<string, string> = {};
  if (trainer['env'] !== undefined) {
    if (!isObject(trainer['env'])) problems.push('"trainer.env" must be an object of variable name -> value');
    else {
      for (const [name, value] of Object.entries(trainer['env'])) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push(`"trainer.env": "${name}" is not a variable name`);
        else if (typeof value === 'string') env[name] = value;
        else if (typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
        else problems.push(`"trainer.env.${name}" must be a string`);
      }
    }
  }
  for (const key of Object.keys(trainer)) {
    if (!['python', 'root', 'script', 'env'].includes(key)) problems.push(`"trainer.${key}" is not a Python trainer setting (python, root, script, env)`);
  }
  if (problems.length > 0) return { problems };
  return { spec: { python, root, script, env }, problems };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function optionProblems(err: unknown): string[] {
  if (isObject(err) && Array.isArray(err['problems'])) {
    return err['problems'].filter(isObject).map((p) => `${String(p['option'] ?? '')}: ${String(p['message'] ?? '')}`);
  }
  return [messageOf(err)];
}

/** The launch of a Python config, or why it cannot be launched. Never throws. */
export function planPythonLaunch(input: PythonConfigInput, printIter = DEFAULT_PRINT_ITER): PlanResult {
  const { spec, problems } = readPythonTrainer(input.trainer, input.folder);
  if (spec === undefined) return { ok: false, problems };
  let raw: RawOptions;
  let args: string[];
  let warnings: OptionProblem[];
  try {
    raw = optionsFromConfig(input.options, input.task);
    const checked = checkOptions(raw);
    if (hasErrors(checked)) return { ok: false, problems: checked.filter((p) => p.severity !== 'warning').map((p) => `${p.option}: ${p.message}`) };
    warnings = checked.filter((p) => p.severity === 'warning');
    args = toArgv(raw);
  } catch (err) {
    return { ok: false, problems: optionProblems(err) };
  }
  const added: string[] = [];
  const userSetPrintIter = Object.prototype.hasOwnProperty.call(input.options, 'print_iter');
  if (!userSetPrintIter) {
    const n = Number.isInteger(printIter) && printIter > 0 ? printIter : DEFAULT_PRINT_ITER;
    // Before the task: toArgv puts the task first unless it looks like an option, then `--` precedes it.
    const dashDash = args.indexOf('--');
    if (dashDash >= 0) args.splice(dashDash, 0, '--print_iter', String(n));
    else args.push('--print_iter', String(n));
    added.push(`--print_iter ${n} (CenterFusion's progress bar prints nothing when its output is not a terminal; print_iter lines do)`);
  }
  const env: Record<string, string> = { ...spec.env };
  if (env['PYTHONUNBUFFERED'] === undefined) {
    env['PYTHONUNBUFFERED'] = '1';
    added.push('PYTHONUNBUFFERED=1 (Python holds piped output in a buffer; unbuffered, progress arrives as it is printed)');
  }
  const expIdValue = input.options['exp_id'];
  const expId = typeof expIdValue === 'string' && expIdValue !== '' ? expIdValue : 'default';
  const explanation =
    added.length > 0 ? `added ${added.join(' and ')}` : 'nothing added: the config sets print_iter and PYTHONUNBUFFERED itself';
  return {
    ok: true,
    plan: {
      spec,
      args: [spec.script, ...args],
      cwd: path.join(spec.root, 'src'),
      env,
      raw,
      expId,
      saveDir: path.join(spec.root, 'exp', input.task, expId),
      explanation,
      warnings,
    },
  };
}

/**
 * The first executable called `name` on a PATH-like list, or undefined. A name with a slash is
 * checked as it is (relative to `cwd`). Async; never throws.
 */
export async function findExecutable(name: string, pathList: string | undefined, cwd: string): Promise<string | undefined> {
  const { promises: fsp, constants } = await import('node:fs');
  const executable = async (file: string): Promise<boolean> => {
    try {
      await fsp.access(file, constants.X_OK);
      return (await fsp.stat(file)).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/') || name.includes(path.sep)) {
    const file = path.resolve(cwd, name);
    return (await executable(file)) ? file : undefined;
  }
  for (const dir of (pathList ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (await executable(file)) return file;
  }
  return undefined;
}
