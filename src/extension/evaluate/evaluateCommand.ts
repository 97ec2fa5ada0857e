/**
 * "Evaluate" on a checkpoint (Checkpoints view, the dashboard's checkpoint list, .pth / .ckpt
 * files in the explorer, the command palette):
 * - built-in runs: the trainer as `train <task> --eval --load_model <checkpoint> --run_dataset_eval
 *   ...the run's options...` through TrainerProcesses (the same spawn path as Train);
 * - Python runs: CenterFusion's `test.py <task> --load_model <checkpoint> --run_dataset_eval ...`
 *   (as its experiments/test.sh) through the Python launch code (src/extension/python);
 * - a file no known run lists: evaluated with the options of a config the user picks.
 * Each evaluation is a run of mode "eval" whose options name the checkpoint (load_model).
 * Evaluations are queued, one at a time; the queue shows in the status bar (click: the list,
 * where a waiting one can be cancelled). When one completes its metrics_summary.json opens in
 * the metrics report.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newRunId } from '../../shared/protocol';
import type { ConfigRepository } from '../configs/configRepository';
import type { TrainingConfig } from '../configs/configFile';
import { COMMANDS } from '../ids';
import type { TrainerProcesses } from '../process/trainerProcess';
import { resolveInterpreter } from '../python/interpreter';
import { DEFAULT_PRINT_ITER, planPythonLaunch } from '../python/pythonLaunch';
import { PythonProcess } from '../python/pythonProcess';
import { runDirOf } from '../runs/runRecord';
import type { Run, RunStore } from '../runs/runStore';
import type { CheckpointsNode, CheckpointsTreeProvider } from '../views/checkpointsTree';
import { checkpointFile } from '../views/format';
import { checkpointRef, EvaluationQueue, planEvaluation, planPythonEvaluation, summaryCandidates } from './evaluateArgs';

export const EVALUATE_COMMAND = COMMANDS.evaluateCheckpoint;
/** The metrics report's custom editor (src/extension/metricsReport). */
const REPORT_VIEW_TYPE = 'centerfusion.metricsReport';
/** Internal: the queue's status bar item opens the queue list (not contributed, no palette entry). */
const SHOW_QUEUE_COMMAND = 'centerfusion.evaluate.showQueue';

export interface EvaluateDeps {
  extensionPath: string;
  store: RunStore;
  configs: ConfigRepository;
  processes: TrainerProcesses;
  checkpointsTree: CheckpointsTreeProvider;
  output: vscode.OutputChannel;
}

