/**
 * After a window reload: the runs read from disk that never reported their end are handed here
 * (runLoader's `reattach` option). A run this machine launched (process.json of this host), or a
 * builtin trainer still running (its pid still its trainer), is followed again through
 * TrainerProcesses, so the Runs view updates live, Stop signals its process group and the end is
 * recorded; one whose process ended while no window watched has its record finished from what it
 * left (events.jsonl, or the Python console files and experiment folder).
 *
 * Another machine's runs (a cluster job on a shared disk) are left as loaded. No vscode import.
 */

import * as os from 'node:os';
import * as path from 'node:path';
import { PythonProcess } from '../python/pythonProcess';
import type { LoadedRun } from '../runs/runLoader';
import { readRunRecord } from '../runs/runRecord';
import type { RunStore } from '../runs/runStore';
import { readConsoleOffsets } from './processRecord';
import type { Log, TrainerProcesses } from './trainerProcess';

export interface ReattachDeps {
  store: RunStore;
  processes: TrainerProcesses;
  log: Log;
  /** Stop's escalation step (tests). */
  stepMs?: number;
  /** How often a Python run's folder is looked at (tests). */
  followMs?: number;
}

export type Reattach = (loaded: LoadedRun) => void;

export function createReattacher(deps: ReattachDeps): Reattach {
  const { store, processes, log } = deps;
  /** Python runs whose files are being read before they are followed. */
  const starting = new Set<string>();

  return (loaded: LoadedRun): void => {
    const id = loaded.id;
    const runDir = loaded.meta.runDir;
    if (processes.get(id) !== undefined || starting.has(id) || runDir === undefined || !loaded.unfinished) return;
    const rec = loaded.process;
    if (rec !== undefined && rec.host !== os.hostname()) return; // another machine's process
    const run = store.get(id);
    const label = `${run?.configName ?? loaded.meta.configName ?? 'run'} ${id}`;
    const backend = rec?.backend ?? (loaded.meta.backend === 'python' || run?.backend === 'python' ? 'python' : 'builtin');

    if (backend === 'builtin') {
      // Without process.json (started by `centerfusion train` in a terminal, or an older version),
      // follow only a live trainer; a dead one is already marked by the loader.
      if (loaded.pid === undefined || (rec === undefined && loaded.alive !== true)) return;
      processes.reattach({ runId: id, runDir, eventsOffset: loaded.eventsOffset, pid: loaded.pid, record: rec, label, alive: loaded.alive === true });
      return;
    }

    if (rec === undefined) return; // a Python run of an older version: its console went to pipes
    starting.add(id);
    void (async () => {
      try {
        const [record, offsets] = await Promise.all([readRunRecord(runDir), readConsoleOffsets(runDir)]);
        if (processes.get(id) !== undefined) return;
        const now = store.get(id);
        const epochStarts = new Map<number, number>();
        for (const e of loaded.events) {
          if (e.type === 'epoch_start' && !epochStarts.has(e.epoch)) {
            const t = Date.parse(e.t);
            if (!Number.isNaN(t)) epochStarts.set(e.epoch, t);
          }
        }
        const proc = PythonProcess.reattach(
          {
            runId: id,
            runDir,
            saveDir: now?.save_dir ?? record?.save_dir ?? path.dirname(path.dirname(runDir)),
            process: rec,
            offsets,
            alive: loaded.alive === true,
            record: record ?? { id },
            opts: { ...(now?.opts ?? {}) },
            epochStarts,
            label,
            stepMs: deps.stepMs,
            followMs: deps.followMs,
          },
          store,
          log,
        );
        processes.adopt(proc);
      } catch (err) {
        log(`[${label}] cannot follow the run again: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        starting.delete(id);
      }
    })();
  };
}
