/**
 * The options form's contract between the extension host and its webview, and the form logic
 * both sides run: field texts ⇄ config option values, validation (optionsFromConfig +
 * checkOptions), derived values (resolveOptions), the command-line preview (toArgv), and the
 * config file text written on Save (unknown keys and key order kept).
 * No vscode or DOM imports.
 */

import {
  checkOptions,
  OPTION_SPECS,
  optionsFromConfig,
  parseFloatText,
  parseIntText,
  valueProblem,
  resolveOptions,
  toArgv,
  type OptionProblem,
  type OptionSpec,
  type OptionValue,
  type RawOptions,
} from '../options';
import { fieldNotes } from './optionsFormChecks';

/** A field as the form holds it: flags as booleans, everything else as the text typed. */
export type FieldValue = string | boolean;
export type Fields = Record<string, FieldValue>;

export type HostToForm =
  | { type: 'init'; file: string; name: string; task: string; options: Record<string, unknown>; rootDir: string }
  | { type: 'saved'; file: string; name: string }
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  /** The answer to `checkFiles` number `seq`: a problem per required file that is missing. */
  | { type: 'files'; seq: number; problems: OptionProblem[] };

export type FormAction = 'save' | 'saveAs' | 'train';
export type FormToHost =
  | { type: 'ready' }
  | { type: FormAction; task: string; fields: Fields }
  /** Asks the host whether the files these fields name exist (requiredFiles in optionsFormChecks). */
  | { type: 'checkFiles'; seq: number; task: string; fields: Fields };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFields(v: unknown): v is Fields {
  if (!isRecord(v)) return false;
  return Object.values(v).every((x) => typeof x === 'string' || typeof x === 'boolean');
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isProblem(v: unknown): v is OptionProblem {
  return isRecord(v) && typeof v.option === 'string' && typeof v.message === 'string' && (v.severity === undefined || v.severity === 'error' || v.severity === 'warning');
}

export function isFormToHost(v: unknown): v is FormToHost {
  if (!isRecord(v)) return false;
  if (v.type === 'ready') return true;
  if (v.type === 'checkFiles') return isSeq(v.seq) && typeof v.task === 'string' && isFields(v.fields);
  return (v.type === 'save' || v.type === 'saveAs' || v.type === 'train') && typeof v.task === 'string' && isFields(v.fields);
}

export function isHostToForm(v: unknown): v is HostToForm {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'init':
      return typeof v.file === 'string' && typeof v.name === 'string' && typeof v.task === 'string' && isRecord(v.options) && typeof v.rootDir === 'string';
    case 'saved':
      return typeof v.file === 'string' && typeof v.name === 'string';
    case 'notice':
      return (v.level === 'info' || v.level === 'error') && typeof v.message === 'string';
    case 'files':
      return isSeq(v.seq) && Array.isArray(v.problems) && v.problems.every(isProblem);
    default:
      return false;
  }
}

/** Options the form shows (all but the positional task, which has its own field). */
export const FORM_SPECS: readonly OptionSpec[] = OPTION_SPECS.filter((s) => !s.positional);

/** The text (or boolean) a field shows for a value as argparse holds it. */
export function fieldOf(spec: OptionSpec, value: OptionValue): FieldValue {
  if (spec.type === 'flag') return value === true;
  return String(value);
}

/** The form's fields for a config's options: the value given, else the default. */
export function fieldsFromOptions(options: Record<string, unknown>): Fields {
  const fields: Fields = {};
  for (const spec of FORM_SPECS) {
    const v = options[spec.dest];
    if (v === undefined) fields[spec.dest] = fieldOf(spec, spec.default);
    else if (spec.type === 'flag') fields[spec.dest] = v === true;
    else if (Array.isArray(v)) fields[spec.dest] = v.map((x) => String(x)).join(',');
    else fields[spec.dest] = String(v);
  }
  return fields;
}

/** A field converted to its config value, or the reason it cannot be. */
export function valueOfField(spec: OptionSpec, field: FieldValue): { ok: true; value: OptionValue } | { ok: false; message: string } {
  if (spec.type === 'flag') return typeof field === 'boolean' ? { ok: true, value: field } : { ok: false, message: 'expected true or false' };
  if (typeof field !== 'string') return { ok: false, message: 'expected text' };
  if (spec.type === 'int') return parseIntText(field);
  if (spec.type === 'float') return parseFloatText(field);
  const problem = valueProblem(spec, field);
  return problem === undefined ? { ok: true, value: field } : { ok: false, message: problem };
}

function sameValue(a: unknown, b: OptionValue): boolean {
  return Object.is(a, b);
}

/** True when a field differs from the option's default (the form marks it). */
export function isNonDefault(spec: OptionSpec, field: FieldValue): boolean {
  const v = valueOfField(spec, field);
  return !v.ok || !sameValue(v.value, spec.default);
}

export interface Derived {
  heads: string;
  head_conv: string;
  input: string;
  output: string;
  chunk_sizes: string;
  gpus: string;
  save_dir: string;
}

export interface Analysis {
  /** Problems keyed by option dest ('task' for the task, '' for the config as a whole). */
  problems: OptionProblem[];
  /** The config's "options" as they would be saved; undefined when a field cannot be converted. */
  options?: Record<string, unknown>;
  raw?: RawOptions;
  derived?: Derived;
  /** `python main.py ddd --flag value ...`, or why there is none. */
  command: string;
}

