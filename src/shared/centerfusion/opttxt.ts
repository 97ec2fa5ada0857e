/**
 * CenterFusion's opt.txt (written by its Logger at start-up, in the save_dir and in each logs_*
 * folder):
 *
 *   ==> commit hash: b'3bac5c9b...\n'          (bytes repr of `git describe` output)
 *   ==> torch version: 1.2.0
 *   ==> cudnn version: 7602
 *   ==> Cmd:
 *   ['main.py', 'ddd', '--exp_id', 'centerfusion', ...]
 *   ==> Opt:
 *     K: 100
 *     arch: dla_34
 *     lr_step: [50]
 *     ...
 *
 * Each option is written as `  %s: %s` with Python's str(): strings appear without quotes,
 * lists/dicts/tuples as their repr (strings quoted inside), booleans True/False, None, floats
 * such as 1e-05 or 0.000125. Options the catalog knows as plain strings are kept as written
 * (so an exp_id `123` stays a string); everything else is read as a Python literal when it is
 * one, else kept as text.
 *
 * Pure TypeScript; never throws.
 */

import type { EventBody, OptionsEvent } from '../protocol/types';
import { getSpec } from '../options/values';
import { parsePyLiteral } from './pyliteral';
import type { PyValue } from './pyliteral';
import { ProblemList, excerpt } from './text';

export interface OptTxt {
  /** From `==> commit hash:` (the bytes repr decoded, surrounding whitespace removed). */
  commit?: string;
  torch_version?: string;
  cudnn_version?: string;
  /** sys.argv[0], e.g. `main.py` or `test.py`. */
  script?: string;
  /** The arguments after the script (sys.argv[1:]). */
  argv?: string[];
  /**
   * Every `==> name: value` header line (name in lower case), including ones CenterFusion does
   * not write (our own trainer writes `tfjs version` and `tfjs backend`).
   */
  headers: Record<string, string>;
  /** Option name -> value. */
  opts: Record<string, unknown>;
  problems: string[];
}

/** Options CenterFusion computes as strings (not in the argparse catalog). */
const COMPUTED_STRINGS = new Set([
  'gpus_str',
  'root_dir',
  'data_dir',
  'exp_dir',
  'save_dir',
  'debug_dir',
  'device',
  'custom_dataset_img_path',
  'custom_dataset_ann_path',
]);

const HEADER = /^==> ([A-Za-z][\w .-]{0,60}?):[ \t]?(.*)$/;
const OPTION = /^\s+([A-Za-z_][\w.-]{0,127}):(?: (.*))?$/;

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** The value of one option line as Python's str() wrote it. */
export function optionValue(name: string, text: string): unknown {
  const spec = getSpec(name);
  if (COMPUTED_STRINGS.has(name)) return text;
  if (spec !== undefined && spec.type === 'str' && spec.list === undefined) return text;
  if (text === '') return '';
  const r = parsePyLiteral(text);
  if (!r.ok) return text;
  // A bare word that only looks like a literal by accident is still a literal here (True,
  // None, 12); a catalog flag read as something other than a boolean keeps its text.
  if (spec !== undefined && spec.type === 'flag' && typeof r.value !== 'boolean') return text;
  return r.value;
}

