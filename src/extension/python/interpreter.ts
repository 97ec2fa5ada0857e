/**
 * Which Python runs a Python config, in this order:
 * 1. the config's `trainer.python`, when not empty;
 * 2. the Python extension's active environment for the workspace folder, when that extension is
 *    installed (read through its exported API, found with vscode.extensions.getExtension: no
 *    dependency on it);
 * 3. the setting `centerfusion.pythonPath` (its workspace values count only in a trusted
 *    workspace, since it names a program to run);
 * 4. `python3` on PATH.
 */

import * as vscode from 'vscode';
import { isWorkspaceTrusted } from '../trust';
import { findExecutable } from './pythonLaunch';

export interface Interpreter {
  path: string;
  source: string;
}

const PYTHON_EXTENSION = 'ms-python.python';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    Promise.resolve(promise).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

/** The Python extension's interpreter for `folder`, if it is installed and tells. Never throws. */
async function fromPythonExtension(folder: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION);
  if (ext === undefined) return undefined;
  // The API is not typed here (no dependency on @vscode/python-extension): read it defensively.
  const api: unknown = ext.isActive ? ext.exports : await withTimeout(ext.activate(), 10_000);
  if (!isRecord(api)) return undefined;
  try {
    const environments = api['environments'];
    if (isRecord(environments) && typeof environments['getActiveEnvironmentPath'] === 'function') {
      const envPath: unknown = (environments['getActiveEnvironmentPath'] as (r: vscode.Uri) => unknown)(folder);
      if (typeof environments['resolveEnvironment'] === 'function') {
        const resolved: unknown = await withTimeout(
          Promise.resolve((environments['resolveEnvironment'] as (e: unknown) => unknown)(envPath)),
          10_000,
        );
        const executable = isRecord(resolved) ? resolved['executable'] : undefined;
        const uri = isRecord(executable) ? executable['uri'] : undefined;
        if (uri instanceof vscode.Uri && uri.fsPath !== '') return uri.fsPath;
      }
      if (isRecord(envPath) && typeof envPath['path'] === 'string' && envPath['path'] !== '') return envPath['path'];
    }
    const settings = api['settings'];
    if (isRecord(settings) && typeof settings['getExecutionDetails'] === 'function') {
      const details: unknown = (settings['getExecutionDetails'] as (r: vscode.Uri) => unknown)(folder);
      const command = isRecord(details) ? details['execCommand'] : undefined;
      if (Array.isArray(command) && typeof command[0] === 'string' && command[0] !== '') return command[0];
    }
  } catch {
    // an API shape we do not know: fall through to the setting
  }
  return undefined;
}

/** centerfusion.pythonPath, honouring workspace values only in a trusted workspace. */
function fromSetting(folder: vscode.Uri): { value?: string; ignored?: string } {
  const inspected = vscode.workspace.getConfiguration('centerfusion', folder).inspect<string>('pythonPath');
  const workspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (typeof workspace === 'string' && workspace.trim() !== '') {
    if (isWorkspaceTrusted()) return { value: workspace.trim() };
    const user = inspected?.globalValue;
    return { value: typeof user === 'string' && user.trim() !== '' ? user.trim() : undefined, ignored: workspace };
  }
  const user = inspected?.globalValue;
  return { value: typeof user === 'string' && user.trim() !== '' ? user.trim() : undefined };
}

/** Finds the interpreter for a config, or explains why there is none. Never throws. */
export async function resolveInterpreter(configured: string | undefined, folder: string): Promise<Interpreter | { error: string }> {
  const folderUri = vscode.Uri.file(folder);
  const pathList = process.env['PATH'];
  if (configured !== undefined) {
    const found = await findExecutable(configured, pathList, folder);
    return found !== undefined
      ? { path: found, source: 'trainer.python in the config' }
      : { error: `the config's "trainer.python" (${configured}) is not an executable file nor a program on PATH` };
  }
  const fromExtension = await fromPythonExtension(folderUri).catch(() => undefined);
  if (fromExtension !== undefined) {
    // An environment the Python extension remembers may have been deleted since: check it.
    const found = await findExecutable(fromExtension, pathList, folder);
    if (found !== undefined) return { path: found, source: "the Python extension's selected interpreter" };
  }
  const setting = fromSetting(folderUri);
  if (setting.value !== undefined) {
    const found = await findExecutable(setting.value, pathList, folder);
    if (found !== undefined) return { path: found, source: 'the setting centerfusion.pythonPath' };
    return { error: `the setting centerfusion.pythonPath (${setting.value}) is not an executable file nor a program on PATH` };
  }
  const python3 = await findExecutable('python3', pathList, folder);
  if (python3 !== undefined) return { path: python3, source: 'python3 on PATH' };
  return {
    error:
      'no Python interpreter: set "trainer.python" in the config, select one with the Python extension, set centerfusion.pythonPath, or put python3 on PATH',
  };
}
