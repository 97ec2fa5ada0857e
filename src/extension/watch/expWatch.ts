/**
 * The watching core of expWatcher.ts, without vscode (unit-tested): chokidar on the exp/ folder
 * of each root, changes folded per experiment folder (CenterFusion save_dir) and read after
 * `debounceMs`, one read per folder at a time, all asynchronous. Past launches are imported once
 * when a root is added; launches still writing (a terminal, a cluster job on a shared disk)
 * update as their files change. An experiment folder a followed run of this window writes to is
 * left to that run's own follower (`isFollowedDir`), and read again on `rescan` when it ends.
 */

import * as path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { loadRuns, type LoadedRun } from '../runs/runLoader';
import type { RunStore } from '../runs/runStore';
import { importExpDir, importRoot, type ImportedRun } from './expImport';

/**
 * chokidar's watch, loaded at the first watch rather than with the extension: a require here
 * (bundled by esbuild as a lazily run CommonJS module) keeps chokidar and its dependencies' module
 * bodies out of activation.
 */
function chokidarWatch(): typeof import('chokidar').watch {
  // A deliberate lazy require (see above); the types come from the static type-only import.
  return (require('chokidar') as typeof import('chokidar')).watch;
}

export const WATCH_DEBOUNCE_MS = 750;

export interface ExpWatchOptions {
  store: RunStore;
  /** Runs this window feeds live (their imports are skipped). */
  isFollowed: (runId: string) => boolean;
  log: (line: string) => void;
  /** Follows again the unfinished runs of records found under added roots (VS Code reloaded). */
  reattach?: (loaded: LoadedRun) => void;
  debounceMs?: number;
  /** chokidar polling (tests on file systems without events); default: native events. */
  usePolling?: boolean;
}

export class ExpWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Map<string, Promise<void>>();
  /** Ids imported per experiment folder, so a launch now claimed by a run record is dropped. */
  private readonly importedIds = new Map<string, Set<string>>();
  private disposed = false;

  constructor(private readonly options: ExpWatchOptions) {}

  /** Roots watched. */
  get roots(): string[] {
    return [...this.watchers.keys()];
  }

  /** An experiment folder a run of this window is writing to (its follower reads it). */
  private isFollowedDir(saveDir: string): boolean {
    return this.options.store.all().some((r) => r.attached && r.save_dir === saveDir);
  }

  private apply(runs: readonly ImportedRun[], saveDir?: string): void {
    const { store } = this.options;
    for (const r of runs) {
      if (this.options.isFollowed(r.id)) continue;
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
      for (const old of this.importedIds.get(dir) ?? []) {
        if (!ids.has(old) && store.get(old)?.attached !== true) store.delete(old);
      }
      this.importedIds.set(dir, ids);
    }
  }

  private readDir(saveDir: string, root: string): void {
    if (this.disposed) return;
    if (this.busy.has(saveDir)) {
      this.schedule(saveDir, root); // read again once the current read ends
      return;
    }
    if (this.isFollowedDir(saveDir)) return;
    const work = importExpDir(saveDir, root)
      .then(
        (runs) => this.apply(runs, saveDir),
        (err: unknown) => this.options.log(`cannot read ${saveDir}: ${String(err)}`),
      )
      .finally(() => this.busy.delete(saveDir));
    this.busy.set(saveDir, work);
  }

  private schedule(saveDir: string, root: string): void {
    if (this.disposed) return;
    const old = this.timers.get(saveDir);
    if (old !== undefined) clearTimeout(old);
    this.timers.set(
      saveDir,
      setTimeout(() => {
        this.timers.delete(saveDir);
        this.readDir(saveDir, root);
      }, this.options.debounceMs ?? WATCH_DEBOUNCE_MS),
    );
  }

  /** Reads an experiment folder again soon (a run of this window that wrote to it has ended). */
  rescan(saveDir: string): void {
    for (const root of this.watchers.keys()) {
      if (saveDir.startsWith(path.join(root, 'exp') + path.sep)) this.schedule(saveDir, root);
    }
  }

  /**
   * Watches `<root>/exp` and imports what is there. `loadRecords`: also load the run records
   * (runs/<id>/) under it, for roots whose records nothing else loads (outside the workspace).
   * Resolves once the first import is done. Never throws.
   */
  async addRoot(root: string, loadRecords: boolean): Promise<void> {
    if (this.watchers.has(root) || this.disposed) return;
    const { store, log } = this.options;
    const exp = path.join(root, 'exp');
    const watcher = chokidarWatch()(root, {
      ignoreInitial: true,
      depth: 4,
      usePolling: this.options.usePolling === true,
      interval: 100,
      ignored: (p: string) => {
        const rel = path.relative(root, p);
        if (rel === '') return false;
        const parts = rel.split(path.sep);
        if (parts[0] !== 'exp') return true;
        return parts.includes('.centerfusion-studio') || parts[3] === 'runs' || parts[3] === 'debug';
      },
    });
    this.watchers.set(root, watcher);
    const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    watcher.on('all', (_event, file) => {
      const parts = path.relative(exp, file).split(path.sep);
      if (parts.length < 2 || parts[0] === '..') return;
      this.schedule(path.join(exp, parts[0], parts[1]), root);
    });
    watcher.on('error', (err) => log(`watching ${exp}: ${String(err)}`));
    try {
      if (loadRecords) await loadRuns(store, root, { skip: (id) => this.options.isFollowed(id), reattach: this.options.reattach });
      const started = Date.now();
      const runs = await importRoot(root, (dir) => this.isFollowedDir(dir));
      this.apply(runs);
      if (runs.length > 0) log(`${exp}: ${runs.length} CenterFusion run(s) found on disk, read in ${Date.now() - started} ms`);
    } catch (err) {
      log(`cannot read ${exp}: ${String(err)}`);
    }
    await ready;
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watchers.values()) void w.close();
    this.watchers.clear();
  }
}
