// Lookup, value parsing and validation shared by argv, config, resolve and check.
import { OPTION_SPECS } from './catalog';
import type { OptionSpec, OptionValue, RawOptions } from './types';

const BY_DEST = new Map<string, OptionSpec>(OPTION_SPECS.map((s) => [s.dest, s]));
const BY_FLAG = new Map<string, OptionSpec>(
  OPTION_SPECS.filter((s) => !s.positional).map((s) => [s.flag, s]),
);

/** The spec of an option by its dest ('lr', 'task'). */
export function getSpec(dest: string): OptionSpec | undefined {
  return BY_DEST.get(dest);
}

/** The spec of an option by its command-line spelling ('--lr'); exact match only. */
export function getSpecByFlag(flag: string): OptionSpec | undefined {
  return BY_FLAG.get(flag);
}

/** The task names CenterFusion recognises (by substring) inside the task argument. */
export const KNOWN_TASKS: readonly string[] = Object.freeze(['ctdet', 'ddd', 'multi_pose', 'tracking']);

/** Task values worth offering in a picker; any comma combination of KNOWN_TASKS is accepted. */
export const TASK_PRESETS: readonly string[] = Object.freeze([
  'ddd',
  'ctdet',
  'multi_pose',
  'tracking',
  'tracking,ddd',
  'tracking,ctdet',
  'tracking,multi_pose',
]);

/** Regular expression source for a task made of KNOWN_TASKS joined by commas. */
export const TASK_PATTERN = `^(${KNOWN_TASKS.join('|')})(,(${KNOWN_TASKS.join('|')}))*$`;

