/**
 * Validation of submissions and ground-truth files, with errors that name the offending field
 * of the offending box, e.g. `results["token1"][3].size: expected 3 numbers`.
 */
import { ATTRIBUTE_NAMES, DETECTION_CVPR_2019, DETECTION_NAMES } from './config';
import type { GroundTruthFile, Submission } from './types';

/** At most this many problems are listed in one error. */
const MAX_LISTED = 20;

/** An input the evaluation cannot accept. `problems` lists up to 20 individual findings. */
export class EvalInputError extends Error {
  readonly problems: string[];
  constructor(problems: string[], truncated = false) {
    const head = problems.length === 1 ? problems[0] : `${problems.length}${truncated ? '+' : ''} problems:\n  ${problems.join('\n  ')}`;
    super(head);
    this.name = 'EvalInputError';
    this.problems = problems;
  }
}

class Problems {
  readonly list: string[] = [];
  truncated = false;
  add(msg: string): void {
    if (this.list.length < MAX_LISTED) this.list.push(msg);
    else this.truncated = true;
  }
  get full(): boolean {
    return this.list.length >= MAX_LISTED;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new EvalInputError(this.list, this.truncated);
  }
}

const CLASS_SET: ReadonlySet<string> = new Set<string>(DETECTION_NAMES);
const ATTRIBUTE_SET: ReadonlySet<string> = new Set<string>(ATTRIBUTE_NAMES);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length > 4) return `a list of ${v.length}`;
    return `[${v.map((x: unknown) => (Array.isArray(x) ? 'list' : x !== null && typeof x === 'object' ? 'object' : describe(x))).join(', ')}]`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}

/** A list of exactly n numbers; finite unless allowNonFinite. */
function isNumberList(v: unknown, n: number, allowNonFinite: boolean): boolean {
  if (!Array.isArray(v) || v.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number') return false;
    if (!allowNonFinite && !Number.isFinite(x)) return false;
  }
  return true;
}

/** [vx, vy] where each component is a number (NaN allowed) or null (unknown). */
function isVelocity(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((c: unknown) => c === null || typeof c === 'number');
}

function key(token: string): string {
  return JSON.stringify(token);
}

/** Checks the geometry and label fields shared by predictions and ground truth. */
function checkCommonBox(box: Record<string, unknown>, where: string, token: string, p: Problems): void {
  if (typeof box.sample_token !== 'string') p.add(`${where}.sample_token: expected a string, got ${describe(box.sample_token)}`);
  else if (box.sample_token !== token) {
    p.add(`${where}.sample_token: ${key(box.sample_token)} differs from the sample it is listed under (${key(token)})`);
  }
  if (!isNumberList(box.translation, 3, false)) p.add(`${where}.translation: expected 3 numbers, got ${describe(box.translation)}`);
  if (!isNumberList(box.size, 3, false)) p.add(`${where}.size: expected 3 numbers, got ${describe(box.size)}`);
  if (!isNumberList(box.rotation, 4, false)) {
    p.add(`${where}.rotation: expected 4 numbers [w, x, y, z], got ${describe(box.rotation)}`);
  }
  const name = box.detection_name;
  if (typeof name !== 'string') p.add(`${where}.detection_name: expected a string, got ${describe(name)}`);
  else if (!CLASS_SET.has(name)) {
    p.add(`${where}.detection_name: unknown class ${key(name)} (expected one of ${DETECTION_NAMES.join(', ')})`);
  }
  const attr = box.attribute_name;
  if (typeof attr !== 'string') p.add(`${where}.attribute_name: expected a string ("" for none), got ${describe(attr)}`);
  else if (attr !== '' && !ATTRIBUTE_SET.has(attr)) {
    p.add(`${where}.attribute_name: unknown attribute ${key(attr)} (expected "" or one of ${ATTRIBUTE_NAMES.join(', ')})`);
  }
  if (box.ego_translation !== undefined && !isNumberList(box.ego_translation, 3, false)) {
    p.add(`${where}.ego_translation: expected 3 numbers when present, got ${describe(box.ego_translation)}`);
  }
}