/** POSIX shell quoting for the preview (display only: nothing runs this text). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Converts the fields to a config's options: keys the original had stay (in their order, even at
 * the default), other options are written only when they differ from the default, unknown keys
 * of the original are kept as they were.
 */
export function optionsFromFields(fields: Fields, original: Record<string, unknown>): { options: Record<string, unknown>; problems: OptionProblem[] } {
  const options: Record<string, unknown> = {};
  const problems: OptionProblem[] = [];
  const converted = new Map<string, OptionValue>();
  for (const spec of FORM_SPECS) {
    const field = fields[spec.dest];
    if (field === undefined) continue;
    const v = valueOfField(spec, field);
    if (!v.ok) problems.push({ option: spec.dest, message: v.message, severity: 'error' });
    else converted.set(spec.dest, v.value);
  }
  for (const key of Object.keys(original)) {
    if (converted.has(key)) {
      const now = converted.get(key) as OptionValue;
      const before = original[key];
      // An array or number the file used for a list option stays as written when it means the same.
      const spec = FORM_SPECS.find((s) => s.dest === key);
      if (spec?.list && fieldsFromOptions({ [key]: before })[key] === now) options[key] = before;
      else options[key] = now;
      converted.delete(key);
    } else {
      options[key] = original[key];
    }
  }
  for (const spec of FORM_SPECS) {
    const v = converted.get(spec.dest);
    if (v !== undefined && !sameValue(v, spec.default)) options[spec.dest] = v;
  }
  return { options, problems };
}

function describeHeads(heads: Record<string, number>): string {
  return Object.entries(heads)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

/** Validation, derived values and the command preview for the form's current fields. */
export function analyzeForm(task: string, fields: Fields, original: Record<string, unknown>, rootDir: string): Analysis {
  const { options, problems } = optionsFromFields(fields, original);
  if (problems.length > 0) return { problems, command: 'Fix the fields marked in red to see the command line.' };
  let raw: RawOptions;
  try {
    raw = optionsFromConfig(options, task);
  } catch (err) {
    const list = (err as { problems?: OptionProblem[] }).problems;
    return {
      problems: Array.isArray(list) ? list : [{ option: '', message: err instanceof Error ? err.message : String(err), severity: 'error' }],
      options,
      command: 'Fix the fields marked in red to see the command line.',
    };
  }
  const all = [...checkOptions(raw), ...fieldNotes(raw)];
  let command: string;
  try {
    command = ['python', 'main.py', ...toArgv(raw)].map(shellQuote).join(' ');
  } catch (err) {
    command = `(no command line: ${err instanceof Error ? err.message : String(err)})`;
  }
  let derived: Derived | undefined;
  try {
    const r = resolveOptions(raw, { rootDir }) as unknown as Record<string, unknown>;
    const headConv = r['head_conv'] as Record<string, number[]>;
    derived = {
      heads: describeHeads(r['heads'] as Record<string, number>),
      head_conv: Object.entries(headConv)
        .map(([k, v]) => `${k}:[${v.join(',')}]`)
        .join(' '),
      input: `${String(r['input_h'])} × ${String(r['input_w'])}`,
      output: `${String(r['output_h'])} × ${String(r['output_w'])}`,
      chunk_sizes: `[${(r['chunk_sizes'] as number[]).join(', ')}]`,
      gpus: `[${(r['gpus'] as number[]).join(', ')}]`,
      save_dir: String(r['save_dir']),
    };
  } catch (err) {
    const list = (err as { problems?: OptionProblem[] }).problems;
    if (Array.isArray(list)) {
      for (const p of list) if (!all.some((q) => q.option === p.option && q.message === p.message)) all.push(p);
    } else all.push({ option: '', message: err instanceof Error ? err.message : String(err), severity: 'error' });
  }
  return { problems: all, options, raw, derived, command };
}

/** The indentation a JSON text uses (two spaces when it cannot tell). */
function indentOf(text: string): string | number {
  const m = /\n([ \t]+)"/.exec(text);
  return m ? m[1] : 2;
}

/**
 * The config file text after a Save: the original top-level keys in their order (name, trainer
 * and anything else left as is), task and options replaced, same indentation and final newline.
 */
export function configText(originalText: string | undefined, fallbackName: string, task: string, options: Record<string, unknown>): string {
  let doc: Record<string, unknown> = {};
  if (originalText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(originalText.charCodeAt(0) === 0xfeff ? originalText.slice(1) : originalText);
      if (isRecord(parsed)) doc = parsed;
    } catch {
      doc = {};
    }
  }
  const out: Record<string, unknown> = {};
  if (!('name' in doc)) out.name = fallbackName;
  for (const [k, v] of Object.entries(doc)) out[k] = k === 'task' ? task : k === 'options' ? options : v;
  if (!('task' in doc)) out.task = task;
  if (originalText === undefined) out.trainer = 'builtin';
  if (!('options' in doc)) out.options = options;
  const indent = originalText !== undefined ? indentOf(originalText) : 2;
  const newline = originalText === undefined || originalText.endsWith('\n') ? '\n' : '';
  return JSON.stringify(out, null, indent) + newline;
}
