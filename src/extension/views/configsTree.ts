/** The Configs view: one row per config file; click opens it, ▷ trains it. */

import * as vscode from 'vscode';
import { hasBlockingProblems, isPythonTrainer, KEY_OPTIONS, type TrainingConfig } from '../configs/configFile';
import type { ConfigRepository } from '../configs/configRepository';
import { COMMANDS, CONTEXT_VALUES } from '../ids';
import { mdCode, mdEscape } from './markdown';

export class ConfigsTreeProvider implements vscode.TreeDataProvider<TrainingConfig>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TrainingConfig | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly configs: ConfigRepository) {
    this.subscription = configs.onDidChange(() => this.changed.fire(undefined));
  }

  async getChildren(element?: TrainingConfig): Promise<TrainingConfig[]> {
    if (element !== undefined) return [];
    await this.configs.ready; // no "no configs" welcome flashing before the first read
    return this.configs.all();
  }

  getTreeItem(config: TrainingConfig): vscode.TreeItem {
    const item = new vscode.TreeItem(config.name, vscode.TreeItemCollapsibleState.None);
    item.id = config.file;
    item.description = config.parseError !== undefined ? 'invalid' : config.task;
    item.tooltip = tooltip(config);
    item.contextValue = config.parseError !== undefined ? CONTEXT_VALUES.invalidConfig : CONTEXT_VALUES.config;
    if (hasBlockingProblems(config)) item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    else if (config.problems.length > 0) item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    else item.iconPath = new vscode.ThemeIcon(isPythonTrainer(config.trainer) ? 'symbol-namespace' : 'beaker');
    item.command = { command: COMMANDS.openConfig, title: 'Open Config', arguments: [config] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function tooltip(config: TrainingConfig): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${mdEscape(config.name)}**`);
  if (config.task !== '') md.appendMarkdown(` · task ${mdCode(config.task)}`);
  md.appendMarkdown(`\n\n${mdEscape(config.file)}\n\n`);
  if (config.parseError !== undefined) {
    md.appendMarkdown(`$(error) ${mdEscape(config.parseError)}\n`);
    md.supportThemeIcons = true;
    return md;
  }
  md.appendMarkdown(`trainer: ${isPythonTrainer(config.trainer) ? 'Python (later version)' : 'builtin'}\n\n`);
  const shown = KEY_OPTIONS.filter((key) => config.options[key] !== undefined);
  for (const key of shown) md.appendMarkdown(`- ${key}: ${mdCode(JSON.stringify(config.options[key]))}\n`);
  const others = Object.keys(config.options).length - shown.length;
  if (others > 0) md.appendMarkdown(`- … and ${others} more option${others === 1 ? '' : 's'}\n`);
  if (config.problems.length > 0) {
    md.supportThemeIcons = true;
    md.appendMarkdown(`\n${config.problems.length} problem${config.problems.length === 1 ? '' : 's'}:\n\n`);
    for (const p of config.problems) {
      const icon = p.severity === 'warning' ? '$(warning)' : '$(error)';
      md.appendMarkdown(`- ${icon} ${p.option ? `${mdCode(p.option)}: ` : ''}${mdEscape(p.message)}\n`);
    }
  }
  return md;
}