/** argparse's namespace before any argument is read: every option at its default. */
export function defaultRawOptions(task = ''): RawOptions {
  const raw: Record<string, OptionValue> = {};
  for (const spec of OPTION_SPECS) raw[spec.dest] = spec.default;
  raw.task = task;
  return raw as RawOptions;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Quote a text for a message the way JSON would. */
export function quote(text: string): string {
  return JSON.stringify(text);
}

/** A short description of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return String(value);
}

/** Python's int() on a command-line text: surrounding whitespace ok, no fractions, no exponents. */
export function parseIntText(text: string): Parsed<number> {
  const t = text.trim();
  if (!INT_RE.test(t)) return { ok: false, message: `expected an integer, got ${quote(text)}` };
  const value = Number(t);
  if (!Number.isSafeInteger(value)) {
    return { ok: false, message: `integer ${quote(text)} is too large (at most ${Number.MAX_SAFE_INTEGER} in magnitude)` };
  }
  // Python's int('-0') is 0; keep -0 out of integer options.
  return { ok: true, value: value === 0 ? 0 : value };
}

/**
 * Python's float() on a command-line text ('1e-4', '.5', '5.', '-0.0'), except that NaN and the
 * infinities are refused: no option means anything sensible with them and JSON cannot hold them.
 */
export function parseFloatText(text: string): Parsed<number> {
  const t = text.trim();
  if (NON_FINITE_RE.test(t)) {
    return { ok: false, message: `expected a finite number, got ${quote(text)} (NaN and infinity are not accepted)` };
  }
  if (!FLOAT_RE.test(t)) return { ok: false, message: `expected a number, got ${quote(text)}` };
  const value = Number(t);
  if (!Number.isFinite(value)) return { ok: false, message: `number ${quote(text)} is out of range` };
  return { ok: true, value };
}

/** What a list option expects, for messages: 'comma-separated integers like "50" or "20,40"'. */
export function listExpectation(spec: OptionSpec): string {
  let what: string;
  if (spec.dest === 'gpus') what = 'comma-separated GPU ids like "0" or "0,1" (-1 for the CPU)';
  else if (spec.list === 'int') what = 'comma-separated integers like "50" or "20,40"';
  else if (spec.list === 'float') what = 'comma-separated numbers like "1" or "0.75,1,1.25"';
  else what = 'comma-separated names';
  return spec.allowEmptyList ? `${what}, or an empty string` : what;
}

/** Split and convert a comma-list option exactly as CenterFusion's parse() does. */
export function parseListText(spec: OptionSpec, text: string): Parsed<number[] | string[]> {
  if (text === '' && spec.allowEmptyList) return { ok: true, value: [] };
  const parts = text.split(',');
  if (spec.list === 'str') return { ok: true, value: parts };
  const values: number[] = [];
  for (const part of parts) {
    const parsed = spec.list === 'int' ? parseIntText(part) : parseFloatText(part);
    if (!parsed.ok) return { ok: false, message: `expected ${listExpectation(spec)}, got ${quote(text)}` };
    values.push(parsed.value);
  }
  return { ok: true, value: values };
}

/** Convert a command-line text for a value-taking option (int, float or str with its checks). */
export function parseOptionText(spec: OptionSpec, text: string): Parsed<OptionValue> {
  if (spec.type === 'int') return parseIntText(text);
  if (spec.type === 'float') return parseFloatText(text);
  const message = stringProblem(spec, text);
  return message === undefined ? { ok: true, value: text } : { ok: false, message };
}

function stringProblem(spec: OptionSpec, text: string): string | undefined {
  if (spec.choices && !spec.choices.includes(text)) {
    return `invalid choice ${quote(text)} (choose from ${spec.choices.join(', ')})`;
  }
  if (spec.list) {
    const parsed = parseListText(spec, text);
    if (!parsed.ok) return parsed.message;
  }
  return undefined;
}

/**
 * Check a value as RawOptions holds it (boolean / number / string of the right kind, choices,
 * list syntax). Returns the problem, or undefined when the value is fine.
 */
export function valueProblem(spec: OptionSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'flag':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${describe(value)}`;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `expected an integer, got ${describe(value)}`;
      if (!Number.isSafeInteger(value)) return `integer ${describe(value)} is too large`;
      return undefined;
    case 'float':
      if (typeof value !== 'number') return `expected a number, got ${describe(value)}`;
      if (!Number.isFinite(value)) return `expected a finite number, got ${describe(value)}`;
      return undefined;
    case 'str':
      if (typeof value !== 'string') {
        return spec.list
          ? `expected ${listExpectation(spec)}, got ${describe(value)}`
          : `expected a string, got ${describe(value)}`;
      }
      return stringProblem(spec, value);
  }
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The dest closest to `name` (leading dashes ignored), if it is close enough to be a typo. */
export function closestDest(name: string, exclude: readonly string[] = []): string | undefined {
  const bare = name.replace(/^-+/, '');
  if (bare === '') return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of OPTION_SPECS) {
    if (exclude.includes(spec.dest)) continue;
    const d = editDistance(bare.toLowerCase(), spec.dest.toLowerCase());
    if (d < bestDistance) {
      best = spec.dest;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(bare.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Python's // on integers. */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Python's % on integers (the result has the sign of the divisor). */
export function pyMod(a: number, b: number): number {
  return a - b * Math.floor(a / b);
}

/**
 * Join path segments with '/' and normalise the result ('.' dropped, 'x/..' folded, duplicate
 * slashes removed), like Node's path.posix.join. Pure, so it runs in webviews too.
 */
export function posixJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  if (joined === '') return '.';
  const absolute = joined.startsWith('/');
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  if (absolute) return `/${body}`;
  return body === '' ? '.' : body;
}

/**
 * Why `name` cannot be used as a single folder name inside the experiment tree (exp_id, task),
 * or undefined when it is safe on Linux, macOS and Windows.
 */
export function folderNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.includes('/') || name.includes('\\')) return `must be a plain folder name without '/' or '\\', got ${quote(name)}`;
  if (name.includes('..')) return `must not contain '..', got ${quote(name)}`;
  if (name === '.') return `must not be '.'`;
  if (name.startsWith('-')) return `must not start with '-' (it would read as an option), got ${quote(name)}`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `must not contain control characters, got ${quote(name)}`;
  if (/[<>:"|?*]/.test(name)) return `must not contain any of < > : " | ? * (not allowed in Windows folder names), got ${quote(name)}`;
  if (/[ .]$/.test(name) || /^ /.test(name)) return `must not start with a space or end with a space or '.', got ${quote(name)}`;
  if (name.length > 200) return `is too long (${name.length} characters, at most 200)`;
  return undefined;
}
