/**
 * Train for configs whose trainer is Python: resolve the interpreter, plan the launch, check the
 * checkout, then start a PythonProcess that TrainerProcesses tracks (so Stop, the Runs view and
 * the end-of-run notifications treat it like a builtin run). Every failure is a message, never an
 * exception in the extension host.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newRunId } from '../../shared/protocol';
import type { TrainingConfig } from '../configs/configFile';
import type { TrainerProcesses } from '../process/trainerProcess';
import type { RunStore } from '../runs/runStore';
import { runLabel } from '../views/format';
import { resolveInterpreter } from './interpreter';
import { DEFAULT_PRINT_ITER, planPythonLaunch } from './pythonLaunch';
import { PythonProcess } from './pythonProcess';

export interface PythonTrainDeps {
  store: RunStore;
  processes: TrainerProcesses;
  output: vscode.OutputChannel;
}

export type TrainPython = (config: TrainingConfig) => Promise<void>;

export function createPythonTrainer(deps: PythonTrainDeps): TrainPython {
  const { store, processes, output } = deps;
  return async (config: TrainingConfig): Promise<void> => {
    try {
      const trainer = typeof config.trainer === 'object' ? (config.trainer as Record<string, unknown>) : {};
      const printIter = vscode.workspace.getConfiguration('centerfusion', vscode.Uri.file(config.folder)).get<number>('printIter', DEFAULT_PRINT_ITER);
      const planned = planPythonLaunch({ folder: config.folder, task: config.task, trainer, options: config.options }, printIter);
      if (!planned.ok) {
        void vscode.window.showErrorMessage(
          `CenterFusion: cannot train "${config.name}": ${planned.problems.length} problem${planned.problems.length === 1 ? '' : 's'}: ${planned.problems.join('; ')}`,
        );
        return;
      }
      const plan = planned.plan;
      const script = path.join(plan.cwd, plan.spec.script);
      try {
        await fs.access(script);
      } catch {
        void vscode.window.showErrorMessage(
          `CenterFusion: cannot train "${config.name}": ${script} does not exist. "trainer.root" must be a CenterFusion checkout (the folder holding src/${plan.spec.script}).`,
        );
        return;
      }
      const interpreter = await resolveInterpreter(plan.spec.python, config.folder);
      if ('error' in interpreter) {
        void vscode.window.showErrorMessage(`CenterFusion: cannot train "${config.name}": ${interpreter.error}.`);
        return;
      }
      const busy = store
        .all()
        .find((r) => r.status === 'running' && r.save_dir === plan.saveDir);
      if (busy !== undefined) {
        const another = 'Start Another';
        const choice = await vscode.window.showWarningMessage(
          `CenterFusion: "${config.name}" is already training (${runLabel(busy)}) in ${plan.saveDir}. A second run would write to the same folder.`,
          another,
        );
        if (choice !== another) return;
      }
      for (const w of plan.warnings) output.appendLine(`[${config.name}] warning: ${w.option}: ${w.message}`);
      const runId = newRunId();
      const proc = new PythonProcess(
        {
          runId,
          python: interpreter.path,
          pythonSource: interpreter.source,
          plan,
          folder: config.folder,
          configName: config.name,
          task: config.task,
          label: `${config.name} ${runId}`,
        },
        store,
        (line) => output.appendLine(line),
      );
      processes.adopt(proc);
      vscode.window.setStatusBarMessage(`$(sync~spin) CenterFusion: training "${config.name}" (Python)`, 10_000);
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot train "${config.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
