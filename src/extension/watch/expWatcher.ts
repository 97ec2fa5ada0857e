/**
 * Watches the exp/ folders of the workspace folders, of the roots in the setting
 * `centerfusion.centerfusionRoots` and of the checkouts Python configs name, and keeps the runs
 * found there in the store (the watching itself, without vscode, is ExpWatch in expWatch.ts):
 * past launches are imported once, launches that are still writing (a terminal, a cluster job on
 * a shared disk) update as their files change. An experiment folder a run of this window is
 * writing to is left to that run's own follower, and read again when the run ends.
 * Run records (runs/<id>/run.json) under roots outside the workspace are loaded as well (and
 * their unfinished runs handed to the reattacher).
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { isPythonTrainer } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import type { Reattach } from '../process/reattach';
import type { TrainerProcesses } from '../process/trainerProcess';
import { readPythonTrainer } from '../python/pythonLaunch';
import type { RunStore } from '../runs/runStore';
import { ExpWatch } from './expWatch';

export { WATCH_DEBOUNCE_MS } from './expWatch';

export interface ExpWatchDeps {
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
  output: vscode.OutputChannel;
  /** Follows again the unfinished runs of records found under the roots (VS Code reloaded). */
  reattach?: Reattach;
}

export function registerExpWatch(deps: ExpWatchDeps): vscode.Disposable {
  const { store, configs, processes, output } = deps;
  const core = new ExpWatch({
    store,
    isFollowed: (id) => processes.get(id) !== undefined,
    log: (line) => output.appendLine(line),
    reattach: deps.reattach,
  });

  const rootsNow = (): string[] => {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const roots = new Set(folders);
    const setting = vscode.workspace.getConfiguration('centerfusion').get<unknown>('centerfusionRoots');
    if (Array.isArray(setting)) {
      for (const r of setting) if (typeof r === 'string' && r.trim() !== '') roots.add(path.resolve(folders[0] ?? '/', r.trim()));
    }
    for (const c of configs.all()) {
      if (c.parseError !== undefined || !isPythonTrainer(c.trainer)) continue;
      const spec = readPythonTrainer(c.trainer, c.folder).spec;
      if (spec !== undefined) roots.add(spec.root);
    }
    return [...roots];
  };

  const refreshRoots = (): void => {
    const folders = new Set((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    // Run records under a workspace folder are loaded by the extension's own reload.
    for (const root of rootsNow()) void core.addRoot(root, !folders.has(root));
  };

  const subscriptions: vscode.Disposable[] = [
    configs.onDidChange(refreshRoots),
    vscode.workspace.onDidChangeWorkspaceFolders(refreshRoots),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('centerfusion.centerfusionRoots')) refreshRoots();
    }),
    processes.onDidExit((exit) => {
      const saveDir = store.get(exit.runId)?.save_dir;
      if (saveDir !== undefined) core.rescan(saveDir);
    }),
  ];
  void configs.ready.then(refreshRoots, refreshRoots);

  return {
    dispose: () => {
      core.dispose();
      for (const s of subscriptions) s.dispose();
    },
  };
}
