/**
 * Training configs: JSON files in <workspace folder>/.centerfusion/configs/*.json, e.g.
 *   {"name": "demo", "task": "ddd", "trainer": "builtin", "options": {"exp_id": "demo", ...}}
 *
 * Reading never throws: a file that cannot be read or parsed becomes a config with a parse
 * error, and bad options become a list of problems, both shown on the config's tree item.
 *
 * No vscode import (unit-tested).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkOptions, hasErrors, optionsFromConfig, type OptionProblem, type RawOptions } from '../../shared/options';

export const CONFIGS_DIR = path.join('.centerfusion', 'configs');

/** A problem with a config: the option concerned ('' for the file as a whole), and what. */
export type ConfigProblem = OptionProblem;

/** A Python CenterFusion checkout as the trainer (later version); kept as written. */
export interface PythonTrainer {
  python?: string;
  [key: string]: unknown;
}

export type TrainerSpec = 'builtin' | PythonTrainer;

export interface TrainingConfig {
  /** Absolute path of the JSON file. */
  file: string;
  /** The workspace folder it belongs to (the trainer's root dir). */
  folder: string;
  /** The config's name, or the file name without .json when the file has none. */
  name: string;
  /** Empty when the file does not say. */
  task: string;
  trainer: TrainerSpec;
  options: Record<string, unknown>;
  /** Set when the file is not a readable JSON object: nothing else is meaningful then. */
  parseError?: string;
  /** Shape and option problems; errors block training, warnings do not. */
  problems: ConfigProblem[];
  /** The validated options, when there are no errors and the trainer is builtin. */
  raw?: RawOptions;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Problems carried by an OptionError (or any error with a `problems` list), else one problem. */
function problemsOf(err: unknown): ConfigProblem[] {
  if (isObject(err) && Array.isArray(err['problems'])) {
    const out: ConfigProblem[] = [];
    for (const p of err['problems']) {
      if (isObject(p)) {
        const severity = p['severity'] === 'warning' ? 'warning' : 'error';
        out.push({ option: String(p['option'] ?? ''), message: String(p['message'] ?? ''), severity });
      }
    }
    if (out.length > 0) return out;
  }
  return [{ option: '', message: messageOf(err), severity: 'error' }];
}

/** True when the config has problems that block training. */
export function hasBlockingProblems(config: TrainingConfig): boolean {
  return config.parseError !== undefined || hasErrors(config.problems);
}

/** A config's name when its file does not give one: the file name without `.json`. */
function nameFromFile(file: string): string {
  return path.basename(file).replace(/\.json$/i, '');
}

export function isPythonTrainer(trainer: TrainerSpec): trainer is PythonTrainer {
  return trainer !== 'builtin';
}

/** Parses a config file's text. `file` and `folder` are recorded as given. Never throws. */
export function parseConfigText(text: string, file: string, folder: string): TrainingConfig {
  const config: TrainingConfig = { file, folder, name: nameFromFile(file), task: '', trainer: 'builtin', options: {}, problems: [] };

  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    config.parseError = `Not valid JSON: ${messageOf(err)}`;
    return config;
  }
  if (!isObject(value)) {
    config.parseError = 'A config must be a JSON object with "name", "task", "trainer" and "options".';
    return config;
  }

  const problems = config.problems;
  if (typeof value.name === 'string' && value.name.trim() !== '') config.name = value.name.trim();
  else if (value.name !== undefined) problems.push({ option: 'name', message: '"name" must be a non-empty string', severity: 'error' });

  if (typeof value.task === 'string' && value.task.trim() !== '') config.task = value.task.trim();
  else problems.push({ option: 'task', message: '"task" is required: a CenterFusion task such as "ddd"', severity: 'error' });

  const trainer = value.trainer ?? 'builtin';
  if (trainer === 'builtin') config.trainer = 'builtin';
  else if (isObject(trainer)) config.trainer = { ...trainer };
  else problems.push({ option: 'trainer', message: '"trainer" must be "builtin" or an object describing a Python trainer', severity: 'error' });

  if (value.options === undefined) config.options = {};
  else if (isObject(value.options)) config.options = { ...value.options };
  else problems.push({ option: 'options', message: '"options" must be an object of CenterFusion options', severity: 'error' });

  if (problems.length > 0 || isPythonTrainer(config.trainer)) return config;
  try {
    const raw = optionsFromConfig(config.options, config.task);
    const optionProblems = checkOptions(raw);
    problems.push(...optionProblems);
    if (!hasErrors(optionProblems)) config.raw = raw;
  } catch (err) {
    problems.push(...problemsOf(err));
  }
  return config;
}

/** Reads and parses one config file. Never throws. */
export async function readConfigFile(file: string, folder: string): Promise<TrainingConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    return { file, folder, name: nameFromFile(file), task: '', trainer: 'builtin', options: {}, problems: [], parseError: `Cannot read the file: ${messageOf(err)}` };
  }
  return parseConfigText(text, file, folder);
}

/** All configs of a workspace folder, sorted by name. Never throws. */
export async function readConfigs(folder: string): Promise<TrainingConfig[]> {
  const dir = path.join(folder, CONFIGS_DIR);
  let names: string[];
  try {
    names = (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.json'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  const configs = await Promise.all(names.map((name) => readConfigFile(path.join(dir, name), folder)));
  return configs.sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
}

/** The options most worth seeing at a glance (tooltips). */
export const KEY_OPTIONS = ['exp_id', 'dataset', 'num_epochs', 'batch_size', 'lr', 'lr_step', 'val_intervals', 'gpus', 'arch'];

/** The experiment id a config's runs will use (CenterFusion's default is "default"). */
export function expIdOf(config: TrainingConfig): string {
  const expId = config.options['exp_id'];
  return typeof expId === 'string' && expId !== '' ? expId : 'default';
}

/** The content of the demo config (also committed as demo/.centerfusion/configs/demo.json). */
export const DEMO_CONFIG = {
  name: 'demo',
  task: 'ddd',
  trainer: 'builtin',
  options: {
    dataset: 'synthetic',
    exp_id: 'demo',
    // The small CPU backbone (CenterFusion's default dla_34 is the full network).
    arch: 'tiny',
    head_conv: 32,
    num_epochs: 3,
    val_intervals: 1,
    batch_size: 4,
    // 16x CenterFusion's default, for the small network and a few hundred steps (docs/trainer.md).
    lr: 0.002,
    lr_step: '2',
    save_point: '3',
    seed: 317,
    gpus: '-1',
    // CenterFusion's published train.sh augmentation: flip 0.5 (the default) and shift 0.1, no random crop.
    shuffle_train: true,
    not_rand_crop: true,
    shift: 0.1,
  },
} as const;
