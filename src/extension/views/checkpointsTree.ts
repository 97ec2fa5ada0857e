/** The Checkpoints view: runs that wrote checkpoints, and their checkpoint files. */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigRepository } from '../configs/configRepository';
import { CONTEXT_VALUES } from '../ids';
import type { CheckpointInfo, Run, RunStore } from '../runs/runStore';
import { checkpointDescription, checkpointFile, runLabel } from './format';
import { mdEscape } from './markdown';
import { byStartDesc, configNameOf, statusIcon } from './runsTree';
import { throttle, TREE_REFRESH_MS, type Throttled } from './throttle';

export type CheckpointsNode = { kind: 'run'; runId: string } | { kind: 'checkpoint'; runId: string; path: string };

/** A checkpoint as a command argument: its absolute path and facts. */
export interface CheckpointTarget {
  file: string;
  checkpoint: CheckpointInfo;
  runId: string;
}

const KIND_ORDER: Record<CheckpointInfo['kind'], number> = { last: 0, save_point: 1, epoch: 2 };

export class CheckpointsTreeProvider implements vscode.TreeDataProvider<CheckpointsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CheckpointsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly refresh: Throttled;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly store: RunStore,
    private readonly configs: ConfigRepository,
  ) {
    this.refresh = throttle(() => this.changed.fire(undefined), TREE_REFRESH_MS);
    this.subscriptions = [store.onDidChange((id) => this.runChanged(id)), configs.onDidChange(() => this.refresh())];
  }

  /** What this view shows of each run; live progress (iter events) changes none of it. */
  private readonly shown = new Map<string, string>();

  private runChanged(id: string): void {
    const run = this.store.get(id);
    const now = run === undefined ? undefined : `${run.status}|${run.started}|${run.exp_id}|${run.checkpoints.map((c) => `${c.path}@${c.epoch}`).join(',')}`;
    if (now === this.shown.get(id)) return;
    if (now === undefined) this.shown.delete(id);
    else this.shown.set(id, now);
    this.refresh();
  }

  getChildren(node?: CheckpointsNode): CheckpointsNode[] {
    if (node === undefined) {
      return this.store
        .all()
        .filter((run) => run.checkpoints.length > 0)
        .sort(byStartDesc)
        .map((run) => ({ kind: 'run', runId: run.id }));
    }
    if (node.kind === 'run') {
      const run = this.store.get(node.runId);
      if (run === undefined) return [];
      return [...run.checkpoints]
        .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.epoch - a.epoch)
        .map((c) => ({ kind: 'checkpoint', runId: run.id, path: c.path }));
    }
    return [];
  }

  getParent(node: CheckpointsNode): CheckpointsNode | undefined {
    return node.kind === 'checkpoint' ? { kind: 'run', runId: node.runId } : undefined;
  }

  getTreeItem(node: CheckpointsNode): vscode.TreeItem {
    const run = this.store.get(node.runId);
    if (run === undefined) return new vscode.TreeItem('(removed)');
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(runLabel(run), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `ckrun:${run.id}`;
      item.description = configNameOf(run, this.configs);
      item.iconPath = statusIcon(run.status);
      item.contextValue = 'checkpointRun';
      return item;
    }
    const checkpoint = run.checkpoints.find((c) => c.path === node.path);
    if (checkpoint === undefined) return new vscode.TreeItem('(removed)');
    return checkpointItem(run, checkpoint);
  }

  /** The command argument for a node (the tree hands commands the node itself). */
  target(node: CheckpointsNode): CheckpointTarget | undefined {
    if (node.kind !== 'checkpoint') return undefined;
    const run = this.store.get(node.runId);
    const checkpoint = run?.checkpoints.find((c) => c.path === node.path);
    if (run === undefined || checkpoint === undefined) return undefined;
    return { file: checkpointFile(checkpoint, run), checkpoint, runId: run.id };
  }

  dispose(): void {
    this.refresh.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}

function checkpointItem(run: Run, checkpoint: CheckpointInfo): vscode.TreeItem {
  const file = checkpointFile(checkpoint, run);
  const item = new vscode.TreeItem(path.basename(file), vscode.TreeItemCollapsibleState.None);
  item.id = `ck:${run.id}:${checkpoint.path}`;
  item.resourceUri = vscode.Uri.file(file);
  item.description = checkpointDescription(checkpoint);
  item.tooltip = new vscode.MarkdownString(`${mdEscape(file)}\n\n${mdEscape(checkpointDescription(checkpoint))}`);
  item.contextValue = CONTEXT_VALUES.checkpoint;
  return item;
}
