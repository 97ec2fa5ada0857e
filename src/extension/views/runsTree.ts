/**
 * The Runs view: runs grouped by config, each run's epochs under it. Live runs update through
 * the store's change events, folded into at most four refreshes a second.
 */

import * as vscode from 'vscode';
import type { ConfigRepository } from '../configs/configRepository';
import { COMMANDS, CONTEXT_VALUES } from '../ids';
import type { Run, RunState, RunStore } from '../runs/runStore';
import { epochDescription, epochLossLines, formatDateTime, formatLoss, formatLr, runDescription, runLabel } from './format';
import { mdCode, mdEscape } from './markdown';
import { throttle, TREE_REFRESH_MS, type Throttled } from './throttle';

export type RunsNode =
  | { kind: 'group'; name: string }
  | { kind: 'run'; runId: string }
  | { kind: 'epoch'; runId: string; epoch: number };

/** The config a run belongs to: as launched, else matched by task and exp_id, else task/exp_id. */
export function configNameOf(run: Run, configs: ConfigRepository): string {
  return run.configName ?? configs.match(run.folder, run.task, run.exp_id)?.name ?? `${run.task ?? '?'}/${run.exp_id ?? '?'}`;
}

/** Newest first. */
export function byStartDesc(a: Run, b: Run): number {
  return (b.started ?? '').localeCompare(a.started ?? '') || b.id.localeCompare(a.id);
}

const STATUS_ICONS: Record<RunState, [string, string | undefined]> = {
  running: ['sync~spin', undefined],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['debug-stop', undefined],
  killed: ['warning', 'list.warningForeground'],
};

export function statusIcon(status: RunState): vscode.ThemeIcon {
  const [id, color] = STATUS_ICONS[status];
  return new vscode.ThemeIcon(id, color !== undefined ? new vscode.ThemeColor(color) : undefined);
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly refresh: Throttled;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly store: RunStore,
    private readonly configs: ConfigRepository,
    private readonly isStopping: (runId: string) => boolean,
  ) {
    this.refresh = throttle(() => this.changed.fire(undefined), TREE_REFRESH_MS);
    this.subscriptions = [store.onDidChange(() => this.refresh()), configs.onDidChange(() => this.refresh())];
  }

  /**
   * Runs by group name, built when VS Code asks for the root (it always does first after a
   * refresh) and reused for each group's children: one pass over the store per refresh instead
   * of one per group (bench/scale.ts: 1,000 groups took 274 ms with a scan per group).
   */
  private groups: Map<string, Run[]> | undefined;

  private grouped(): Map<string, Run[]> {
    const groups = new Map<string, Run[]>();
    for (const run of this.store.all()) {
      const name = configNameOf(run, this.configs);
      const list = groups.get(name);
      if (list === undefined) groups.set(name, [run]);
      else list.push(run);
    }
    return groups;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (node === undefined) {
      this.groups = this.grouped();
      return [...this.groups.keys()].sort((a, b) => a.localeCompare(b)).map((name) => ({ kind: 'group', name }));
    }
    if (node.kind === 'group') {
      const runs = (this.groups ?? (this.groups = this.grouped())).get(node.name) ?? [];
      return runs
        .filter((run) => this.store.get(run.id) !== undefined)
        .sort(byStartDesc)
        .map((run) => ({ kind: 'run', runId: run.id }));
    }
    if (node.kind === 'run') {
      const run = this.store.get(node.runId);
      if (run === undefined) return [];
      return [...run.epochs.keys()].sort((a, b) => a - b).map((epoch) => ({ kind: 'epoch', runId: run.id, epoch }));
    }
    return [];
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'group') return undefined;
    if (node.kind === 'epoch') return { kind: 'run', runId: node.runId };
    const run = this.store.get(node.runId);
    return run === undefined ? undefined : { kind: 'group', name: configNameOf(run, this.configs) };
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.name}`;
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.contextValue = 'runGroup';
      return item;
    }
    const run = this.store.get(node.runId);
    if (run === undefined) return new vscode.TreeItem('(removed)');
    return node.kind === 'run' ? this.runItem(run) : this.epochItem(run, node.epoch);
  }

  private runItem(run: Run): vscode.TreeItem {
    const item = new vscode.TreeItem(runLabel(run), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${run.id}`;
    item.description = runDescription(run, this.isStopping(run.id));
    item.iconPath = statusIcon(run.status);
    item.contextValue = run.status === 'running' ? CONTEXT_VALUES.runningRun : CONTEXT_VALUES.finishedRun;
    item.tooltip = runTooltip(run);
    // A click opens the run's dashboard (the arrow still expands the epochs).
    item.command = { command: COMMANDS.openDashboard, title: 'Open Dashboard', arguments: [run.id] };
    return item;
  }

  private epochItem(run: Run, epochNumber: number): vscode.TreeItem {
    const epoch = run.epochs.get(epochNumber);
    const item = new vscode.TreeItem(`epoch ${epochNumber}`, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}:epoch:${epochNumber}`;
    item.contextValue = 'epoch';
    // A click opens the run's dashboard with this epoch highlighted.
    item.command = { command: COMMANDS.openDashboard, title: 'Open Dashboard at This Epoch', arguments: [run.id, epochNumber] };
    if (epoch === undefined) return item;
    item.description = epochDescription(epoch, run);
    item.iconPath = new vscode.ThemeIcon(
      epoch.done ? 'circle-filled' : run.status === 'running' ? 'loading~spin' : 'circle-slash',
    );
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**epoch ${epochNumber}**${epoch.lr !== undefined ? ` · lr ${formatLr(epoch.lr)}` : ''}\n\n`);
    const lines = epochLossLines(epoch);
    if (lines.length > 0) md.appendMarkdown(lines.map((line) => `- ${mdEscape(line)}`).join('\n') + '\n\n');
    if (epoch.time_min !== undefined) md.appendMarkdown(`train time: ${epoch.time_min.toFixed(2)} min\n\n`);
    if (epoch.val_time_min !== undefined) md.appendMarkdown(`validation time: ${epoch.val_time_min.toFixed(2)} min\n\n`);
    if (epoch.eval !== undefined) {
      md.appendMarkdown(`NDS ${formatLoss(epoch.eval.NDS)} · mAP ${formatLoss(epoch.eval.mAP)}\n\n`);
    }
    for (const c of epoch.checkpoints) md.appendMarkdown(`checkpoint (${c.kind}): ${mdCode(c.path)}\n\n`);
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.refresh.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}

