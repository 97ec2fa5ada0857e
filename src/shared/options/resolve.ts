// RawOptions -> ResolvedOptions: CenterFusion's opts.parse() followed by
// update_dataset_info_and_set_heads(), value for value.
import { OPTION_SPECS } from './catalog';
import { DATASET_INFO, NUSCENES_CLASSES } from './datasets';
import {
  OptionError,
  type DatasetInfo,
  type OptionProblem,
  type RawOptions,
  type ResolvedOptions,
} from './types';
import { closestDest, floorDiv, folderNameProblem, getSpec, parseListText, posixJoin, pyMod, valueProblem } from './values';

export interface ResolveEnv {
  /** The CenterFusion repository root (or the project's equivalent), '/'-separated. */
  rootDir: string;
  /** Dataset description; when absent, --dataset is looked up in DATASET_INFO. */
  dataset?: DatasetInfo;
  /** Extension of checkpoint files, default '.pth' (used for resume's model_last). */
  checkpointExt?: string;
}

/** The radar point attributes CenterFusion reads, in the order of its point-cloud arrays. */
export const PC_ATTS: readonly string[] = Object.freeze([
  'x', 'y', 'z', 'dyn_prop', 'id', 'rcs', 'vx', 'vy', 'vx_comp', 'vy_comp', 'is_quality_valid',
  'ambig_state', 'x_rms', 'y_rms', 'invalid_state', 'pdh0', 'vx_rms', 'vy_rms',
]);

/** pillar_dims that CenterFusion forces when --pointcloud is set. */
export const POINTCLOUD_PILLAR_DIMS: readonly number[] = Object.freeze([1.5, 0.2, 0.2]);

/** Classes whose heatmap may be pushed away from the radar association with --pointcloud. */
const HM_DIST_THRESH_ONE = new Set(['pedestrian', 'motorcycle', 'bicycle']);

/**
 * Split --batch_size over the GPUs as CenterFusion does: the master GPU gets master_batch_size
 * (-1: batch_size // gpus), the rest is spread evenly over the others, the first ones getting one
 * more when it does not divide.
 */
export function chunkSizes(batchSize: number, numGpus: number, masterBatchSize = -1): number[] {
  const master = masterBatchSize === -1 ? floorDiv(batchSize, numGpus) : masterBatchSize;
  const rest = batchSize - master;
  const chunks = [master];
  for (let i = 0; i < numGpus - 1; i++) {
    let size = floorDiv(rest, numGpus - 1);
    if (i < pyMod(rest, numGpus - 1)) size += 1;
    chunks.push(size);
  }
  return chunks;
}

function ints(value: unknown): number[] {
  return value as number[];
}

/**
 * Compute every value CenterFusion derives after parsing (see docs/options.md for the table).
 * `raw` may omit options (their defaults are used). Throws OptionError for values of the wrong
 * kind and for combinations CenterFusion cannot run: an unknown dataset without env.dataset,
 * multi_pose without keypoints, a master batch larger than the batch, down_ratio below 1, and an
 * exp_id or task that is not a safe folder name (they become directories).
 */
