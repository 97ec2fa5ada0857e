// The CenterFusion option schema: catalog, argv <-> config <-> resolved options, checks and the
// config file's JSON Schema. Pure TypeScript (no node:*, no vscode, no DOM): it is bundled into
// the extension host, the trainer CLI and the webviews.
export * from './types';
export { OPTION_GROUPS, OPTION_SPECS } from './catalog';
export { DATASET_INFO, NUSCENES_CLASSES } from './datasets';
export {
  KNOWN_TASKS,
  TASK_PATTERN,
  TASK_PRESETS,
  closestDest,
  defaultRawOptions,
  editDistance,
  folderNameProblem,
  getSpec,
  getSpecByFlag,
  listExpectation,
  parseFloatText,
  parseIntText,
  parseListText,
  posixJoin,
  valueProblem,
} from './values';
export type { Parsed } from './values';
export { looksLikeOption, parseArgv, toArgv } from './argv';
export { configJsonSchema, optionValueFromConfig, optionsFromConfig } from './config';
export { PC_ATTS, POINTCLOUD_PILLAR_DIMS, chunkSizes, resolveOptions } from './resolve';
export type { ResolveEnv } from './resolve';
export { SUPPORTED_OPTIMIZERS, checkOptions, hasErrors } from './check';
