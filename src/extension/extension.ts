/**
 * Composition root: builds the run store, the config repository, the trainer process manager,
 * the three trees and the commands, and wires them together. Activation does no file-system
 * work itself: configs and past runs are read asynchronously after it returns.
 *
 * Deactivation stops no training: each trainer runs in its own process group, its stdout and
 * stderr go to files in its run folder, and it keeps going (a window reload must not cost a run);
 * only listeners, watchers and timers are disposed. The next window reads the run folders,
 * follows the runs still training again (process/reattach.ts; Stop works on them as before) and
 * records how the others ended.
 */

import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ConfigRepository } from './configs/configRepository';
import { OUTPUT_CHANNEL_NAME, VIEW_IDS } from './ids';
import { createReattacher } from './process/reattach';
import { TrainerProcesses } from './process/trainerProcess';
import { loadRuns } from './runs/runLoader';
import { RunStore } from './runs/runStore';
import { CheckpointsTreeProvider } from './views/checkpointsTree';
import { ConfigsTreeProvider } from './views/configsTree';
import { RunsTreeProvider } from './views/runsTree';
import { registerDashboard } from './dashboard/dashboardPanel';
import { registerEvaluate } from './evaluate/evaluateCommand';
import { createPythonTrainer } from './python/pythonTrain';
import { registerExpWatch } from './watch/expWatcher';
import { MetricsReportProvider } from './metricsReport/metricsReportEditor';
import { registerOptionsForm } from './optionsForm/optionsFormPanel';
import { registerImportScript } from './optionsForm/importScriptCommand';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME);
  const store = new RunStore();
  const configs = new ConfigRepository();
  const processes = new TrainerProcesses(store, (line) => output.appendLine(line));
  const reattach = createReattacher({ store, processes, log: (line) => output.appendLine(line) });

  const reloadRuns = async (folders: readonly vscode.WorkspaceFolder[] = vscode.workspace.workspaceFolders ?? []): Promise<void> => {
    await Promise.all(
      folders.map(async (folder) => {
        const result = await loadRuns(store, folder.uri.fsPath, { skip: (id) => processes.get(id) !== undefined, reattach });
        if (result.problems > 0) {
          output.appendLine(`${folder.name}: ${result.problems} bad event line(s) while reading ${result.runs} past run(s)`);
        }
      }),
    );
  };

  const configsTree = new ConfigsTreeProvider(configs);
  const runsTree = new RunsTreeProvider(store, configs, (id) => processes.get(id)?.stopping ?? false);
  const checkpointsTree = new CheckpointsTreeProvider(store, configs);

  context.subscriptions.push(
    output,
    configs,
    processes,
    configsTree,
    runsTree,
    checkpointsTree,
    vscode.window.createTreeView(VIEW_IDS.configs, { treeDataProvider: configsTree }),
    vscode.window.createTreeView(VIEW_IDS.runs, { treeDataProvider: runsTree, showCollapseAll: true, canSelectMany: true }),
    vscode.window.createTreeView(VIEW_IDS.checkpoints, { treeDataProvider: checkpointsTree, showCollapseAll: true }),
    ...registerCommands({
      extensionPath: context.extensionPath,
      store,
      configs,
      processes,
      output,
      checkpointsTree,
      reloadRuns,
      trainPython: createPythonTrainer({ store, processes, output }),
    }),
    registerExpWatch({ store, configs, processes, output, reattach }),
    ...registerEvaluate({ extensionPath: context.extensionPath, store, configs, processes, checkpointsTree, output }),
    MetricsReportProvider.register(context.extensionUri, store),
    ...registerOptionsForm({ extensionUri: context.extensionUri, configs }),
    ...registerDashboard({
      extensionUri: context.extensionUri,
      store,
      log: (line) => output.appendLine(line),
      resume: { extensionPath: context.extensionPath, configs, processes },
    }),
    ...registerImportScript({ configs }),
    vscode.workspace.onDidChangeWorkspaceFolders((e) => {
      const removed = new Set(e.removed.map((f) => f.uri.fsPath));
      for (const run of store.all()) if (run.folder !== undefined && removed.has(run.folder) && !run.attached) store.delete(run.id);
      void reloadRuns(e.added);
    }),
  );

  // Past runs: read after activation has returned, so that it stays fast.
  setTimeout(() => void reloadRuns(), 0);
}

export function deactivate(): void {
  // Everything is in context.subscriptions; running trainers are left running on purpose.
}
