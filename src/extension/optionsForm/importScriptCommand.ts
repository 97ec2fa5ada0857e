/**
 * "New Config from Script": pick a CenterFusion shell script, read its training command into a
 * config (src/shared/scriptImport.ts), write it to .centerfusion/configs/<name>.json, open it in
 * the options form, and say which options were left out.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { folderNameProblem } from '../../shared/options';
import { importScript } from '../../shared/scriptImport';
import { CONFIGS_DIR } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import { COMMANDS } from '../ids';
import { writeFileAtomic } from './optionsFormPanel';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function registerImportScript(deps: { configs: ConfigRepository }): vscode.Disposable[] {
  async function run(arg?: vscode.Uri): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showInformationMessage('CenterFusion: open a folder first; configs live in its .centerfusion/configs/.');
      return;
    }
    const uri =
      arg instanceof vscode.Uri
        ? arg
        : (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Shell scripts': ['sh', 'bash'], 'All files': ['*'] }, title: 'CenterFusion script to import' }))?.[0];
    if (uri === undefined) return;
    let text: string;
    try {
      text = await fs.readFile(uri.fsPath, 'utf8');
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot read ${uri.fsPath}: ${messageOf(err)}`);
      return;
    }
    let result;
    try {
      result = importScript(text);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: ${path.basename(uri.fsPath)}: ${messageOf(err)}`);
      return;
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? folders[0];
    const name = await vscode.window.showInputBox({
      title: 'Name of the new config',
      value: result.config.name,
      validateInput: (v) => (v.trim() === '' ? 'A name is required' : folderNameProblem(v.trim())),
    });
    if (name === undefined) return;
    const file = path.join(folder.uri.fsPath, CONFIGS_DIR, `${name.trim()}.json`);
    const exists = await fs.stat(file).then(
      () => true,
      () => false,
    );
    if (exists) {
      const overwrite = 'Overwrite';
      if ((await vscode.window.showWarningMessage(`CenterFusion: ${path.basename(file)} exists.`, { modal: true }, overwrite)) !== overwrite) return;
    }
    const config = { ...result.config, name: name.trim() };
    try {
      await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: could not write ${file}: ${messageOf(err)}`);
      return;
    }
    await deps.configs.reload(folder.uri.fsPath);
    await vscode.commands.executeCommand(COMMANDS.editOptions, vscode.Uri.file(file));
    const notes = result.problems.map((p) => `line ${p.line}: ${p.message}`);
    if (result.cwd !== undefined) notes.push(`the script runs from "${result.cwd}"; relative paths (e.g. load_model) are relative to it`);
    const summary = `CenterFusion: created ${path.basename(file)} from ${path.basename(uri.fsPath)} (${Object.keys(config.options).length} options).`;
    if (notes.length === 0) void vscode.window.showInformationMessage(summary);
    else void vscode.window.showWarningMessage(`${summary} ${notes.join('; ')}`);
  }
  return [vscode.commands.registerCommand(COMMANDS.importScript, run)];
}
