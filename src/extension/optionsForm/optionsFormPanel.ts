/**
 * The options form: a webview panel per config file (command "Edit Options"). The webview edits
 * field texts; the host validates again before writing (never trusts the page), writes the file
 * atomically (temporary file + rename) keeping unknown keys and key order, and starts Train.
 * Panels come back after a reload through a WebviewPanelSerializer (the state holds the file).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hasErrors } from '../../shared/options';
import { analyzeForm, configText, isFormToHost, type FormToHost, type HostToForm } from '../../shared/webview/optionsForm';
import { missingFiles, runFolders, type RunFolders } from './formFiles';
import { CONFIGS_DIR, readConfigFile, type TrainingConfig } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import { COMMANDS } from '../ids';
import { webviewHtml, webviewOptions } from '../webview/html';

export const OPTIONS_FORM_VIEW_TYPE = 'centerfusion.optionsForm';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes a file atomically: a temporary file in the same folder, then rename over the target. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

function folderOf(file: string): string {
  const ws = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  if (ws !== undefined) return ws.uri.fsPath;
  // <folder>/.centerfusion/configs/x.json
  return path.resolve(path.dirname(file), '..', '..');
}

class OptionsFormPanel {
  private original: Record<string, unknown> = {};
  private originalText: string | undefined;
  /** Where the config's runs start and where their data/ is (the trainer root for Python configs). */
  private folders: RunFolders | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private file: string,
    extensionUri: vscode.Uri,
    private readonly configs: ConfigRepository,
    private readonly onClose: (p: OptionsFormPanel) => void,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'dist/webview/options-form.js', title: 'Options', styles: ['media/options-form.css'] });
    panel.title = `Options: ${path.basename(file)}`;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((msg: unknown) => {
        if (isFormToHost(msg)) void this.handle(msg);
      }),
    );
    panel.onDidDispose(() => {
      for (const d of this.disposables) d.dispose();
      this.onClose(this);
    });
  }

  get fileName(): string {
    return this.file;
  }

  private post(message: HostToForm): void {
    void this.panel.webview.postMessage(message);
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Cannot read ${this.file}: ${messageOf(err)}` });
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `${path.basename(this.file)} is not valid JSON (${messageOf(err)}). Fix it in the text editor first.` });
      return;
    }
    if (!isRecord(doc)) {
      this.post({ type: 'notice', level: 'error', message: `${path.basename(this.file)} is not a config object.` });
      return;
    }
    this.originalText = text;
    this.original = isRecord(doc.options) ? doc.options : {};
    this.folders = runFolders(doc.trainer, folderOf(this.file));
    const name = typeof doc.name === 'string' ? doc.name : path.basename(this.file, '.json');
    this.post({ type: 'init', file: this.file, name, task: typeof doc.task === 'string' ? doc.task : 'ddd', options: this.original, rootDir: this.folders.root });
  }

  private async handle(msg: FormToHost): Promise<void> {
    if (msg.type === 'ready') {
      await this.load();
      return;
    }
    if (msg.type === 'checkFiles') {
      // Only existence checks of files these options name, resolved here (never a path the page sends as such).
      const analysis = analyzeForm(msg.task, msg.fields, this.original, this.folders?.root ?? folderOf(this.file));
      const problems = analysis.raw === undefined ? [] : await missingFiles(analysis.raw, this.folders ?? runFolders(undefined, folderOf(this.file)));
      this.post({ type: 'files', seq: msg.seq, problems });
      return;
    }
    // Validate again here: the page is not trusted to have done it.
    const analysis = analyzeForm(msg.task, msg.fields, this.original, this.folders?.root ?? folderOf(this.file));
    if (analysis.options === undefined || hasErrors(analysis.problems)) {
      const first = analysis.problems.find((p) => p.severity !== 'warning');
      this.post({ type: 'notice', level: 'error', message: `Not saved: ${first ? `${first.option}: ${first.message}` : 'invalid options'}` });
      return;
    }
    let target = this.file;
    let text = configText(this.originalText, path.basename(this.file, '.json'), msg.task, analysis.options);
    if (msg.type === 'saveAs') {
      const picked = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(folderOf(this.file), CONFIGS_DIR, `${path.basename(this.file, '.json')}-copy.json`)),
        filters: { 'CenterFusion config': ['json'] },
        title: 'Save Config As',
      });
      if (picked === undefined) return;
      target = picked.fsPath;
      const doc = JSON.parse(text) as Record<string, unknown>;
      doc.name = path.basename(target, '.json');
      text = JSON.stringify(doc, null, 2) + '\n';
    }
    try {
      await writeFileAtomic(target, text);
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Could not write ${target}: ${messageOf(err)}` });
      return;
    }
    if (target !== this.file) {
      this.file = target;
      this.panel.title = `Options: ${path.basename(target)}`;
    }
    this.originalText = text;
    this.original = analysis.options;
    const folder = folderOf(target);
    await this.configs.reload(folder);
    const saved = await readConfigFile(target, folder);
    this.post({ type: 'saved', file: target, name: saved.name });
    if (msg.type === 'train') await vscode.commands.executeCommand(COMMANDS.train, saved);
  }
}

export interface OptionsFormDeps {
  extensionUri: vscode.Uri;
  configs: ConfigRepository;
}

export function registerOptionsForm(deps: OptionsFormDeps): vscode.Disposable[] {
  const open = new Map<string, OptionsFormPanel>();
  const track = (panel: vscode.WebviewPanel, file: string): OptionsFormPanel => {
    const form = new OptionsFormPanel(panel, file, deps.extensionUri, deps.configs, (p) => {
      for (const [k, v] of open) if (v === p) open.delete(k);
    });
    open.set(file, form);
    return form;
  };

  async function editOptions(arg?: TrainingConfig | vscode.Uri): Promise<void> {
    let file: string | undefined;
    if (arg instanceof vscode.Uri) file = arg.fsPath;
    else if (arg !== undefined && typeof arg.file === 'string') file = arg.file;
    else {
      await deps.configs.ready;
      const all = deps.configs.all();
      if (all.length === 0) {
        void vscode.window.showInformationMessage('CenterFusion: no configs in .centerfusion/configs/ of this workspace.');
        return;
      }
      const picked =
        all.length === 1 ? all[0] : (await vscode.window.showQuickPick(all.map((c) => ({ label: c.name, detail: c.file, c })), { placeHolder: 'Config to edit' }))?.c;
      file = picked?.file;
    }
    if (file === undefined) return;
    const existing = open.get(file);
    if (existing !== undefined) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(OPTIONS_FORM_VIEW_TYPE, `Options: ${path.basename(file)}`, vscode.ViewColumn.Active, {
      ...webviewOptions(deps.extensionUri),
      retainContextWhenHidden: false,
    });
    track(panel, file);
  }

  return [
    vscode.commands.registerCommand(COMMANDS.editOptions, editOptions),
    vscode.window.registerWebviewPanelSerializer(OPTIONS_FORM_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const file = isRecord(state) && typeof state.file === 'string' ? state.file : undefined;
        if (file === undefined) {
          panel.dispose();
          return;
        }
        track(panel, file);
      },
    }),
  ];
}
