/** The extension's commands (ids as contributed in package.json). */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toArgv } from '../shared/options';
import { newRunId } from '../shared/protocol';
import {
  CONFIGS_DIR,
  DEMO_CONFIG,
  expIdOf,
  hasBlockingProblems,
  isPythonTrainer,
  readConfigFile,
  type TrainingConfig,
} from './configs/configFile';
import type { ConfigRepository } from './configs/configRepository';
import { COMMANDS } from './ids';
import type { TrainerExit, TrainerProcesses } from './process/trainerProcess';
import { loadRun } from './runs/runLoader';
import { runDirOf } from './runs/runRecord';
import type { Run, RunStore } from './runs/runStore';
import type { CheckpointsNode, CheckpointsTreeProvider } from './views/checkpointsTree';
import { doneEpochs, runLabel } from './views/format';
import type { RunsNode } from './views/runsTree';

export interface CommandDeps {
  extensionPath: string;
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
  output: vscode.OutputChannel;
  checkpointsTree: CheckpointsTreeProvider;
  /** Rescans the run folders of every workspace folder. */
  reloadRuns(): Promise<void>;
  /** Trains a config whose trainer is Python (src/extension/python). */
  trainPython?: (config: TrainingConfig) => Promise<void>;
}

const SHOW_OUTPUT = 'Show Output';

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { store, configs, processes, output } = deps;
  /** Status-bar notes of runs started here, cleared when they end. */
  const statusNotes = new Map<string, vscode.Disposable>();

  async function train(arg?: TrainingConfig): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      const manage = 'Manage Workspace Trust';
      const choice = await vscode.window.showWarningMessage(
        'CenterFusion: training is disabled in an untrusted workspace, because a training run executes code and writes files as the workspace configures it. Trust this workspace to train.',
        manage,
      );
      if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    const picked = arg ?? (await pickConfig(configs));
    if (picked === undefined) return;
    // Read the file again: it may have been saved a moment ago, before the watcher caught up.
    const config = await readConfigFile(picked.file, picked.folder);
    if (config.parseError !== undefined) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot train "${config.name}": ${config.parseError}`);
      return;
    }
    if (isPythonTrainer(config.trainer)) {
      if (deps.trainPython !== undefined) await deps.trainPython(config);
      else void vscode.window.showInformationMessage(`CenterFusion: "${config.name}" uses a Python trainer, which this window cannot start.`);
      return;
    }
    if (hasBlockingProblems(config) || config.raw === undefined) {
      const list = config.problems
        .filter((p) => p.severity !== 'warning')
        .map((p) => (p.option ? `${p.option}: ${p.message}` : p.message));
      void vscode.window.showErrorMessage(
        `CenterFusion: cannot train "${config.name}": ${list.length} problem${list.length === 1 ? '' : 's'} in ${path.basename(config.file)}: ${list.join('; ')}`,
      );
      return;
    }
    const cliPath = path.join(deps.extensionPath, 'dist', 'cli.js');
    try {
      await fs.access(cliPath);
    } catch {
      void vscode.window.showErrorMessage(`CenterFusion: the trainer is missing (${cliPath}). Build it with "node scripts/build.mjs".`);
      return;
    }
    let args: string[];
    try {
      args = toArgv(config.raw);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot train "${config.name}": ${(err as Error).message}`);
      return;
    }
    const expId = expIdOf(config);
    const busy = store
      .all()
      .find((r) => r.status === 'running' && r.folder === config.folder && r.task === config.task && r.exp_id === expId);
    if (busy !== undefined) {
      // The trainer refuses a second run on a busy exp_id (a lock in save_dir, docs/reliability.md),
      // so say so here instead of starting a process that would only be refused.
      void vscode.window.showWarningMessage(
        `CenterFusion: "${config.name}" is already training (${runLabel(busy)}) in exp/${config.task}/${expId}. Stop that run first, or give this config another exp_id.`,
      );
      return;
    }
    const runId = newRunId();
    processes.start({
      cliPath,
      root: config.folder,
      runId,
      args,
      label: `${config.name} ${runId}`,
      meta: {
        configName: config.name,
        task: config.task,
        exp_id: expId,
        runDir: runDirOf(config.folder, config.task, expId, runId),
        num_epochs: typeof config.raw['num_epochs'] === 'number' ? config.raw['num_epochs'] : undefined,
      },
    });
    statusNotes.set(runId, vscode.window.setStatusBarMessage(`$(sync~spin) CenterFusion: training "${config.name}"`, 10_000));
  }

  async function stop(arg?: RunsNode | string): Promise<void> {
    const runId = typeof arg === 'string' ? arg : arg?.kind === 'run' ? arg.runId : await pickRunningRun(store);
    if (runId === undefined) return;
    const run = store.get(runId);
    const stopping = processes.stop(runId, () => {
      // A run this window did not start: read its folder again once its process is gone.
      if (run?.runDir !== undefined && run.folder !== undefined) void loadRun(store, run.runDir, run.folder);
    });
    if (!stopping) void vscode.window.showInformationMessage('CenterFusion: that run is not running.');
  }

  function notifyEnd(exit: TrainerExit): void {
    statusNotes.get(exit.runId)?.dispose();
    statusNotes.delete(exit.runId);
    const run = store.get(exit.runId);
    const name = run !== undefined ? describeRun(run) : exit.runId;
    const epochs = run !== undefined ? doneEpochs(run) : 0;
    const summary = `${epochs} epoch${epochs === 1 ? '' : 's'}`;
    switch (exit.status) {
      case 'completed':
        void vscode.window.showInformationMessage(`CenterFusion: ${name} completed (${summary}).`);
        break;
      case 'stopped':
        void vscode.window.showInformationMessage(`CenterFusion: ${name} stopped after ${summary}.`);
        break;
      case 'failed':
      case 'killed': {
        const why = run?.errors[run.errors.length - 1] ?? run?.note;
        const text = `CenterFusion: ${name} ${exit.status}${why !== undefined ? `: ${why}` : '.'}`;
        const shown =
          exit.status === 'failed' ? vscode.window.showErrorMessage(text, SHOW_OUTPUT) : vscode.window.showWarningMessage(text, SHOW_OUTPUT);
        void shown.then((choice) => {
          if (choice === SHOW_OUTPUT) output.show(true);
        });
        break;
      }
    }
  }

  async function createDemoConfig(): Promise<void> {
    const folder = await pickFolder();
    if (folder === undefined) return;
    const uri = vscode.Uri.joinPath(folder.uri, ...CONFIGS_DIR.split(path.sep), 'demo.json');
    const exists = await vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const text = `${JSON.stringify(DEMO_CONFIG, null, 2)}\n`;
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text)); // creates the folders
      await configs.reload(folder.uri.fsPath);
    }
    await vscode.window.showTextDocument(uri, { preview: true, preserveFocus: true });
  }

  return [
    processes.onDidExit(notifyEnd),
    vscode.commands.registerCommand(COMMANDS.train, train),
    vscode.commands.registerCommand(COMMANDS.stop, stop),
    vscode.commands.registerCommand(COMMANDS.refresh, async () => {
      await Promise.all([configs.reload(), deps.reloadRuns()]);
    }),
    vscode.commands.registerCommand(COMMANDS.openConfig, async (config?: TrainingConfig) => {
      const target = config ?? (await pickConfig(configs));
      if (target !== undefined) await vscode.window.showTextDocument(vscode.Uri.file(target.file));
    }),
    vscode.commands.registerCommand(COMMANDS.copyCheckpointPath, async (node?: CheckpointsNode) => {
      const target = node !== undefined ? deps.checkpointsTree.target(node) : undefined;
      if (target === undefined) return;
      await vscode.env.clipboard.writeText(target.file);
      vscode.window.setStatusBarMessage(`Copied ${target.file}`, 3000);
    }),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(COMMANDS.createDemoConfig, createDemoConfig),
  ];
}