function textOf(value: PyValue): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Reads a whole opt.txt. */
export function parseOptTxt(text: string, options: { maxProblems?: number } = {}): OptTxt {
  const problems = new ProblemList(options.maxProblems ?? 200);
  const result: OptTxt = { opts: {}, headers: {}, problems: [] };
  try {
    const src = typeof text === 'string' ? text : String(text);
    const lines = (src.charCodeAt(0) === 0xfeff ? src.slice(1) : src).split('\n');
    let section: 'head' | 'cmd' | 'opt' = 'head';
    let sawOpt = false;
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const lineNo = i + 1;
      try {
        if (line.trim() === '') continue;
        const h = HEADER.exec(line);
        if (h !== null) {
          const key = h[1].trim().toLowerCase();
          const value = h[2];
          if (key !== 'cmd' && key !== 'opt') setOwn(result.headers, key, value.trim());
          if (key === 'commit hash') {
            const r = parsePyLiteral(value);
            result.commit = (r.ok && typeof r.value === 'string' ? r.value : value).trim();
          } else if (key === 'torch version') result.torch_version = value.trim();
          else if (key === 'cudnn version') result.cudnn_version = value.trim();
          else if (key === 'cmd') {
            section = 'cmd';
            // Tolerate the list on the same line.
            if (value.trim() !== '') readArgv(value, lineNo, result, problems);
          } else if (key === 'opt') {
            section = 'opt';
            sawOpt = true;
          }
          continue;
        }
        if (section === 'cmd') {
          if (result.argv === undefined && result.script === undefined) readArgv(line, lineNo, result, problems);
          else problems.add(`line ${lineNo}: unexpected text after the command line: ${excerpt(line)}`);
          continue;
        }
        if (section === 'opt') {
          const m = OPTION.exec(line);
          if (m === null) {
            problems.add(`line ${lineNo}: not an option line: ${excerpt(line)}`);
            continue;
          }
          const name = m[1];
          if (Object.prototype.hasOwnProperty.call(result.opts, name)) problems.add(`line ${lineNo}: option "${name}" appears again`);
          const raw = m[2] ?? '';
          const value = optionValue(name, raw);
          if (typeof value === 'string' && /^[\[({]/.test(raw) && !parsePyLiteral(raw).ok) {
            problems.add(`line ${lineNo}: the value of "${name}" is not a complete Python literal (cut short?); kept as text`);
          }
          setOwn(result.opts, name, value);
          continue;
        }
        problems.add(`line ${lineNo}: unexpected line before "==> Opt:": ${excerpt(line)}`);
      } catch (e) {
        problems.add(`line ${lineNo}: internal error (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    if (!sawOpt) problems.add('no "==> Opt:" section (not an opt.txt, or cut short)');
  } catch (e) {
    problems.add(`internal error (${e instanceof Error ? e.message : String(e)})`);
  }
  result.problems = problems.list();
  return result;
}

function readArgv(text: string, lineNo: number, result: OptTxt, problems: ProblemList): void {
  const r = parsePyLiteral(text);
  if (!r.ok || !Array.isArray(r.value)) {
    problems.add(`line ${lineNo}: the command line is not a Python list: ${r.ok ? excerpt(text) : `${r.error} at ${r.at}`}`);
    return;
  }
  const all = r.value.map(textOf);
  if (all.length > 0) result.script = all[0];
  result.argv = all.slice(1);
}

/**
 * The `options` event body of an opt.txt (text or parsed). Extra fields: `script`,
 * `cudnn_version`, `headers` (all `==>` lines), `source: "opt.txt"`.
 */
export function optTxtToEvents(input: string | OptTxt): { events: EventBody[]; problems: string[] } {
  const parsed = typeof input === 'string' ? parseOptTxt(input) : input;
  const body: EventBody<OptionsEvent> = { type: 'options', opts: parsed.opts, source: 'opt.txt' };
  if (parsed.argv !== undefined) body.argv = parsed.argv;
  if (parsed.script !== undefined) body.script = parsed.script;
  if (parsed.commit !== undefined) body.commit = parsed.commit;
  if (parsed.torch_version !== undefined) body.torch_version = parsed.torch_version;
  if (parsed.cudnn_version !== undefined) body.cudnn_version = parsed.cudnn_version;
  if (Object.keys(parsed.headers).length > 0) body.headers = parsed.headers;
  const nothing = Object.keys(parsed.opts).length === 0 && parsed.argv === undefined && parsed.commit === undefined;
  return { events: nothing ? [] : [body], problems: parsed.problems };
}