export interface ValidateSubmissionOptions {
  /** Defaults to detection_cvpr_2019's 500. */
  maxBoxesPerSample?: number;
}

/**
 * Checks that `value` is a nuScenes submission ({meta, results}) and returns it typed.
 * Throws EvalInputError listing up to 20 problems. Rules (the devkit's, plus stricter checks
 * that turn its silent or late failures into clear errors):
 * - `results` maps sample tokens to lists of at most max_boxes_per_sample boxes (counted
 *   before any filtering); `meta` is an object;
 * - translation, size (3) and rotation (4) are finite numbers; velocity is 2 numbers, NaN or
 *   null meaning unknown (the devkit accepts NaN, and would crash on null once such a box matched);
 * - detection_score is a finite number; detection_name and attribute_name are known names;
 * - a box's sample_token equals the key it is listed under; num_pts, when present, is an integer.
 */
export function validateSubmission(value: unknown, opts: ValidateSubmissionOptions = {}): Submission {
  const max = opts.maxBoxesPerSample ?? DETECTION_CVPR_2019.max_boxes_per_sample;
  const p = new Problems();
  if (!isObject(value)) throw new EvalInputError([`submission: expected a JSON object {"meta": ..., "results": ...}, got ${describe(value)}`]);
  if (!('results' in value)) {
    throw new EvalInputError(['submission: no field "results" (the submission format is {"meta": {...}, "results": {sample_token: [box, ...]}})']);
  }
  if (!isObject(value.meta)) p.add(`meta: expected an object (use_camera, use_lidar, use_radar, use_map, use_external), got ${describe(value.meta)}`);
  const results = value.results;
  if (!isObject(results)) {
    p.add(`results: expected an object mapping sample tokens to lists of boxes, got ${describe(results)}`);
    p.throwIfAny();
    return value as unknown as Submission;
  }
  for (const token of Object.keys(results)) {
    const boxes = results[token];
    const here = `results[${key(token)}]`;
    if (!Array.isArray(boxes)) {
      p.add(`${here}: expected a list of boxes, got ${describe(boxes)}`);
      continue;
    }
    if (boxes.length > max) {
      p.add(`${here}: ${boxes.length} boxes; at most ${max} boxes per sample are allowed`);
      continue;
    }
    for (let i = 0; i < boxes.length; i++) {
      if (p.full) break;
      const box: unknown = boxes[i];
      const where = `${here}[${i}]`;
      if (!isObject(box)) {
        p.add(`${where}: expected a box object, got ${describe(box)}`);
        continue;
      }
      checkCommonBox(box, where, token, p);
      if (!isVelocity(box.velocity)) {
        p.add(`${where}.velocity: expected 2 numbers [vx, vy] (NaN or null when unknown), got ${describe(box.velocity)}`);
      }
      const score = box.detection_score;
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        p.add(`${where}.detection_score: expected a finite number, got ${describe(score)}`);
      }
      if (box.num_pts !== undefined && !Number.isInteger(box.num_pts)) {
        p.add(`${where}.num_pts: expected an integer when present, got ${describe(box.num_pts)}`);
      }
    }
    if (p.full) break;
  }
  p.throwIfAny();
  return value as unknown as Submission;
}

/**
 * Checks that `value` is a ground-truth file ({sample_tokens, ego_pose_translation, gt_boxes})
 * and returns it typed. Velocity may be null or hold null/NaN components (unknown);
 * num_pts must be an integer; every sample needs an ego pose; gt_boxes may only list samples
 * of sample_tokens (a sample without an entry has no boxes).
 */
