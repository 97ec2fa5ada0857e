/**
 * "Resume from here" (a checkpoint action on the dashboard): starts the built-in trainer with
 * the run's own options plus --resume --load_model <checkpoint>, through TrainerProcesses (the
 * same spawn path as Train), as a new run of the same config. Only checkpoints listed by a run
 * this window knows are accepted; Python runs are not resumed from here.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newRunId } from '../../shared/protocol';
import { isPythonTrainer } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import type { TrainerProcesses } from '../process/trainerProcess';
import { runDirOf } from '../runs/runRecord';
import type { Run, RunStore } from '../runs/runStore';
import { checkpointFile, runLabel } from '../views/format';
import { checkpointRef } from '../evaluate/evaluateArgs';
import { planResume } from './resumeArgs';
import { COMMANDS } from '../ids';

export const RESUME_COMMAND = COMMANDS.resumeFromCheckpoint;

export interface ResumeDeps {
  extensionPath: string;
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The run whose checkpoint list holds `file` (absolute), if any. */
function ownerOf(store: RunStore, file: string): Run | undefined {
  const wanted = path.resolve(file);
  return store.all().find((run) => run.checkpoints.some((c) => path.resolve(checkpointFile(c, run)) === wanted));
}

export function registerResume(deps: ResumeDeps): vscode.Disposable {
  const { store, configs, processes } = deps;
  return vscode.commands.registerCommand(RESUME_COMMAND, async (arg?: unknown) => {
    // A file URI (the dashboard's list, the explorer) or a Checkpoints tree node {runId, path}.
    const ref = arg instanceof vscode.Uri ? (arg.scheme === 'file' ? { file: arg.fsPath } : undefined) : checkpointRef(arg);
    if (ref?.file === undefined) {
      void vscode.window.showInformationMessage('CenterFusion: choose a checkpoint to resume from (its context menu in the Checkpoints view, or the dashboard).');
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('CenterFusion: resuming is disabled in an untrusted workspace, because it runs the trainer.');
      return;
    }
    const named = ref.runId !== undefined ? store.get(ref.runId) : undefined;
    const listed = named?.checkpoints.find((c) => c.path === ref.file);
    const file = path.resolve(named !== undefined && listed !== undefined ? checkpointFile(listed, named) : ref.file);
    const run = ownerOf(store, file);
    if (run === undefined || run.folder === undefined) {
      void vscode.window.showErrorMessage(`CenterFusion: ${path.basename(file)} belongs to no run of this workspace, so its options are unknown.`);
      return;
    }
    const config = configs.all().find((c) => c.folder === run.folder && c.name === run.configName) ?? configs.match(run.folder, run.task, run.exp_id);
    if (config !== undefined && isPythonTrainer(config.trainer)) {
      void vscode.window.showInformationMessage('CenterFusion: resuming from here is available for the built-in trainer only.');
      return;
    }
    const cliPath = path.join(deps.extensionPath, 'dist', 'cli.js');
    for (const needed of [file, cliPath]) {
      const ok = await fs.stat(needed).then((s) => s.isFile(), () => false);
      if (!ok) {
        void vscode.window.showErrorMessage(`CenterFusion: cannot resume: ${needed} does not exist.`);
        return;
      }
    }
    let plan;
    try {
      plan = planResume({ argv: run.argv, raw: config?.raw }, file);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot resume from ${path.basename(file)}: ${messageOf(err)}`);
      return;
    }
    const busy = store.all().find((r) => r.status === 'running' && r.folder === run.folder && r.task === plan.task && r.exp_id === plan.exp_id);
    if (busy !== undefined) {
      // The trainer refuses a second run on a busy exp_id (docs/reliability.md): say so here.
      void vscode.window.showWarningMessage(
        `CenterFusion: ${runLabel(busy)} is training in exp/${plan.task}/${plan.exp_id}. Stop it before resuming from ${path.basename(file)}.`,
      );
      return;
    }
    const runId = newRunId();
    processes.start({
      cliPath,
      root: run.folder,
      runId,
      args: plan.args,
      label: `${run.configName ?? plan.exp_id} ${runId} (resumed)`,
      meta: {
        configName: run.configName,
        task: plan.task,
        exp_id: plan.exp_id,
        runDir: runDirOf(run.folder, plan.task, plan.exp_id, runId),
        num_epochs: plan.num_epochs,
      },
    });
    vscode.window.setStatusBarMessage(`$(debug-restart) CenterFusion: resuming from ${path.basename(file)}`, 5000);
  });
}
