/**
 * Ids shared by the code and package.json's "contributes" (test/unit/extension.manifest.test.ts
 * keeps the two in step). The end-to-end tests find things by these names and titles.
 */

export const CONTAINER_ID = 'centerfusion';

export const VIEW_IDS = {
  configs: 'centerfusion.configs',
  runs: 'centerfusion.runs',
  checkpoints: 'centerfusion.checkpoints',
} as const;

export const COMMANDS = {
  train: 'centerfusion.train',
  stop: 'centerfusion.stop',
  refresh: 'centerfusion.refresh',
  openConfig: 'centerfusion.openConfig',
  copyCheckpointPath: 'centerfusion.copyCheckpointPath',
  showOutput: 'centerfusion.showOutput',
  createDemoConfig: 'centerfusion.createDemoConfig',
  openDashboard: 'centerfusion.openDashboard',
  compareRuns: 'centerfusion.compareRuns',
  evaluateCheckpoint: 'centerfusion.evaluateCheckpoint',
  resumeFromCheckpoint: 'centerfusion.resumeFromCheckpoint',
  editOptions: 'centerfusion.editOptions',
  importScript: 'centerfusion.importScript',
} as const;

/** Tree item context values, used in package.json's menu "when" clauses. */
export const CONTEXT_VALUES = {
  config: 'config',
  invalidConfig: 'config.invalid',
  runningRun: 'run.running',
  finishedRun: 'run.finished',
  checkpoint: 'checkpoint',
} as const;

export const OUTPUT_CHANNEL_NAME = 'CenterFusion';