/** A checkpoint to evaluate, and where its options come from: its run, else a config. */
interface Picked {
  file: string;
  run?: Run;
  config?: TrainingConfig;
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

async function mtimeOf(file: string): Promise<number | undefined> {
  return fs.stat(file).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
}

function isPythonTrainer(config: TrainingConfig | undefined): boolean {
  return config !== undefined && typeof config.trainer === 'object';
}

export function registerEvaluate(deps: EvaluateDeps): vscode.Disposable[] {
  const { store, configs, processes } = deps;
  const queue = new EvaluationQueue();
  const status = vscode.window.createStatusBarItem('centerfusion.evaluations', vscode.StatusBarAlignment.Left, 40);
  status.name = 'CenterFusion Evaluations';
  status.command = SHOW_QUEUE_COMMAND;
  const showStatus = (): void => {
    const entries = queue.entries();
    if (entries.length === 0) {
      status.hide();
      return;
    }
    const running = entries.find((e) => e.state === 'running');
    const waiting = entries.length - (running !== undefined ? 1 : 0);
    status.text = `$(beaker~spin) ${running !== undefined ? `Evaluating ${running.label}` : 'Evaluations'}${waiting > 0 ? ` (+${waiting} queued)` : ''}`;
    status.tooltip = `CenterFusion evaluations, one at a time:\n${entries.map((e, i) => `${i + 1}. ${e.label} (${e.state})`).join('\n')}\nClick to see the queue or cancel a waiting one.`;
    status.show();
  };
  const queueListener = queue.onDidChange(showStatus);

  async function showQueue(): Promise<void> {
    const entries = queue.entries();
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('CenterFusion: no evaluation is running or waiting.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      entries.map((e) => ({ label: e.label, description: e.state === 'running' ? 'running' : 'queued: select to cancel', entry: e })),
      { placeHolder: 'CenterFusion evaluations (the running one is stopped from the Runs view)' },
    );
    if (picked === undefined || picked.entry.state === 'running') return;
    if (queue.cancel(picked.entry.id)) vscode.window.setStatusBarMessage(`CenterFusion: cancelled the evaluation of ${picked.entry.label}`, 5000);
  }

  /** The newest run that lists `file` as a checkpoint (model_last is shared by the runs of an exp_id). */
  function runOf(file: string, runId?: string): Run | undefined {
    const target = path.resolve(file);
    const lists = (run: Run): boolean => run.checkpoints.some((c) => path.resolve(checkpointFile(c, run)) === target);
    if (runId !== undefined) {
      const run = store.get(runId);
      if (run !== undefined && lists(run)) return run;
    }
    return store
      .all()
      .filter(lists)
      .sort((a, b) => (b.started ?? '').localeCompare(a.started ?? ''))[0];
  }

  function configOf(run: Run): TrainingConfig | undefined {
    const root = run.folder;
    return configs.all().find((c) => c.folder === root && c.name === run.configName) ?? configs.match(root, run.task, run.exp_id);
  }

  /** A config whose options evaluate a checkpoint no known run lists, picked by the user. */
  async function pickConfigFor(file: string): Promise<TrainingConfig | undefined> {
    await configs.ready;
    const usable = configs.all().filter((c) => c.parseError === undefined && c.task !== '');
    if (usable.length === 0) {
      void vscode.window.showErrorMessage(
        `CenterFusion: ${path.basename(file)} belongs to no run this window knows, and there is no config whose options could evaluate it. Create a config first.`,
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      usable.map((c) => ({ label: c.name, description: `${c.task}${typeof c.trainer === 'object' ? ' · Python' : ''}`, detail: c.file, c })),
      { placeHolder: `${path.basename(file)} belongs to no known run: evaluate it with the options of which config?` },
    );
    return picked?.c;
  }

  /** The checkpoints named by the command's arguments (several from a multi-selection in the explorer). */
  async function resolveTargets(arg: unknown, second: unknown): Promise<Picked[]> {
    if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'checkpoint') {
      const target = deps.checkpointsTree.target(arg as CheckpointsNode);
      const run = target !== undefined ? store.get(target.runId) : undefined;
      if (target === undefined || run === undefined) {
        void vscode.window.showErrorMessage('CenterFusion: that checkpoint is no longer listed.');
        return [];
      }
      return [{ file: target.file, run }];
    }
    const many = Array.isArray(second) && second.length > 1 ? second : [arg];
    const refs = many.map(checkpointRef).filter((r): r is NonNullable<typeof r> => r !== undefined && r.file !== undefined);
    if (refs.length > 0) {
      const out: Picked[] = [];
      let fallback: TrainingConfig | undefined;
      for (const ref of refs) {
        const file = path.resolve(ref.file as string);
        const run = runOf(file, ref.runId);
        if (run !== undefined) {
          out.push({ file, run });
          continue;
        }
        fallback ??= await pickConfigFor(file);
        if (fallback === undefined) return out;
        out.push({ file, config: fallback });
      }
      return out;
    }
    const items = store
      .all()
      .flatMap((run) => run.checkpoints.map((c) => ({ run, file: checkpointFile(c, run), c })))
      .map((x) => ({ label: path.basename(x.file), description: `${x.run.exp_id ?? ''} · epoch ${x.c.epoch}`, detail: x.file, x }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('CenterFusion: no checkpoints to evaluate yet.');
      return [];
    }
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Checkpoints to evaluate (they run one after another)', canPickMany: true });
    return (picked ?? []).map((p) => ({ file: p.x.file, run: p.x.run }));
  }

  /** Opens the newest metrics_summary.json among `candidates` written since `since`. */
  async function openReport(file: string, candidates: string[], since: number): Promise<void> {
    for (const candidate of candidates) {
      const mtime = await mtimeOf(candidate);
      if (mtime !== undefined && mtime >= since - 1000) {
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(candidate), REPORT_VIEW_TYPE);
        return;
      }
    }
    void vscode.window.showWarningMessage(`CenterFusion: the evaluation of ${path.basename(file)} finished but wrote no metrics_summary.json.`);
  }

  /** The built-in trainer's evaluation job, or why there is none. */
  async function builtinJob(picked: Picked): Promise<(() => Promise<void>) | string> {
    const { file } = picked;
    const root = picked.run?.folder ?? picked.config?.folder;
    if (root === undefined) return 'its run has no workspace folder';
    const cliPath = path.join(deps.extensionPath, 'dist', 'cli.js');
    if (!(await exists(cliPath))) return `the trainer is missing (${cliPath}). Build it with "node scripts/build.mjs"`;
    const config = picked.config ?? (picked.run !== undefined ? configOf(picked.run) : undefined);
    let plan;
    try {
      plan = planEvaluation({ argv: picked.run?.argv, raw: config?.raw }, file);
    } catch (err) {
      return messageOf(err);
    }
    const evalPlan = plan;
    return async () => {
      const runId = newRunId();
      const runDir = runDirOf(root, evalPlan.task, evalPlan.exp_id, runId);
      const started = Date.now();
      const proc = processes.start({
        cliPath,
        root,
        runId,
        args: evalPlan.args,
        label: `eval ${path.basename(file)}`,
        meta: { configName: picked.run?.configName ?? config?.name, task: evalPlan.task, exp_id: evalPlan.exp_id, runDir, mode: 'eval' },
      });
      const exit = await proc.exited;
      if (exit.status !== 'completed') {
        const why = store.get(runId)?.errors.at(-1);
        void vscode.window.showErrorMessage(`CenterFusion: evaluation of ${path.basename(file)} ${exit.status}${why !== undefined ? `: ${why}` : '.'}`);
        return;
      }
      const done = store.get(runId);
      const valSplit = typeof evalPlan.raw['val_split'] === 'string' ? evalPlan.raw['val_split'] : 'val';
      await openReport(file, summaryCandidates(done?.runDir ?? runDir, done?.save_dir, valSplit), started);
    };
  }

  /** CenterFusion's own evaluation (test.py, as experiments/test.sh) for a Python run or config. */
  async function pythonJob(picked: Picked): Promise<(() => Promise<void>) | string> {
    const { file, run } = picked;
    const config = picked.config ?? (run !== undefined ? configOf(run) : undefined);
    const folder = run?.folder ?? config?.folder;
    if (folder === undefined) return 'its run has no workspace folder';
    // The checkout: the config's trainer object, else the run's save_dir (<root>/exp/<task>/<exp_id>).
    let trainer: Record<string, unknown>;
    if (config !== undefined && typeof config.trainer === 'object') trainer = { ...config.trainer, script: 'test.py' };
    else if (run?.save_dir !== undefined) trainer = { root: path.resolve(run.save_dir, '..', '..', '..'), script: 'test.py' };
    else return 'the Python checkout of this run is unknown (no config and no save_dir)';
    let evalOptions;
    try {
      evalOptions = planPythonEvaluation({ argv: run?.argv, options: config?.options }, file);
    } catch (err) {
      return messageOf(err);
    }
    const task = evalOptions.task ?? run?.task ?? config?.task ?? 'ddd';
    const printIter = vscode.workspace.getConfiguration('centerfusion', vscode.Uri.file(folder)).get<number>('printIter', DEFAULT_PRINT_ITER);
    const planned = planPythonLaunch({ folder, task, trainer, options: evalOptions.options }, printIter);
    if (!planned.ok) return planned.problems.join('; ');
    const plan = planned.plan;
    if (!(await exists(path.join(plan.cwd, plan.spec.script)))) return `${path.join(plan.cwd, plan.spec.script)} does not exist (the CenterFusion checkout)`;
    const interpreter = await resolveInterpreter(plan.spec.python, folder);
    if ('error' in interpreter) return interpreter.error;
    return async () => {
      const runId = newRunId();
      const started = Date.now();
      const proc = new PythonProcess(
        {
          runId,
          python: interpreter.path,
          pythonSource: interpreter.source,
          plan,
          folder,
          configName: run?.configName ?? config?.name,
          task,
          label: `eval ${path.basename(file)}`,
        },
        store,
        (line) => deps.output.appendLine(line),
      );
      processes.adopt(proc);
      const exit = await proc.exited;
      if (exit.status !== 'completed') {
        const why = store.get(runId)?.errors.at(-1);
        void vscode.window.showErrorMessage(`CenterFusion: evaluation of ${path.basename(file)} ${exit.status}${why !== undefined ? `: ${why}` : '.'}`);
        return;
      }
      const valSplit = typeof plan.raw['val_split'] === 'string' ? plan.raw['val_split'] : 'val';
      await openReport(file, summaryCandidates(undefined, plan.saveDir, valSplit), started);
    };
  }

  async function evaluate(arg?: unknown, second?: unknown): Promise<void> {
    try {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('CenterFusion: evaluation is disabled in an untrusted workspace, because it runs the trainer.');
        return;
      }
      const targets = await resolveTargets(arg, second);
      for (const picked of targets) {
        const name = path.basename(picked.file);
        if (!(await exists(picked.file))) {
          void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate: ${picked.file} does not exist (any more).`);
          continue;
        }
        const python = picked.run !== undefined ? picked.run.backend === 'python' || isPythonTrainer(configOf(picked.run)) : isPythonTrainer(picked.config);
        const job = python ? await pythonJob(picked) : await builtinJob(picked);
        if (typeof job === 'string') {
          void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate ${name}: ${job}`);
          continue;
        }
        const ahead = queue.size;
        if (ahead > 0) vscode.window.setStatusBarMessage(`CenterFusion: evaluation of ${name} queued (${ahead} ahead)`, 5000);
        deps.output.appendLine(`Evaluation of ${picked.file} queued${ahead > 0 ? ` behind ${ahead}` : ''} (${python ? 'Python' : 'built-in trainer'})`);
        queue.push(name, () =>
          Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CenterFusion: evaluating ${name}` }, job)),
        );
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`CenterFusion: cannot evaluate: ${messageOf(err)}`);
    }
  }

  return [
    status,
    queueListener,
    vscode.commands.registerCommand(EVALUATE_COMMAND, evaluate),
    vscode.commands.registerCommand(SHOW_QUEUE_COMMAND, showQueue),
  ];
}
