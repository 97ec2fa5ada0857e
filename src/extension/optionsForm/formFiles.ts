/**
 * The options form's disk checks, on the host: where a config's runs start and where their data/
 * lives, and which of the files the options need (requiredFiles) are missing. Only existence is
 * checked (stat), only for paths built here from the options. No vscode import (unit-tested).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OptionProblem, RawOptions } from '../../shared/options';
import { requiredFiles } from '../../shared/webview/optionsFormChecks';
import { readPythonTrainer } from '../python/pythonLaunch';

export interface RunFolders {
  /** Where the trainer runs: relative load_model paths are relative to it. */
  cwd: string;
  /** CenterFusion's root dir: data/ and exp/ are in it. */
  root: string;
}

/**
 * The folders of a config's runs: the workspace folder for the built-in trainer; for a Python
 * config (a `trainer` object with a usable `root`), the checkout and its src/ (where main.py runs).
 */
export function runFolders(trainer: unknown, workspaceFolder: string): RunFolders {
  if (typeof trainer === 'object' && trainer !== null && !Array.isArray(trainer)) {
    const { spec } = readPythonTrainer(trainer as Record<string, unknown>, workspaceFolder);
    if (spec !== undefined) return { cwd: path.join(spec.root, 'src'), root: spec.root };
  }
  return { cwd: workspaceFolder, root: workspaceFolder };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A problem (severity error) per required file that is not a file on disk. Never throws. */
export async function missingFiles(raw: RawOptions, folders: RunFolders): Promise<OptionProblem[]> {
  const out: OptionProblem[] = [];
  for (const f of requiredFiles(raw)) {
    const file = path.resolve(f.base === 'cwd' ? folders.cwd : folders.root, f.path);
    if (await isFile(file)) continue;
    const message = f.option === 'load_model' ? `no file at ${file}${path.isAbsolute(f.path) ? '' : ` (relative to ${folders.cwd}, where the trainer runs)`}` : `${f.missing} (looked for ${file})`;
    out.push({ option: f.option, message, severity: 'error' });
  }
  return out;
}
