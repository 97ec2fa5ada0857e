/**
 * "Evaluate" on a checkpoint: runs the built-in trainer as
 *   train <task> --eval --load_model <checkpoint> --run_dataset_eval ...the run's options...
 * through TrainerProcesses (the same spawn path as Train), so the evaluation shows up as a run of
 * mode "eval". Evaluations are queued: one at a time. When one completes, its
 * metrics_summary.json opens in the metrics report.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newRunId } from '../../shared/protocol';
import type { ConfigRepository } from '../configs/configRepository';
import { COMMANDS } from '../ids';
import type { TrainerProcesses } from '../process/trainerProcess';
import { runDirOf } from '../runs/runRecord';
import type { Run, RunStore } from '../runs/runStore';
import type { CheckpointsNode, CheckpointsTreeProvider } from '../views/checkpointsTree';
import { checkpointFile } from '../views/format';
import { planEvaluation, SerialQueue, summaryCandidates } from './evaluateArgs';

export const EVALUATE_COMMAND = COMMANDS.evaluateCheckpoint;
/** The metrics report's custom editor (src/extension/metricsReport). */
const REPORT_VIEW_TYPE = 'centerfusion.metricsReport';

export interface EvaluateDeps {
  extensionPath: string;
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
  checkpointsTree: CheckpointsTreeProvider;
  output: vscode.OutputChannel;
}

interface Picked {
  file: string;
  run: Run;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

export function registerEvaluate(deps: EvaluateDeps): vscode.Disposable[] {
  const { store, configs, processes } = deps;
  const queue = new SerialQueue();

  /** The checkpoint and its run, from a tree node, a file URI (explorer) or a quick pick. */
  async function resolveTarget(arg: unknown): Promise<Picked | undefined> {
    if (arg instanceof vscode.Uri) {
      const file = path.resolve(arg.fsPath);
      for (const run of store.all()) {
        if (run.checkpoints.some((c) => path.resolve(checkpointFile(c, run)) === file)) return { file, run };
      }
      void vscode.window.showErrorMessage(
        `CenterFusion: ${path.basename(file)} belongs to no run this window knows, so its options are unknown. Evaluate it from the Checkpoints view.`,
      );
      return undefined;
    }
    if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'checkpoint') {
      const target = deps.checkpointsTree.target(arg as CheckpointsNode);
      const run = target !== undefined ? store.get(target.runId) : undefined;
      if (target === undefined || run === undefined) {
        void vscode.window.showErrorMessage('CenterFusion: that checkpoint is no longer listed.');
        return undefined;
      }
      return { file: target.file, run };
    }
    const items = store
      .all()
      .flatMap((run) => run.checkpoints.map((c) => ({ run, file: checkpointFile(c, run), c })))
      .map((x) => ({ label: path.basename(x.file), description: `${x.run.exp_id ?? ''} · epoch ${x.c.epoch}`, detail: x.file, x }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('CenterFusion: no checkpoints to evaluate yet.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Checkpoint to evaluate' });
    return picked === undefined ? undefined : { file: picked.x.file, run: picked.x.run };
  }

  async function evaluate(arg?: unknown): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('CenterFusion: evaluation is disabled in an untrusted workspace, because it runs the trainer.');
      return;
    }
    const picked = await resolveTarget(arg);
    if (picked === undefined) return;
    const { file, run } = picked;
    const root = run.folder;
    if (root === undefined) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate ${path.basename(file)}: its run has no workspace folder.`);
      return;
    }
    if (!(await exists(file))) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate: ${file} does not exist (any more).`);
      return;
    }
    const cliPath = path.join(deps.extensionPath, 'dist', 'cli.js');
    if (!(await exists(cliPath))) {
      void vscode.window.showErrorMessage(`CenterFusion: the trainer is missing (${cliPath}). Build it with "node scripts/build.mjs".`);
      return;
    }
    const config = configs.all().find((c) => c.folder === root && c.name === run.configName) ?? configs.match(root, run.task, run.exp_id);
    let plan;
    try {
      plan = planEvaluation({ argv: run.argv, raw: config?.raw }, file);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate ${path.basename(file)}: ${messageOf(err)}`);
      return;
    }
    const ahead = queue.size;
    if (ahead > 0) vscode.window.setStatusBarMessage(`CenterFusion: evaluation of ${path.basename(file)} queued (${ahead} ahead)`, 5000);
    const label = `eval ${path.basename(file)}`;
    const finalPlan = plan;
    void queue.push(() =>
      Promise.resolve(
        vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `CenterFusion: evaluating ${path.basename(file)}` },
          async () => {
            const runId = newRunId();
            const runDir = runDirOf(root, finalPlan.task, finalPlan.exp_id, runId);
            const proc = processes.start({
              cliPath,
              root,
              runId,
              args: finalPlan.args,
              label,
              meta: { configName: run.configName, task: finalPlan.task, exp_id: finalPlan.exp_id, runDir, mode: 'eval' },
            });
            const exit = await proc.exited;
            if (exit.status !== 'completed') {
              const why = store.get(runId)?.errors.at(-1);
              void vscode.window.showErrorMessage(`CenterFusion: evaluation of ${path.basename(file)} ${exit.status}${why !== undefined ? `: ${why}` : '.'}`);
              return;
            }
            const done = store.get(runId);
            const valSplit = typeof finalPlan.raw['val_split'] === 'string' ? finalPlan.raw['val_split'] : 'val';
            for (const candidate of summaryCandidates(done?.runDir ?? runDir, done?.save_dir, valSplit)) {
              if (await exists(candidate)) {
                await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(candidate), REPORT_VIEW_TYPE);
                return;
              }
            }
            void vscode.window.showWarningMessage(`CenterFusion: the evaluation of ${path.basename(file)} finished but wrote no metrics_summary.json.`);
          },
        ),
      ),
    );
  }

  return [vscode.commands.registerCommand(EVALUATE_COMMAND, evaluate)];
}