export function resolveOptions(raw: RawOptions, env: ResolveEnv): ResolvedOptions {
  const problems: OptionProblem[] = [];
  const err = (option: string, message: string): void => {
    problems.push({ option, message, severity: 'error' });
  };

  // ---- validate and convert what argparse would hold
  const o: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) {
    const value = Object.prototype.hasOwnProperty.call(raw, spec.dest) ? raw[spec.dest] : spec.default;
    const problem = valueProblem(spec, value);
    if (problem) err(spec.dest, problem);
    o[spec.dest] = value;
  }
  for (const key of Object.keys(raw)) {
    if (!getSpec(key)) {
      const guess = closestDest(key);
      err(key, `unknown option${guess ? `; did you mean ${guess}?` : ''}`);
    }
  }
  if (problems.length > 0) throw new OptionError(problems);

  const task = o.task as string;
  const taskProblem = folderNameProblem(task);
  if (taskProblem) err('task', `${taskProblem} (the task names the folder exp/<task>)`);
  const expProblem = folderNameProblem(o.exp_id as string);
  if (expProblem) err('exp_id', expProblem);

  const list = (dest: string): number[] | string[] => {
    const parsed = parseListText(getSpec(dest)!, o[dest] as string);
    // Already validated above, so parsing cannot fail here.
    return parsed.ok ? parsed.value : [];
  };

  // ---- opts.parse()
  if (o.test_dataset === '') o.test_dataset = o.dataset;
  o.gpus_str = o.gpus;
  const gpuIds = ints(list('gpus'));
  let gpus = gpuIds[0] >= 0 ? gpuIds.map((_, i) => i) : [-1];
  o.lr_step = list('lr_step');
  o.save_point = list('save_point');
  o.test_scales = list('test_scales');
  o.save_imgs = list('save_imgs');
  o.ignore_loaded_cats = list('ignore_loaded_cats');

  o.num_workers = Math.max(o.num_workers as number, 2 * gpus.length);
  o.pre_img = false;
  if (task.includes('tracking')) {
    const trackThresh = o.track_thresh as number;
    o.tracking = true;
    o.out_thresh = Math.max(trackThresh, o.out_thresh as number);
    o.pre_thresh = Math.max(trackThresh, o.pre_thresh as number);
    o.new_thresh = Math.max(trackThresh, o.new_thresh as number);
    o.pre_img = !o.no_pre_img;
    if (task.includes('ddd')) o.show_track_color = true;
  }
  o.fix_res = !o.keep_res;

  const arch = o.arch as string;
  let headConv = o.head_conv as number;
  if (headConv === -1) headConv = arch.includes('dla') ? 256 : 64;
  o.pad = arch.includes('hourglass') ? 127 : 31;
  o.num_stacks = arch === 'hourglass' ? 2 : 1;

  const batchSize = o.batch_size as number;
  let master = o.master_batch_size as number;
  if (master === -1) master = floorDiv(batchSize, gpus.length);
  const chunks = chunkSizes(batchSize, gpus.length, master);
  if (chunks.some((c) => c < 0)) {
    err('master_batch_size', `master_batch_size ${master} does not fit in batch_size ${batchSize} (chunk sizes would be ${JSON.stringify(chunks)})`);
  }
  o.master_batch_size = master;
  o.chunk_sizes = chunks;

  if ((o.debug as number) > 0) {
    o.num_workers = 0;
    o.batch_size = 1;
    gpus = [gpus[0]];
    o.master_batch_size = -1;
  }
  o.gpus = gpus;

  const root = env.rootDir;
  o.root_dir = root;
  o.data_dir = posixJoin(root, 'data');
  o.exp_dir = posixJoin(root, 'exp', task);
  o.save_dir = posixJoin(o.exp_dir as string, o.exp_id as string);
  o.debug_dir = posixJoin(o.save_dir as string, 'debug');
  if (o.resume && o.load_model === '') {
    o.load_model = posixJoin(o.save_dir as string, `model_last${env.checkpointExt ?? '.pth'}`);
  }

  o.pc_atts = [...PC_ATTS];
  o.pillar_dims = list('pillar_dims');
  o.num_img_channels = 3;
  o.hm_dist_thresh = null;
  o.sigmoid_dep_sec = false;
  o.hm_to_box_ratio = 0.3;
  o.secondary_heads = [];
  o.custom_head_convs = {};
  o.normalize_depth = false;
  o.disable_frustum = false;
  o.layers_to_freeze = ['base', 'dla_up', 'ida_up'];
  if (o.pointcloud) {
    o.pc_roi_method = 'pillars';
    o.pillar_dims = [...POINTCLOUD_PILLAR_DIMS];
    o.pc_feat_lvl = ['pc_dep', 'pc_vx', 'pc_vz'];
    o.frustumExpansionRatio = 0.0;
    o.disable_frustum = false;
    o.sort_det_by_dist = false;
    o.sigmoid_dep_sec = true;
    o.normalize_depth = true;
    o.secondary_heads = ['velocity', 'nuscenes_att', 'dep_sec', 'rot_sec'];
    // CenterFusion keys this by class index of its fixed nuScenes class list.
    const thresh: Record<string, number> = {};
    NUSCENES_CLASSES.forEach((name, i) => {
      thresh[String(i)] = HM_DIST_THRESH_ONE.has(name) ? 1 : 0;
    });
    o.hm_dist_thresh = thresh;
    o.custom_head_convs = { dep_sec: 3, rot_sec: 3, velocity: 3, nuscenes_att: 3 };
    o.pc_feat_channels = { pc_dep: 0, pc_vx: 1, pc_vz: 2 };
  }

  // ---- update_dataset_info_and_set_heads()
  const dataset = env.dataset ?? DATASET_INFO[o.dataset as string];
  if (!dataset) {
    err('dataset', `unknown dataset ${JSON.stringify(o.dataset)} (known here: ${Object.keys(DATASET_INFO).join(', ')}); pass its description to resolve it`);
    throw new OptionError(problems);
  }
  const downRatio = o.down_ratio as number;
  if (downRatio < 1) err('down_ratio', `must be at least 1 to compute the output size, got ${downRatio}`);
  if (task.includes('multi_pose') && dataset.num_joints === undefined) {
    err('task', `multi_pose needs a keypoint dataset, and ${dataset.name} has no keypoints`);
  }
  if (problems.length > 0) throw new OptionError(problems);

  if ((o.num_classes as number) < 0) o.num_classes = dataset.num_classes;
  const numClasses = o.num_classes as number;
  const inputRes = o.input_res as number;
  let [inputH, inputW] = dataset.default_resolution;
  if (inputRes > 0) {
    inputH = inputRes;
    inputW = inputRes;
  }
  if ((o.input_h as number) > 0) inputH = o.input_h as number;
  if ((o.input_w as number) > 0) inputW = o.input_w as number;
  o.input_h = inputH;
  o.input_w = inputW;
  o.output_h = floorDiv(inputH, downRatio);
  o.output_w = floorDiv(inputW, downRatio);
  o.input_res = Math.max(inputH, inputW);
  o.output_res = Math.max(o.output_h as number, o.output_w as number);

  const heads: Record<string, number> = { hm: numClasses, reg: 2, wh: 2 };
  if (task.includes('tracking')) heads.tracking = 2;
  if (task.includes('ddd')) Object.assign(heads, { dep: 1, rot: 8, dim: 3, amodel_offset: 2 });
  if (o.pointcloud) Object.assign(heads, { dep_sec: 1, rot_sec: 8 });
  if (task.includes('multi_pose')) {
    const joints = dataset.num_joints ?? 0;
    Object.assign(heads, { hps: joints * 2, hm_hp: joints, hp_offset: 2 });
  }
  if (o.ltrb) heads.ltrb = 4;
  if (o.ltrb_amodal) heads.ltrb_amodal = 4;
  if (o.nuscenes_att) heads.nuscenes_att = 8;
  if (o.velocity) heads.velocity = 3;

  const w = (dest: string): number => o[dest] as number;
  const weightOf: Record<string, number> = {
    hm: w('hm_weight'), wh: w('wh_weight'), reg: w('off_weight'), hps: w('hp_weight'),
    hm_hp: w('hm_hp_weight'), hp_offset: w('off_weight'), dep: w('dep_weight'),
    dep_res: w('dep_res_weight'), rot: w('rot_weight'), dep_sec: w('dep_weight'),
    dim: w('dim_weight'), rot_sec: w('rot_weight'), amodel_offset: w('amodel_offset_weight'),
    ltrb: w('ltrb_weight'), tracking: w('tracking_weight'), ltrb_amodal: w('ltrb_amodal_weight'),
    nuscenes_att: w('nuscenes_att_weight'), velocity: w('velocity_weight'),
  };
  const weights: Record<string, number> = {};
  for (const head of Object.keys(heads)) weights[head] = weightOf[head];
  // The weights keep their entries; only the heads go (as in CenterFusion).
  for (const head of Object.keys(weights)) if (weights[head] === 0) delete heads[head];

  const numHeadConv = o.num_head_conv as number;
  const headConvs: Record<string, number[]> = {};
  for (const head of Object.keys(heads)) {
    headConvs[head] = new Array<number>(head === 'reg' ? 1 : Math.max(0, numHeadConv)).fill(headConv);
  }
  // With --pointcloud CenterFusion sets these four even when the head itself is absent.
  for (const [head, layers] of Object.entries(o.custom_head_convs as Record<string, number>)) {
    headConvs[head] = new Array<number>(layers).fill(headConv);
  }
  o.heads = heads;
  o.weights = weights;
  o.head_conv = headConvs;

  return o as ResolvedOptions;
}