export function validateGroundTruth(value: unknown): GroundTruthFile {
  const p = new Problems();
  if (!isObject(value)) {
    throw new EvalInputError([`ground truth: expected a JSON object {"sample_tokens", "ego_pose_translation", "gt_boxes"}, got ${describe(value)}`]);
  }
  const tokens = value.sample_tokens;
  const poses = value.ego_pose_translation;
  const gtBoxes = value.gt_boxes;
  if (!Array.isArray(tokens)) p.add(`sample_tokens: expected a list of sample tokens, got ${describe(tokens)}`);
  if (!isObject(poses)) p.add(`ego_pose_translation: expected an object mapping sample tokens to [x, y, z], got ${describe(poses)}`);
  if (!isObject(gtBoxes)) p.add(`gt_boxes: expected an object mapping sample tokens to lists of boxes, got ${describe(gtBoxes)}`);
  p.throwIfAny();
  const tokenList = tokens as unknown[];
  const poseMap = poses as Record<string, unknown>;
  const boxMap = gtBoxes as Record<string, unknown>;
  const seen = new Set<string>();
  for (let i = 0; i < tokenList.length; i++) {
    if (p.full) break;
    const t = tokenList[i];
    if (typeof t !== 'string') {
      p.add(`sample_tokens[${i}]: expected a string, got ${describe(t)}`);
      continue;
    }
    if (seen.has(t)) p.add(`sample_tokens[${i}]: ${key(t)} is listed twice`);
    seen.add(t);
    if (!Object.prototype.hasOwnProperty.call(poseMap, t)) p.add(`ego_pose_translation: no pose for sample ${key(t)}`);
    else if (!isNumberList(poseMap[t], 3, false)) {
      p.add(`ego_pose_translation[${key(t)}]: expected 3 numbers, got ${describe(poseMap[t])}`);
    }
  }
  for (const token of Object.keys(boxMap)) {
    if (p.full) break;
    const here = `gt_boxes[${key(token)}]`;
    if (!seen.has(token)) {
      p.add(`${here}: sample is not listed in sample_tokens`);
      continue;
    }
    const boxes = boxMap[token];
    if (!Array.isArray(boxes)) {
      p.add(`${here}: expected a list of boxes, got ${describe(boxes)}`);
      continue;
    }
    for (let i = 0; i < boxes.length; i++) {
      if (p.full) break;
      const box: unknown = boxes[i];
      const where = `${here}[${i}]`;
      if (!isObject(box)) {
        p.add(`${where}: expected a box object, got ${describe(box)}`);
        continue;
      }
      checkCommonBox(box, where, token, p);
      const vel = box.velocity;
      if (vel !== null && !isVelocity(vel)) p.add(`${where}.velocity: expected 2 numbers [vx, vy] or null (unknown), got ${describe(vel)}`);
      if (!Number.isInteger(box.num_pts)) p.add(`${where}.num_pts: expected an integer, got ${describe(box.num_pts)}`);
      if (box.detection_score !== undefined && typeof box.detection_score !== 'number') {
        p.add(`${where}.detection_score: expected a number when present, got ${describe(box.detection_score)}`);
      }
    }
  }
  p.throwIfAny();
  return value as unknown as GroundTruthFile;
}

/**
 * The devkit requires predictions and ground truth to cover the same set of samples.
 * Throws EvalInputError naming a few of the samples on each side.
 */
export function checkSameSamples(gt: GroundTruthFile, submission: Submission): void {
  const gtSet = new Set(gt.sample_tokens);
  const predTokens = Object.keys(submission.results);
  const predSet = new Set(predTokens);
  const missing = gt.sample_tokens.filter((t) => !predSet.has(t));
  const extra = predTokens.filter((t) => !gtSet.has(t));
  if (missing.length === 0 && extra.length === 0) return;
  const sample = (list: string[]): string =>
    list
      .slice(0, 3)
      .map((t) => key(t))
      .join(', ') + (list.length > 3 ? ', …' : '');
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`${missing.length} sample(s) of the ground truth have no entry in results (${sample(missing)})`);
  if (extra.length > 0) parts.push(`${extra.length} sample(s) in results are not in the ground truth (${sample(extra)})`);
  throw new EvalInputError([
    `predictions and ground truth cover different samples: ${parts.join('; ')}. Every sample of the split needs an entry in results, even an empty list.`,
  ]);
}