/** Everything worth knowing about a run, for its row's tooltip. */
export function runTooltip(run: Run): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${mdEscape(run.exp_id ?? run.id)}** · ${run.status}\n\n`);
  const facts: [string, string | undefined][] = [
    ['run', mdCode(run.id)],
    ['config', run.configName !== undefined ? mdEscape(run.configName) : undefined],
    ['task', run.task !== undefined ? mdCode(run.task) : undefined],
    ['started', formatDateTime(run.started)],
    ['ended', formatDateTime(run.ended)],
    ['epochs', run.num_epochs !== undefined ? `${run.epoch ?? 0} of ${run.num_epochs}` : run.epoch?.toString()],
    ['backend', run.backend],
    ['pid', run.pid?.toString()],
    ['exit', run.exit_code !== undefined && run.exit_code !== null ? `code ${run.exit_code}` : run.signal ?? undefined],
    ['folder', run.save_dir !== undefined ? mdEscape(run.save_dir) : undefined],
    ['warnings', run.warnings > 0 ? String(run.warnings) : undefined],
    ['bad event lines', run.problems > 0 ? String(run.problems) : undefined],
    ['NDS / mAP', run.lastEval !== undefined ? `${formatLoss(run.lastEval.NDS)} / ${formatLoss(run.lastEval.mAP)}` : undefined],
  ];
  for (const [name, value] of facts) if (value !== undefined) md.appendMarkdown(`- ${name}: ${value}\n`);
  if (run.note !== undefined) md.appendMarkdown(`\n${mdEscape(run.note)}\n`);
  const lastError = run.errors[run.errors.length - 1];
  if (lastError !== undefined) md.appendMarkdown(`\nlast error: ${mdEscape(lastError)}\n`);
  return md;
}
