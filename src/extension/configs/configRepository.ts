/**
 * The configs of every workspace folder, kept current by file-system watchers on
 * `.centerfusion/configs/*.json`. Loading is asynchronous; `ready` settles after the first load.
 */

import * as vscode from 'vscode';
import { expIdOf, readConfigs, type TrainingConfig } from './configFile';

const CONFIG_GLOB = '.centerfusion/configs/*.json';
/** Editors save in bursts (create, change, change): reload once per burst. */
const RELOAD_DELAY_MS = 100;

export class ConfigRepository implements vscode.Disposable {
  private readonly byFolder = new Map<string, TrainingConfig[]>();
  private readonly watchers = new Map<string, vscode.Disposable>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  readonly onDidChange = this.changed.event;
  /** Settles once the folders open at start have been read. */
  readonly ready: Promise<void>;

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const folder of e.removed) this.forget(folder.uri.fsPath);
        for (const folder of e.added) this.watch(folder);
        void Promise.all(e.added.map((f) => this.reload(f.uri.fsPath)));
      }),
    );
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const folder of folders) this.watch(folder);
    this.ready = Promise.all(folders.map((f) => this.reload(f.uri.fsPath))).then(() => undefined);
  }

  /** Every config, folder by folder, each folder's sorted by name. */
  all(): TrainingConfig[] {
    const out: TrainingConfig[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) out.push(...(this.byFolder.get(folder.uri.fsPath) ?? []));
    return out;
  }

  /** The config that a run of `task`/`expId` in `folder` most likely came from. */
  match(folder: string | undefined, task: string | undefined, expId: string | undefined): TrainingConfig | undefined {
    if (folder === undefined || task === undefined || expId === undefined) return undefined;
    return this.byFolder.get(folder)?.find((c) => c.parseError === undefined && c.task === task && expIdOf(c) === expId);
  }

  /** Re-reads one folder's configs (all folders when none is given). */
  async reload(folder?: string): Promise<void> {
    if (folder === undefined) {
      await Promise.all((vscode.workspace.workspaceFolders ?? []).map((f) => this.reload(f.uri.fsPath)));
      return;
    }
    const configs = await readConfigs(folder);
    if (!this.watchers.has(folder)) return; // the folder was closed meanwhile
    this.byFolder.set(folder, configs);
    this.changed.fire();
  }

  private watch(folder: vscode.WorkspaceFolder): void {
    const root = folder.uri.fsPath;
    if (this.watchers.has(root)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, CONFIG_GLOB));
    const soon = (): void => this.reloadSoon(root);
    this.watchers.set(
      root,
      vscode.Disposable.from(watcher, watcher.onDidCreate(soon), watcher.onDidChange(soon), watcher.onDidDelete(soon)),
    );
  }

  private reloadSoon(folder: string): void {
    clearTimeout(this.pending.get(folder));
    this.pending.set(
      folder,
      setTimeout(() => {
        this.pending.delete(folder);
        void this.reload(folder);
      }, RELOAD_DELAY_MS),
    );
  }

  private forget(folder: string): void {
    this.watchers.get(folder)?.dispose();
    this.watchers.delete(folder);
    clearTimeout(this.pending.get(folder));
    this.pending.delete(folder);
    if (this.byFolder.delete(folder)) this.changed.fire();
  }

  dispose(): void {
    for (const folder of [...this.watchers.keys()]) this.forget(folder);
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
