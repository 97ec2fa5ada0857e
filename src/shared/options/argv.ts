// Command line <-> RawOptions, following argparse as CenterFusion's opts.py configures it.
import { OPTION_SPECS } from './catalog';
import { OptionError, type OptionProblem, type OptionSpec, type OptionValue, type RawOptions } from './types';
import { closestDest, defaultRawOptions, getSpec, getSpecByFlag, parseOptionText, valueProblem } from './values';

/** argparse treats '-1', '-0.5', '-.5' and '-1e-4' as values, not as options. */
const NEGATIVE_NUMBER_RE = /^-\.?\d/;

/**
 * Whether argparse would read `token` as an option string rather than as a value or positional.
 * Same rules as argparse's _parse_optional, minus abbreviations: '-' alone, negative numbers and
 * texts containing a space are values unless they name an option exactly.
 */
export function looksLikeOption(token: string): boolean {
  if (!token.startsWith('-') || token === '-') return false;
  if (getSpecByFlag(token)) return true;
  const eq = token.indexOf('=');
  if (token.startsWith('--') && eq > 0 && getSpecByFlag(token.slice(0, eq))) return true;
  if (NEGATIVE_NUMBER_RE.test(token)) return false;
  if (token.includes(' ')) return false;
  return true;
}

function unknownOptionProblem(name: string): { problem: OptionProblem; guess?: OptionSpec } {
  const prefixed = name.startsWith('--') && name.length > 2
    ? OPTION_SPECS.filter((s) => !s.positional && s.flag.startsWith(name))
    : [];
  if (prefixed.length === 1) {
    return {
      problem: { option: name, severity: 'error', message: `unknown option (abbreviations are not accepted); did you mean ${prefixed[0].flag}?` },
      guess: prefixed[0],
    };
  }
  if (prefixed.length > 1) {
    const names = prefixed.map((s) => s.flag).join(', ');
    return {
      problem: { option: name, severity: 'error', message: `unknown option (abbreviations are not accepted); did you mean one of ${names}?` },
    };
  }
  const dest = closestDest(name);
  const guess = dest === undefined ? undefined : getSpec(dest);
  if (guess && !guess.positional) {
    return { problem: { option: name, severity: 'error', message: `unknown option; did you mean ${guess.flag}?` }, guess };
  }
  return { problem: { option: name, severity: 'error', message: 'unknown option' } };
}

/**
 * Parse a CenterFusion command line (without the program name) into RawOptions, every option
 * present. Like argparse: '--opt value' and '--opt=value', flags take no value, negative numbers
 * are values, the last repetition wins, options and the task may come in any order and '--' ends
 * the options. Unlike argparse: abbreviations are refused, NaN/infinity are refused for numbers,
 * and list options ('--gpus 0,1') are checked here instead of crashing later in parse().
 * Throws OptionError with every problem found.
 */
export function parseArgv(argv: string[]): RawOptions {
  const raw: Record<string, OptionValue> = defaultRawOptions();
  const problems: OptionProblem[] = [];
  const positionals: string[] = [];
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (onlyPositionals || !looksLikeOption(token)) {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositionals = true;
      continue;
    }
    let name = token;
    let inline: string | undefined;
    const eq = token.indexOf('=');
    if (token.startsWith('--') && eq > 0) {
      name = token.slice(0, eq);
      inline = token.slice(eq + 1);
    }
    const spec = getSpecByFlag(name);
    if (!spec) {
      const { problem, guess } = unknownOptionProblem(name);
      problems.push(problem);
      // Swallow the value meant for the misspelt option so it does not also read as a positional.
      const next = argv[i + 1];
      if (guess && guess.type !== 'flag' && inline === undefined && next !== undefined && !looksLikeOption(next)) i++;
      continue;
    }
    if (spec.type === 'flag') {
      if (inline !== undefined) {
        problems.push({ option: name, severity: 'error', message: `is a flag and takes no value (got ${JSON.stringify(inline)})` });
      } else {
        raw[spec.dest] = true;
      }
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) {
        const hint = next !== undefined && next !== '--' && !getSpecByFlag(next.split('=')[0])
          ? ` (to pass a value that starts with '-', write ${name}=${next})`
          : '';
        problems.push({ option: name, severity: 'error', message: `expected a value${hint}` });
        continue;
      }
      text = next;
      i++;
    }
    const parsed = parseOptionText(spec, text);
    if (parsed.ok) raw[spec.dest] = parsed.value;
    else problems.push({ option: name, severity: 'error', message: parsed.message });
  }

  if (positionals.length === 0) {
    problems.push({ option: 'task', severity: 'error', message: 'missing the task, the first positional argument (e.g. ddd or tracking,ddd)' });
  } else {
    raw.task = positionals[0];
    for (const extra of positionals.slice(1)) {
      problems.push({ option: extra, severity: 'error', message: 'unexpected extra positional argument (only the task is positional)' });
    }
  }
  if (problems.length > 0) throw new OptionError(problems);
  return raw as RawOptions;
}

function formatNumber(n: number): string {
  // String() gives the shortest text that reads back as the same double, except for -0.
  return Object.is(n, -0) ? '-0' : String(n);
}

/**
 * The command line for `raw`: the task first (last, after '--', if it starts with '-'), then in
 * parser order '--name value' for every value that differs from the default (all values with
 * includeDefaults), flags as a bare '--flag'. Strings that argparse would take for an option are
 * written as '--name=value'. parseArgv(toArgv(x)) deep-equals x for every valid full x.
 * Throws OptionError for unknown keys or values of the wrong kind.
 */
export function toArgv(raw: Partial<RawOptions> & { task: string }, opts: { includeDefaults?: boolean } = {}): string[] {
  const problems: OptionProblem[] = [];
  if (typeof raw.task !== 'string') problems.push({ option: 'task', severity: 'error', message: 'expected a string' });
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'task' || value === undefined) continue;
    const spec = getSpec(key);
    if (!spec) {
      const guess = closestDest(key);
      problems.push({ option: key, severity: 'error', message: `unknown option${guess ? `; did you mean ${guess}?` : ''}` });
      continue;
    }
    const problem = valueProblem(spec, value);
    if (problem) problems.push({ option: key, severity: 'error', message: problem });
  }
  if (problems.length > 0) throw new OptionError(problems);

  const args: string[] = [];
  for (const spec of OPTION_SPECS) {
    if (spec.positional) continue;
    let value: OptionValue | undefined = raw[spec.dest];
    if (value === undefined) {
      if (!opts.includeDefaults) continue;
      value = spec.default;
    } else if (!opts.includeDefaults && Object.is(value, spec.default)) {
      continue;
    }
    if (spec.type === 'flag') {
      if (value === true) args.push(spec.flag);
      continue;
    }
    const text = typeof value === 'number' ? formatNumber(value) : String(value);
    if (looksLikeOption(text)) args.push(`${spec.flag}=${text}`);
    else args.push(spec.flag, text);
  }
  return looksLikeOption(raw.task) ? [...args, '--', raw.task] : [raw.task, ...args];
}
