/**
 * "New Config from Script": reads a CenterFusion shell script in the style of
 * experiments/train.sh (`cd src`, `export CUDA_VISIBLE_DEVICES=0,1`, `python main.py ddd --flag
 * value \` continued over lines, comments) and turns its training command into a config:
 * `{name, task, trainer, options}` with only the options that differ from the defaults.
 * Options CenterFusion does not know are reported (with a suggestion), not guessed.
 * A small shell word splitter: quotes, backslash escapes, line continuations, comments, `;`,
 * `&&`, and $VAR / ${VAR} from assignments earlier in the script. Nothing here runs anything.
 * No vscode, node or DOM imports.
 */

import { closestDest, getSpecByFlag, OPTION_SPECS, parseArgv, type OptionProblem, type RawOptions } from './options';

export interface ScriptProblem {
  /** 1-based line of the script where the command starts. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ScriptImport {
  /** The config to write (name from --exp_id, else "imported"). */
  config: { name: string; task: string; trainer: 'builtin'; options: Record<string, unknown> };
  /** Flags on the command line that CenterFusion does not have. */
  unknownOptions: string[];
  /** Environment assignments seen (export X=…, X=… before the command). */
  env: Record<string, string>;
  /** The last `cd` before the command, if any. */
  cwd?: string;
  /** The script the command runs (main.py, test.py). */
  script: string;
  /** 1-based line where the python command starts. */
  line: number;
  problems: ScriptProblem[];
}

interface Command {
  words: string[];
  line: number;
}

/** Splits a script into commands of words (quotes removed, variables expanded). */
export function splitCommands(text: string, env: Record<string, string> = {}): { commands: Command[]; problems: ScriptProblem[] } {
  const commands: Command[] = [];
  const problems: ScriptProblem[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let line = 1;
  let start = 1;
  const vars = env;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) {
      // Assignments made by this command take effect for later ones (as a script does).
      for (const w of words) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
        if (m && (words[0] === 'export' || words.every((x) => /^([A-Za-z_][A-Za-z0-9_]*)=/.test(x) || x === 'export'))) vars[m[1]] = m[2];
      }
      commands.push({ words, line: start });
    }
    words = [];
  };
  const expand = (i: number): { value: string; next: number } => {
    // text[i] === '$'
    let name = '';
    let j = i + 1;
    if (text[j] === '{') {
      const close = text.indexOf('}', j);
      if (close < 0) return { value: '$', next: i + 1 };
      name = text.slice(j + 1, close);
      j = close + 1;
    } else {
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) name += text[j++];
    }
    if (name === '') return { value: '$', next: i + 1 };
    if (!(name in vars)) {
      problems.push({ line, message: `$${name} is not set in the script; left as written`, severity: 'warning' });
      return { value: text.slice(i, j), next: j };
    }
    return { value: vars[name], next: j };
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (!inWord && words.length === 0 && ch !== ' ' && ch !== '\t' && ch !== '\n') start = line;
    if (ch === '\\') {
      if (text[i + 1] === '\n') {
        line++;
        i += 2;
        continue;
      }
      if (text[i + 1] === '\r' && text[i + 2] === '\n') {
        line++;
        i += 3;
        continue;
      }
      word += text[i + 1] ?? '';
      inWord = true;
      i += 2;
      continue;
    }
    if (ch === '\n') {
      line++;
      endCommand();
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      endWord();
      i++;
      continue;
    }
    if (ch === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === ';' || (ch === '&' && text[i + 1] === '&') || (ch === '|' && text[i + 1] === '|')) {
      endCommand();
      i += ch === ';' ? 1 : 2;
      continue;
    }
    if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) {
        problems.push({ line, message: 'unterminated single quote', severity: 'error' });
        break;
      }
      word += text.slice(i + 1, close);
      line += text.slice(i + 1, close).split('\n').length - 1;
      inWord = true;
      i = close + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      inWord = true;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && /["\\$`\n]/.test(text[j + 1] ?? '')) {
          if (text[j + 1] !== '\n') word += text[j + 1];
          else line++;
          j += 2;
        } else if (text[j] === '$') {
          const e = expand(j);
          word += e.value;
          j = e.next;
        } else {
          if (text[j] === '\n') line++;
          word += text[j++];
        }
      }
      if (j >= text.length) {
        problems.push({ line, message: 'unterminated double quote', severity: 'error' });
        break;
      }
      i = j + 1;
      continue;
    }
    if (ch === '$') {
      const e = expand(i);
      word += e.value;
      inWord = true;
      i = e.next;
      continue;
    }
    word += ch;
    inWord = true;
    i++;
  }
  endCommand();
  return { commands, problems };
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

