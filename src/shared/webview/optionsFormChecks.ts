/**
 * What the options form checks beyond the option values themselves:
 * - the comma-list options edited item by item (split, join, per-item problems);
 * - the files the options name that must exist (load_model, the converted nuScenes annotation
 *   file of the chosen radar_sweeps and split), planned here, checked by the host on disk;
 * - notes that depend on other options (pillar_dims is overwritten with --pointcloud).
 * No vscode, node or DOM imports: the webview and the host both run this.
 */

import { getSpec, listExpectation, parseFloatText, parseIntText, POINTCLOUD_PILLAR_DIMS, type OptionProblem, type OptionSpec, type RawOptions } from '../options';

function quote(text: string): string {
  return JSON.stringify(text);
}

/** The items of a comma-list field ('' is no item when the option allows an empty list). */
export function listItems(spec: OptionSpec, text: string): string[] {
  if (text === '' && spec.allowEmptyList === true) return [];
  return text.split(',');
}

/** The field text of a list's items, as CenterFusion reads it (comma-joined). */
export function joinListItems(items: readonly string[]): string {
  return items.join(',');
}

/** Why one item of a list option is not valid, or undefined. */
export function listItemProblem(spec: OptionSpec, item: string): string | undefined {
  if (spec.list === undefined) return undefined;
  const text = item;
  if (text === '') return spec.list === 'str' ? 'empty name' : `empty: ${spec.list === 'int' ? 'an integer' : 'a number'} is expected`;
  if (text.includes(',')) return 'one value per item (no comma)';
  if (spec.list === 'int') {
    const parsed = parseIntText(text);
    if (!parsed.ok) return `${quote(text)} is not an integer`;
    if (spec.dest === 'gpus' && parsed.value < -1) return 'GPU ids are 0 or more (-1 for the CPU)';
    if ((spec.dest === 'lr_step' || spec.dest === 'save_point') && parsed.value < 1) return 'epochs start at 1';
    return undefined;
  }
  if (spec.list === 'float') {
    const parsed = parseFloatText(text);
    if (!parsed.ok) return `${quote(text)} is not a number`;
    if ((spec.dest === 'test_scales' || spec.dest === 'pillar_dims') && parsed.value <= 0) return 'must be more than 0';
    return undefined;
  }
  return undefined;
}

/** Per-item problems of a list field, as `item N: problem`, plus an empty-list problem. */
export function listProblems(spec: OptionSpec, text: string): { index: number; message: string }[] {
  const items = listItems(spec, text);
  if (items.length === 0 && spec.allowEmptyList !== true) return [{ index: -1, message: `at least one item: ${listExpectation(spec)}` }];
  const out: { index: number; message: string }[] = [];
  items.forEach((item, index) => {
    const message = listItemProblem(spec, item);
    if (message !== undefined) out.push({ index, message });
  });
  return out;
}

/** A file the options name that should exist, relative to the run's folders or absolute. */
export interface RequiredFile {
  /** The option the message goes next to. */
  option: string;
  /** The path as the options give it (load_model) or as CenterFusion builds it (annotations). */
  path: string;
  /**
   * What a relative `path` is relative to: 'cwd' (where the trainer runs: the workspace folder
   * for the built-in trainer, <checkout>/src for Python) or 'root' (the folder holding data/).
   */
  base: 'cwd' | 'root';
  /** The message when it is missing. */
  missing: string;
}

/** The nuScenes annotations folder CenterFusion reads for a sweep count. */
export function annotationsDir(radarSweeps: number): string {
  return radarSweeps > 1 ? `annotations_${radarSweeps}sweeps` : 'annotations';
}

/**
 * The files these options need before a run can start: load_model when given, and for the
 * nuScenes dataset the converted annotation file of every split the run loads
 * (data/nuscenes/annotations[_<N>sweeps]/<split>.json: the train split unless --eval, the val
 * split when validating or evaluating, test.json for dataset_version "test").
 */
export function requiredFiles(raw: RawOptions): RequiredFile[] {
  const out: RequiredFile[] = [];
  const load = raw.load_model;
  if (typeof load === 'string' && load.trim() !== '') {
    out.push({ option: 'load_model', path: load, base: 'cwd', missing: `no file at ${load}` });
  }
  if (raw.dataset === 'nuscenes') {
    const sweeps = typeof raw.radar_sweeps === 'number' ? raw.radar_sweeps : 1;
    const dir = `data/nuscenes/${annotationsDir(sweeps)}`;
    const splits: string[] = [];
    if (raw.dataset_version === 'test') splits.push('test');
    else {
      const epochs = typeof raw.num_epochs === 'number' ? raw.num_epochs : 0;
      const every = typeof raw.val_intervals === 'number' ? raw.val_intervals : 0;
      if (raw.eval !== true && typeof raw.train_split === 'string') splits.push(raw.train_split);
      if ((raw.eval === true || every < epochs) && typeof raw.val_split === 'string' && !splits.includes(raw.val_split)) splits.push(raw.val_split);
    }
    for (const split of splits) {
      const file = `${dir}/${split}.json`;
      out.push({
        option: 'radar_sweeps',
        path: file,
        base: 'root',
        missing: `${file} does not exist: convert the annotations for ${sweeps} sweep${sweeps === 1 ? '' : 's'} first (CenterFusion's convert_nuScenes.py, NUM_SWEEPS = ${sweeps}) or pick the sweep count you converted`,
      });
    }
  }
  return out;
}

/** Notes that depend on other options, shown next to the field (never block Save). */
export function fieldNotes(raw: RawOptions): OptionProblem[] {
  const out: OptionProblem[] = [];
  // A changed value already gets checkOptions' warning; the default gets this note.
  if (raw.pointcloud === true && raw.pillar_dims === getSpec('pillar_dims')?.default) {
    out.push({
      option: 'pillar_dims',
      message: `overwritten with --pointcloud: CenterFusion uses ${POINTCLOUD_PILLAR_DIMS.join(',')} whatever is set here`,
      severity: 'warning',
    });
  }
  return out;
}
