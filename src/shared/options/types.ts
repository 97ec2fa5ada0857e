// Types shared by the option schema. Pure TypeScript: this folder is bundled into the extension
// host, the trainer CLI and the browser webviews, so it must not import node:*, vscode or the DOM.

/** How argparse reads an option: store_true flag, int(), float() or the raw string. */
export type OptionType = 'flag' | 'int' | 'float' | 'str';

/** A value as argparse holds it (comma lists stay strings, e.g. gpus '0,1'). */
export type OptionValue = boolean | number | string;

/** Element type of a comma-separated list option, as CenterFusion's parse() converts it. */
export type ListType = 'int' | 'float' | 'str';

export interface OptionSpec {
  /** argparse destination, the key in RawOptions and in a config file's "options". */
  dest: string;
  /** '--lr', or 'task' for the positional argument. */
  flag: string;
  type: OptionType;
  /** argparse default, before parse() post-processing. */
  default: OptionValue;
  /** Allowed values (argparse choices). */
  choices?: readonly string[];
  /** CenterFusion's block comment above the option, one of OPTION_GROUPS. */
  group: string;
  /** One or two sentences for forms, hovers and the docs. */
  help: string;
  /** Set for the comma-list options (a 'str' option whose text parse() splits at commas). */
  list?: ListType;
  /** The list may be the empty string (CenterFusion turns '' into []). */
  allowEmptyList?: boolean;
  /** Only the task. */
  positional?: boolean;
  /** Sensible inclusive lower bound, checked by checkOptions (argparse itself accepts anything). */
  min?: number;
  /** Sensible inclusive upper bound, checked by checkOptions. */
  max?: number;
  /** What a form should tell the user beyond the help: derived values, overrides, pitfalls. */
  note?: string;
}

/** dest -> value as argparse holds it; parseArgv and optionsFromConfig always fill every option. */
export type RawOptions = { task: string } & Record<string, OptionValue>;

export type ProblemSeverity = 'error' | 'warning';

export interface OptionProblem {
  /** dest ('lr'), the option as written on a command line ('--lr', '--num_epoch'), or 'task'. */
  option: string;
  message: string;
  /** Absent means 'error'. Everything this module produces sets it. */
  severity?: ProblemSeverity;
}

/** Thrown with every problem found at once; the message has one `option: message` line each. */
export class OptionError extends Error {
  readonly problems: OptionProblem[];

  constructor(problems: OptionProblem[]) {
    super(problems.map((p) => `${p.option}: ${p.message}`).join('\n') || 'invalid options');
    this.name = 'OptionError';
    this.problems = problems;
  }
}

/** What resolveOptions needs to know about a dataset (CenterFusion's dataset class attributes). */
export interface DatasetInfo {
  name: string;
  num_classes: number;
  /** [height, width] */
  default_resolution: [number, number];
  class_name: readonly string[];
  /** Keypoints per object; only datasets usable with multi_pose have it. */
  num_joints?: number;
}

/**
 * Everything CenterFusion's opt namespace holds after parse() and
 * update_dataset_info_and_set_heads(): every raw option (list options converted) plus the derived
 * values. Keys exist exactly when CenterFusion sets them (the --pointcloud-only ones are absent
 * without --pointcloud).
 */
export interface ResolvedOptions extends Record<string, unknown> {
  task: string;
  dataset: string;
  test_dataset: string;
  exp_id: string;
  gpus: number[];
  /** --gpus exactly as given (CenterFusion exports it as CUDA_VISIBLE_DEVICES). */
  gpus_str: string;
  lr_step: number[];
  save_point: number[];
  test_scales: number[];
  save_imgs: string[];
  ignore_loaded_cats: number[];
  pillar_dims: number[];
  num_workers: number;
  batch_size: number;
  master_batch_size: number;
  chunk_sizes: number[];
  tracking: boolean;
  pre_img: boolean;
  fix_res: boolean;
  pad: number;
  num_stacks: number;
  out_thresh: number;
  pre_thresh: number;
  new_thresh: number;
  show_track_color: boolean;
  /** Per head, the channels of each hidden conv layer. */
  head_conv: Record<string, number[]>;
  /** Head name -> output channels, in CenterFusion's insertion order. */
  heads: Record<string, number>;
  /** Head name -> loss weight; keeps the entries of heads removed for a weight of 0. */
  weights: Record<string, number>;
  num_classes: number;
  input_h: number;
  input_w: number;
  input_res: number;
  output_h: number;
  output_w: number;
  output_res: number;
  root_dir: string;
  data_dir: string;
  exp_dir: string;
  save_dir: string;
  debug_dir: string;
  load_model: string;
  pc_atts: string[];
  num_img_channels: number;
  /** Class index -> 0/1 with --pointcloud (pedestrian, motorcycle, bicycle: 1), else null. */
  hm_dist_thresh: Record<string, number> | null;
  sigmoid_dep_sec: boolean;
  hm_to_box_ratio: number;
  secondary_heads: string[];
  custom_head_convs: Record<string, number>;
  normalize_depth: boolean;
  disable_frustum: boolean;
  layers_to_freeze: string[];
  /** Only with --pointcloud. */
  pc_roi_method?: string;
  pc_feat_lvl?: string[];
  pc_feat_channels?: Record<string, number>;
  frustumExpansionRatio?: number;
  sort_det_by_dist?: boolean;
}
