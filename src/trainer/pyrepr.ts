/**
 * Python-style text for values, so that opt.txt reads like the one CenterFusion writes
 * (`'  %s: %s' % (k, v)` over its option namespace): True/False/None, ints without a point,
 * floats as repr() prints them (1.0, 0.000125, 1e-05), lists [1, 2], dicts {'hm': 10}, and
 * strings bare at the top level but quoted inside containers.
 */
import { getSpec, getSpecByFlag, type ResolvedOptions } from '../shared/options';
import { pyFloatRepr } from '../shared/eval';

/** Python's repr() of a str. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** How a number should print: as a Python int or a Python float. */
export type NumKind = 'int' | 'float';

/** Python's str() of a number held as the given kind. */
export function pyNumber(n: number, kind: NumKind): string {
  if (kind === 'float' || !Number.isInteger(n)) return pyFloatRepr(n);
  return Object.is(n, -0) ? '0' : n.toFixed(0);
}

/**
 * repr() of a JSON-like value inside a container. Numbers print by `kind(path)` where given,
 * else as int when integral; `intKeys` prints digit-string dict keys as Python ints.
 */
export function pyRepr(value: unknown, numKind: NumKind | ((key: string) => NumKind) = 'int', intKeys = false): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyNumber(value, typeof numKind === 'function' ? 'int' : numKind);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, numKind, intKeys)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const key = intKeys && /^-?\d+$/.test(k) ? k : pyStrRepr(k);
      const kind = typeof numKind === 'function' ? numKind(k) : numKind;
      return `${key}: ${pyRepr(v, kind, intKeys)}`;
    });
    return `{${parts.join(', ')}}`;
  }
  return pyStrRepr(String(value));
}

/**
 * Float options whose argparse default is a Python int (argparse does not convert defaults), so
 * CenterFusion prints them as 1, 0, -1 unless they were given on the command line.
 */
const FLOAT_OPTIONS_WITH_INT_DEFAULT = new Set([
  'out_thresh', 'depth_scale', 'shift', 'scale', 'aug_rot', 'rotate', 'hm_disturb', 'lost_disturb',
  'fp_disturb', 'pre_thresh', 'tracking_weight', 'hm_weight', 'off_weight', 'hp_weight', 'hm_hp_weight',
  'amodel_offset_weight', 'dep_weight', 'dep_res_weight', 'dim_weight', 'rot_weight', 'nuscenes_att_weight',
  'velocity_weight', 'r_a', 'r_b', 'pc_z_offset', 'iou_thresh',
]);

/** The option behind each loss weight (CenterFusion's opt.weights). */
const WEIGHT_OPTION: Record<string, string> = {
  hm: 'hm_weight', wh: 'wh_weight', reg: 'off_weight', hps: 'hp_weight', hm_hp: 'hm_hp_weight',
  hp_offset: 'off_weight', dep: 'dep_weight', dep_res: 'dep_res_weight', rot: 'rot_weight',
  dep_sec: 'dep_weight', dim: 'dim_weight', rot_sec: 'rot_weight', amodel_offset: 'amodel_offset_weight',
  ltrb: 'ltrb_weight', tracking: 'tracking_weight', ltrb_amodal: 'ltrb_amodal_weight',
  nuscenes_att: 'nuscenes_att_weight', velocity: 'velocity_weight',
};

/** Derived values that CenterFusion holds as floats. */
const FLOAT_VALUED = new Set(['test_scales', 'pillar_dims', 'frustumExpansionRatio', 'hm_to_box_ratio']);

/** The dests given explicitly in a CenterFusion argv ('--lr 1', '--lr=1'). */
export function givenDests(argv: readonly string[]): Set<string> {
  const given = new Set<string>();
  for (const token of argv) {
    if (!token.startsWith('--')) continue;
    const flag = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
    const spec = getSpecByFlag(flag);
    if (spec) given.add(spec.dest);
  }
  return given;
}

/** Whether CenterFusion would hold option `dest` with this value as a Python float. */
function optionIsFloat(dest: string, value: number, given: ReadonlySet<string>): boolean {
  const spec = getSpec(dest);
  if (!spec || spec.type !== 'float') return !Number.isInteger(value);
  if (FLOAT_OPTIONS_WITH_INT_DEFAULT.has(dest) && !given.has(dest) && value === spec.default) return false;
  return true;
}

/** str(value) of one option as CenterFusion's opt.txt prints it. */
export function pyOptionValue(key: string, value: unknown, given: ReadonlySet<string>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return pyNumber(value, optionIsFloat(key, value, given) ? 'float' : 'int');
  if (key === 'weights' && value !== null && typeof value === 'object') {
    const weights = value as Record<string, number>;
    return pyRepr(weights, (head) => {
      const dest = WEIGHT_OPTION[head];
      const v = weights[head];
      return dest !== undefined && optionIsFloat(dest, v, given) ? 'float' : Number.isInteger(v) ? 'int' : 'float';
    });
  }
  if (key === 'hm_dist_thresh') return pyRepr(value, 'int', true);
  return pyRepr(value, FLOAT_VALUED.has(key) ? 'float' : 'int');
}

export interface OptTxtInput {
  /** Stands in for `git describe --always` (printed as a Python bytes repr). */
  commit: string;
  tfjsVersion: string;
  backend: string;
  /** The command line, program name first (Python's sys.argv). */
  cmd: readonly string[];
  opts: ResolvedOptions;
  /** Dests given on the command line (decides int vs float for some defaults). */
  given: ReadonlySet<string>;
}

/** opt.txt in CenterFusion's shape, with tfjs lines where it prints torch and cudnn versions. */
export function formatOptTxt(input: OptTxtInput): string {
  const lines: string[] = [];
  lines.push(`==> commit hash: b'${input.commit}\\n'`);
  lines.push(`==> tfjs version: ${input.tfjsVersion}`);
  lines.push(`==> tfjs backend: ${input.backend}`);
  lines.push('==> Cmd:');
  lines.push(pyRepr([...input.cmd]));
  lines.push('==> Opt:');
  const keys = Object.keys(input.opts).sort();
  for (const key of keys) lines.push(`  ${key}: ${pyOptionValue(key, input.opts[key], input.given)}`);
  return `${lines.join('\n')}\n`;
}