function isPython(word: string): boolean {
  const base = word.split('/').pop() ?? word;
  return /^python(\d+(\.\d+)*)?$/.test(base);
}

/**
 * Reads the first `python <script>.py ...` command of a script (main.py preferred) into a config.
 * Throws an Error with a readable message when the script has no python command.
 */
export function importScript(text: string): ScriptImport {
  const env: Record<string, string> = {};
  const { commands, problems } = splitCommands(text, env);
  let cwd: string | undefined;
  const seenEnv: Record<string, string> = {};
  let found: { words: string[]; line: number; script: string } | undefined;
  for (const cmd of commands) {
    let words = cmd.words;
    if (words[0] === 'export') {
      for (const w of words.slice(1)) {
        const m = ASSIGNMENT.exec(w);
        if (m) seenEnv[m[1]] = m[2];
      }
      continue;
    }
    while (words.length > 0 && ASSIGNMENT.test(words[0])) {
      const m = ASSIGNMENT.exec(words[0]) as RegExpExecArray;
      seenEnv[m[1]] = m[2];
      words = words.slice(1);
    }
    if (words.length === 0) continue;
    if (words[0] === 'cd') {
      cwd = words[1] === undefined ? undefined : cwd !== undefined && !words[1].startsWith('/') ? `${cwd}/${words[1]}` : words[1];
      continue;
    }
    if (isPython(words[0])) {
      let k = 1;
      while (k < words.length && words[k].startsWith('-') && !words[k].endsWith('.py')) k++; // python -u main.py
      const script = words[k];
      if (script === undefined || !script.endsWith('.py')) continue;
      const candidate = { words: words.slice(k + 1), line: cmd.line, script };
      if (found === undefined || (/(^|\/)main\.py$/.test(script) && !/(^|\/)main\.py$/.test(found.script))) found = candidate;
    }
  }
  if (found === undefined) throw new Error('no `python main.py <task> --option value ...` command found in the script');

  // Keep the options CenterFusion knows; report the others (and skip their values).
  const known: string[] = [];
  const unknownOptions: string[] = [];
  const args = found.words;
  for (let k = 0; k < args.length; k++) {
    const w = args[k];
    if (!w.startsWith('--') || w === '--') {
      known.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const flag = eq >= 0 ? w.slice(0, eq) : w;
    const spec = getSpecByFlag(flag);
    if (spec === undefined) {
      const hint = closestDest(flag.slice(2));
      unknownOptions.push(flag);
      problems.push({ line: found.line, message: `${flag}: not a CenterFusion option${hint ? `; did you mean --${hint}?` : ''}; left out`, severity: 'warning' });
      if (eq < 0 && args[k + 1] !== undefined && !args[k + 1].startsWith('--')) k++;
      continue;
    }
    known.push(w);
    if (eq < 0 && spec.type !== 'flag' && args[k + 1] !== undefined) known.push(args[++k]);
  }

  let raw: RawOptions | undefined;
  let attempt = known;
  for (let tries = 0; tries < 5 && raw === undefined; tries++) {
    try {
      raw = parseArgv(attempt);
    } catch (err) {
      const list = (err as { problems?: OptionProblem[] }).problems ?? [{ option: '', message: err instanceof Error ? err.message : String(err) }];
      for (const p of list) problems.push({ line: found.line, message: `${p.option ? `${p.option}: ` : ''}${p.message}; left out`, severity: 'error' });
      const bad = new Set(list.map((p) => p.option).filter((o) => o.startsWith('--')));
      if (bad.size === 0) break;
      const next: string[] = [];
      for (let k = 0; k < attempt.length; k++) {
        const flag = attempt[k].split('=')[0];
        if (bad.has(flag)) {
          const spec = getSpecByFlag(flag);
          if (!attempt[k].includes('=') && spec?.type !== 'flag') k++;
          continue;
        }
        next.push(attempt[k]);
      }
      attempt = next;
    }
  }
  const options: Record<string, unknown> = {};
  let task = '';
  if (raw !== undefined) {
    task = raw.task;
    for (const spec of OPTION_SPECS) {
      if (spec.positional) continue;
      if (!Object.is(raw[spec.dest], spec.default)) options[spec.dest] = raw[spec.dest];
    }
  }
  if (task === '') problems.push({ line: found.line, message: 'the command gives no task (e.g. ddd); set one in the config', severity: 'error' });
  const expId = typeof options.exp_id === 'string' ? options.exp_id : undefined;
  return {
    config: { name: expId ?? 'imported', task, trainer: 'builtin', options },
    unknownOptions,
    env: seenEnv,
    cwd,
    script: found.script,
    line: found.line,
    problems,
  };
}