/** `run "demo" (demo · 21:30)` for notifications. */
function describeRun(run: Run): string {
  return run.configName !== undefined ? `run "${run.configName}" (${runLabel(run)})` : `run ${runLabel(run)}`;
}

async function pickConfig(configs: ConfigRepository): Promise<TrainingConfig | undefined> {
  await configs.ready;
  const all = configs.all().filter((c) => c.parseError === undefined);
  if (all.length === 0) {
    void vscode.window.showInformationMessage('CenterFusion: no configs in .centerfusion/configs/ of this workspace.');
    return undefined;
  }
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((config) => ({ label: config.name, description: config.task, detail: config.file, config })),
    { placeHolder: 'Config to train' },
  );
  return picked?.config;
}

async function pickRunningRun(store: RunStore): Promise<string | undefined> {
  const running = store.all().filter((run) => run.status === 'running');
  if (running.length === 0) {
    void vscode.window.showInformationMessage('CenterFusion: no run is running.');
    return undefined;
  }
  if (running.length === 1) return running[0].id;
  const picked = await vscode.window.showQuickPick(
    running.map((run) => ({ label: runLabel(run), description: run.configName, detail: run.id, id: run.id })),
    { placeHolder: 'Run to stop' },
  );
  return picked?.id;
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('CenterFusion: open a folder first; configs live in its .centerfusion/configs/.');
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for the demo config' });
}
