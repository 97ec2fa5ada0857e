/**
 * Watches the exp/ folders of the workspace folders, of the roots in the setting
 * `centerfusion.centerfusionRoots` and of the checkouts Python configs name (chokidar), and keeps
 * the runs found there in the store: past launches are imported once, launches that are still
 * writing (a terminal, a cluster job on a shared disk) update as their files change.
 *
 * Bounded work: events are folded per experiment folder and read after WATCH_DEBOUNCE_MS, one
 * read per folder at a time, all asynchronous. An experiment folder a run of this window is
 * writing to is left to that run's own follower, and read again when the run ends.
 * Run records (runs/<id>/run.json) under roots outside the workspace are loaded as well.
 */

import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import * as vscode from 'vscode';
import { isPythonTrainer } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import type { TrainerProcesses } from '../process/trainerProcess';
import { readPythonTrainer } from '../python/pythonLaunch';
import { loadRuns } from '../runs/runLoader';
import type { RunStore } from '../runs/runStore';
import { importExpDir, importRoot, type ImportedRun } from './expImport';

export const WATCH_DEBOUNCE_MS = 750;

export interface ExpWatchDeps {
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
  output: vscode.OutputChannel;
}

export function registerExpWatch(deps: ExpWatchDeps): vscode.Disposable {
  const { store, configs, processes, output } = deps;
  const watchers = new Map<string, FSWatcher>();
  const timers = new Map<string, NodeJS.Timeout>();
  const busy = new Map<string, Promise<void>>();
  let disposed = false;

  const attachedDir = (saveDir: string): boolean => store.all().some((r) => r.attached && r.save_dir === saveDir);

  /** Ids imported per experiment folder, so a launch now claimed by a run record is dropped. */
  const importedIds = new Map<string, Set<string>>();

  const apply = (runs: readonly ImportedRun[], saveDir?: string): void => {
    for (const r of runs) {
      if (processes.get(r.id) !== undefined) continue;
      store.load(r.id, r.meta, r.events);
    }
    const bySaveDir = new Map<string, Set<string>>();
    for (const r of runs) {
      const dir = r.meta.save_dir ?? '';
      if (!bySaveDir.has(dir)) bySaveDir.set(dir, new Set());
      bySaveDir.get(dir)?.add(r.id);
    }
    if (saveDir !== undefined && !bySaveDir.has(saveDir)) bySaveDir.set(saveDir, new Set());
    for (const [dir, ids] of bySaveDir) {
      for (const old of importedIds.get(dir) ?? []) {
        if (!ids.has(old) && store.get(old)?.attached !== true) store.delete(old);
      }
      importedIds.set(dir, ids);
    }
  };

  const readDir = (saveDir: string, root: string): void => {
    if (disposed || busy.has(saveDir)) {
      if (busy.has(saveDir)) schedule(saveDir, root); // read again once the current read ends
      return;
    }
    if (attachedDir(saveDir)) return;
    const work = importExpDir(saveDir, root)
      .then((runs) => apply(runs, saveDir), (err: unknown) => output.appendLine(`cannot read ${saveDir}: ${String(err)}`))
      .finally(() => busy.delete(saveDir));
    busy.set(saveDir, work);
  };

  function schedule(saveDir: string, root: string): void {
    const old = timers.get(saveDir);
    if (old !== undefined) clearTimeout(old);
    timers.set(
      saveDir,
      setTimeout(() => {
        timers.delete(saveDir);
        readDir(saveDir, root);
      }, WATCH_DEBOUNCE_MS),
    );
  }

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

  const addRoot = async (root: string): Promise<void> => {
    if (watchers.has(root) || disposed) return;
    const isWorkspaceFolder = (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.fsPath === root);
    const exp = path.join(root, 'exp');
    const watcher = watch(root, {
      ignoreInitial: true,
      depth: 4,
      ignored: (p: string) => {
        const rel = path.relative(root, p);
        if (rel === '') return false;
        const parts = rel.split(path.sep);
        if (parts[0] !== 'exp') return true;
        return parts.includes('.centerfusion-studio') || parts[3] === 'runs' || parts[3] === 'debug';
      },
    });
    watchers.set(root, watcher);
    watcher.on('all', (_event, file) => {
      const parts = path.relative(exp, file).split(path.sep);
      if (parts.length < 2 || parts[0] === '..') return;
      schedule(path.join(exp, parts[0], parts[1]), root);
    });
    watcher.on('error', (err) => output.appendLine(`watching ${exp}: ${String(err)}`));
    try {
      if (!isWorkspaceFolder) await loadRuns(store, root, { skip: (id) => processes.get(id) !== undefined });
      const started = Date.now();
      const runs = await importRoot(root, attachedDir);
      apply(runs);
      if (runs.length > 0) output.appendLine(`${exp}: ${runs.length} CenterFusion run(s) found on disk, read in ${Date.now() - started} ms`);
    } catch (err) {
      output.appendLine(`cannot read ${exp}: ${String(err)}`);
    }
  };

  const refreshRoots = (): void => {
    for (const root of rootsNow()) void addRoot(root);
  };

  const subscriptions: vscode.Disposable[] = [
    configs.onDidChange(refreshRoots),
    vscode.workspace.onDidChangeWorkspaceFolders(refreshRoots),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('centerfusion.centerfusionRoots')) refreshRoots();
    }),
    processes.onDidExit((exit) => {
      const run = store.get(exit.runId);
      const saveDir = run?.save_dir;
      if (saveDir === undefined) return;
      for (const root of watchers.keys()) {
        if (saveDir.startsWith(path.join(root, 'exp') + path.sep)) schedule(saveDir, root);
      }
    }),
  ];
  void configs.ready.then(refreshRoots, refreshRoots);

  return {
    dispose: () => {
      disposed = true;
      for (const t of timers.values()) clearTimeout(t);
      for (const w of watchers.values()) void w.close();
      for (const s of subscriptions) s.dispose();
    },
  };
}
