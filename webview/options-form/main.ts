/**
 * The options form webview: every CenterFusion option grouped as CenterFusion groups them,
 * searchable, one @vscode-elements control per option (checkbox, text field, single-select,
 * comma-list text), its default and help, a mark on non-default values, validation as you type
 * with the message next to the field, derived values and the command-line preview, live.
 * Unsaved edits survive a reload (setState).
 */

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { listExpectation, OPTION_GROUPS, TASK_PRESETS, type OptionProblem, type OptionSpec } from '../../src/shared/options';
import {
  analyzeForm,
  FORM_SPECS,
  fieldOf,
  fieldsFromOptions,
  isHostToForm,
  isNonDefault,
  type FieldValue,
  type Fields,
  type FormToHost,
  type HostToForm,
} from '../../src/shared/webview/optionsForm';
import { joinListItems, listItems, listProblems } from '../../src/shared/webview/optionsFormChecks';
import { vscodeApi } from '../common/vscodeApi';

interface SavedState {
  file: string;
  task: string;
  fields: Fields;
  search: string;
}

/** What the page needs of the custom elements (their classes are not imported as types). */
interface TextControl extends HTMLElement {
  value: string;
  invalid: boolean;
}
interface CheckControl extends HTMLElement {
  checked: boolean;
}

const vscode = vscodeApi<SavedState, FormToHost>(isSavedState);
const root = document.getElementById('root') as HTMLElement;

let file = '';
let rootDir = '/';
let original: Record<string, unknown> = {};
let task = 'ddd';
let fields: Fields = {};
let search = '';
/** Missing-file problems from the host's last answer, and the request they answer. */
let fileProblems: OptionProblem[] = [];
let filesSeq = 0;
let filesKey = '';
let filesTimer: ReturnType<typeof setTimeout> | undefined;
/** The options whose values decide which files must exist (requiredFiles). */
const FILE_KEYS = ['load_model', 'dataset', 'radar_sweeps', 'train_split', 'val_split', 'dataset_version', 'eval', 'val_intervals', 'num_epochs'];

const rows = new Map<string, { row: HTMLElement; message: HTMLElement; control: HTMLElement; spec: OptionSpec }>();
let commandEl: HTMLElement | undefined;
let derivedEl: HTMLElement | undefined;
let noticeEl: HTMLElement | undefined;
let summaryEl: HTMLElement | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls !== undefined) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function isSavedState(v: unknown): v is SavedState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.file === 'string' && typeof s.task === 'string' && typeof s.fields === 'object' && s.fields !== null && typeof s.search === 'string';
}

function save(): void {
  vscode.setState({ file, task, fields, search });
}

function showNotice(level: 'info' | 'error', message: string): void {
  if (noticeEl === undefined) return;
  noticeEl.className = `notice ${level}`;
  noticeEl.textContent = message;
}

function defaultText(spec: OptionSpec): string {
  const d = fieldOf(spec, spec.default);
  if (typeof d === 'boolean') return d ? 'on' : 'off';
  return d === '' ? '(empty)' : d;
}

function makeControl(spec: OptionSpec, value: FieldValue): HTMLElement {
  if (spec.type === 'flag') {
    const box = document.createElement('vscode-checkbox') as CheckControl;
    box.checked = value === true;
    box.setAttribute('label', spec.flag);
    box.addEventListener('change', () => update(spec.dest, box.checked));
    return box;
  }
  if (spec.choices !== undefined) {
    const select = document.createElement('vscode-single-select') as TextControl;
    for (const choice of spec.choices) {
      const opt = document.createElement('vscode-option');
      opt.setAttribute('value', choice);
      opt.textContent = choice;
      if (choice === value) opt.setAttribute('selected', '');
      select.appendChild(opt);
    }
    select.addEventListener('change', () => update(spec.dest, select.value));
    return select;
  }
  if (spec.list !== undefined) return makeListEditor(spec, String(value));
  const text = document.createElement('vscode-textfield') as TextControl;
  text.value = String(value);
  if (spec.type === 'int' || spec.type === 'float') text.setAttribute('inputmode', 'decimal');
  text.addEventListener('input', () => update(spec.dest, text.value));
  return text;
}

/**
 * A list editor for a comma-list option: one text field per item with its own validation, a
 * remove button per item and an Add button; the field's value stays the comma-joined text.
 */
function makeListEditor(spec: OptionSpec, text: string): HTMLElement {
  const box = el('div', 'list-editor');
  const render = (): void => {
    const items = listItems(spec, typeof fields[spec.dest] === 'string' ? (fields[spec.dest] as string) : text);
    box.replaceChildren();
    items.forEach((item, index) => {
      const line = el('div', 'list-item');
      const field = document.createElement('vscode-textfield') as TextControl;
      field.value = item;
      field.dataset.index = String(index);
      field.setAttribute('aria-label', `${spec.dest} item ${index + 1}`);
      field.addEventListener('input', () => {
        const now = listItems(spec, String(fields[spec.dest] ?? text));
        now[index] = field.value;
        update(spec.dest, joinListItems(now));
      });
      const remove = document.createElement('vscode-button');
      remove.setAttribute('secondary', '');
      remove.setAttribute('aria-label', `Remove ${spec.dest} item ${index + 1}`);
      remove.title = 'Remove this item';
      remove.dataset.remove = String(index);
      remove.textContent = '−';
      // CenterFusion needs at least one item unless the option allows an empty list.
      if (items.length === 1 && spec.allowEmptyList !== true) remove.setAttribute('disabled', '');
      remove.addEventListener('click', () => {
        const now = listItems(spec, String(fields[spec.dest] ?? text));
        now.splice(index, 1);
        update(spec.dest, joinListItems(now));
        render();
      });
      line.append(field, remove);
      box.appendChild(line);
    });
    const add = document.createElement('vscode-button');
    add.setAttribute('secondary', '');
    add.dataset.add = spec.dest;
    add.textContent = 'Add';
    add.title = `Add an item (${listExpectation(spec)})`;
    add.addEventListener('click', () => {
      const now = listItems(spec, String(fields[spec.dest] ?? text));
      now.push('');
      update(spec.dest, joinListItems(now));
      render();
      const inputs = box.querySelectorAll<HTMLElement>('vscode-textfield');
      inputs[inputs.length - 1]?.focus();
    });
    box.appendChild(add);
    markListItems(spec, box);
  };
  render();
  return box;
}

/** Marks the invalid items of a list editor. */
function markListItems(spec: OptionSpec, box: HTMLElement): void {
  const bad = new Set(listProblems(spec, String(fields[spec.dest] ?? '')).map((p) => p.index));
  for (const field of Array.from(box.querySelectorAll<TextControl>('vscode-textfield'))) field.invalid = bad.has(Number(field.dataset.index));
}

/** Asks the host (debounced) whether the files the options name exist, when those options changed. */
function requestFileCheck(): void {
  const key = JSON.stringify([task, ...FILE_KEYS.map((k) => fields[k])]);
  if (key === filesKey) return;
  filesKey = key;
  if (filesTimer !== undefined) clearTimeout(filesTimer);
  filesTimer = setTimeout(() => {
    filesSeq++;
    vscode.postMessage({ type: 'checkFiles', seq: filesSeq, task, fields });
  }, 250);
}

function build(): void {
  rows.clear();
  root.replaceChildren();
  const header = el('div', 'header');
  header.appendChild(el('h1', undefined, `Options: ${file.split(/[\\/]/).pop() ?? file}`));
  const bar = el('div', 'toolbar');
  const taskField = document.createElement('vscode-textfield') as TextControl;
  taskField.value = task;
  taskField.dataset.dest = 'task';
  taskField.setAttribute('placeholder', `task: ${TASK_PRESETS.join(' | ')}`);
  taskField.addEventListener('input', () => {
    task = taskField.value;
    refresh();
  });
  const searchField = document.createElement('vscode-textfield') as TextControl;
  searchField.className = 'search';
  searchField.value = search;
  searchField.setAttribute('placeholder', 'Search options (name or help)');
  searchField.addEventListener('input', () => {
    search = searchField.value;
    filter();
    save();
  });
  const button = (label: string, action: 'save' | 'saveAs' | 'train', secondary = false): HTMLElement => {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    b.dataset.action = action;
    if (secondary) b.setAttribute('secondary', '');
    b.addEventListener('click', () => vscode.postMessage({ type: action, task, fields }));
    return b;
  };
  bar.append(el('label', 'task-label', 'task'), taskField, searchField, button('Save', 'save'), button('Save As…', 'saveAs', true), button('Train', 'train', true));
  header.appendChild(bar);
  noticeEl = el('div', 'notice');
  summaryEl = el('div', 'summary');
  commandEl = el('pre', 'command');
  commandEl.id = 'command-preview';
  derivedEl = el('dl', 'derived');
  header.append(noticeEl, summaryEl, el('h2', undefined, 'Command line'), commandEl);
  root.appendChild(header);
  root.appendChild(el('h2', undefined, 'Derived values'));
  root.appendChild(derivedEl);

  for (const group of OPTION_GROUPS) {
    const specs = FORM_SPECS.filter((s) => s.group === group);
    if (specs.length === 0) continue;
    const section = el('details', 'group');
    section.open = true;
    section.appendChild(el('summary', undefined, `${group} (${specs.length})`));
    for (const spec of specs) {
      const row = el('div', 'row');
      row.dataset.dest = spec.dest;
      const label = el('div', 'name');
      label.append(el('span', 'mark', '●'), el('code', undefined, spec.dest));
      const control = makeControl(spec, fields[spec.dest] ?? fieldOf(spec, spec.default));
      control.dataset.dest = spec.dest;
      const help = el('div', 'help', spec.help);
      if (spec.note !== undefined) help.appendChild(el('div', 'note', spec.note));
      const meta = el('div', 'default', `default: ${defaultText(spec)}`);
      const message = el('div', 'message');
      const body = el('div', 'body');
      body.append(control, message, help, meta);
      row.append(label, body);
      section.appendChild(row);
      rows.set(spec.dest, { row, message, control, spec });
    }
    root.appendChild(section);
  }
  filter();
  refresh();
}

function filter(): void {
  const q = search.trim().toLowerCase();
  for (const { row, spec } of rows.values()) {
    const hit = q === '' || spec.dest.toLowerCase().includes(q) || spec.help.toLowerCase().includes(q) || spec.flag.includes(q);
    row.hidden = !hit;
  }
  for (const section of Array.from(root.querySelectorAll<HTMLDetailsElement>('details.group'))) {
    const any = Array.from(section.querySelectorAll<HTMLElement>('.row')).some((r) => !r.hidden);
    section.hidden = !any;
    if (q !== '' && any) section.open = true;
  }
}

function update(dest: string, value: FieldValue): void {
  fields[dest] = value;
  refresh();
}

function refresh(): void {
  const analysis = analyzeForm(task, fields, original, rootDir);
  requestFileCheck();
  const byOption = new Map<string, OptionProblem[]>();
  const general: OptionProblem[] = [];
  for (const p of [...analysis.problems, ...fileProblems]) {
    const key = p.option.replace(/^--/, '');
    if (rows.has(key)) byOption.set(key, [...(byOption.get(key) ?? []), p]);
    else general.push(p);
  }
  let changed = 0;
  for (const [dest, r] of rows) {
    const nonDefault = isNonDefault(r.spec, fields[dest] ?? fieldOf(r.spec, r.spec.default));
    if (nonDefault) changed++;
    r.row.classList.toggle('changed', nonDefault);
    let problems = byOption.get(dest) ?? [];
    if (r.spec.list !== undefined) {
      // Item by item instead of one message for the whole comma text.
      const items = listProblems(r.spec, String(fields[dest] ?? ''));
      if (items.length > 0) {
        problems = [
          ...items.map((p) => ({ option: dest, message: p.index < 0 ? p.message : `item ${p.index + 1}: ${p.message}`, severity: 'error' as const })),
          ...problems.filter((p) => !p.message.startsWith('expected ')),
        ];
      }
      markListItems(r.spec, r.control);
    }
    const error = problems.some((p) => p.severity !== 'warning');
    r.row.classList.toggle('error', error);
    r.row.classList.toggle('warning', !error && problems.length > 0);
    r.message.textContent = problems.map((p) => p.message).join(' · ');
    if ('invalid' in r.control) (r.control as TextControl).invalid = error;
  }
  if (commandEl !== undefined) commandEl.textContent = analysis.command;
  if (derivedEl !== undefined) {
    derivedEl.replaceChildren();
    const d = analysis.derived;
    const entries: [string, string][] =
      d === undefined
        ? [['', 'not available until the options are valid']]
        : [
            ['heads', d.heads],
            ['head_conv', d.head_conv],
            ['input', d.input],
            ['output', d.output],
            ['gpus', d.gpus],
            ['chunk_sizes', d.chunk_sizes],
            ['save_dir', d.save_dir],
          ];
    for (const [k, v] of entries) derivedEl.append(el('dt', undefined, k), el('dd', undefined, v));
  }
  if (summaryEl !== undefined) {
    const all = [...analysis.problems, ...fileProblems];
    const errors = all.filter((p) => p.severity !== 'warning').length;
    const warnings = all.length - errors;
    const parts = [`${changed} option${changed === 1 ? '' : 's'} differ from the default`];
    if (errors > 0) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
    if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
    for (const p of general) parts.push(`${p.option || 'config'}: ${p.message}`);
    summaryEl.textContent = parts.join(' · ');
    summaryEl.classList.toggle('has-errors', errors > 0);
  }
  save();
}

function onMessage(message: HostToForm): void {
  switch (message.type) {
    case 'init': {
      const saved = vscode.getState();
      file = message.file;
      rootDir = message.rootDir;
      original = message.options;
      task = message.task;
      fields = fieldsFromOptions(message.options);
      fileProblems = [];
      filesKey = '';
      if (saved !== undefined && saved.file === message.file) {
        // A reload: keep the edits that were not saved yet.
        task = saved.task;
        fields = { ...fields, ...saved.fields };
        search = saved.search;
      }
      build();
      break;
    }
    case 'saved':
      file = message.file;
      original = analyzeForm(task, fields, original, rootDir).options ?? original;
      showNotice('info', `Saved ${message.file}`);
      break;
    case 'files':
      if (message.seq !== filesSeq) break; // an answer to an older request
      fileProblems = message.problems;
      refresh();
      break;
    case 'notice':
      if (noticeEl === undefined) {
        root.replaceChildren(el('div', `notice ${message.level}`, message.message));
      } else showNotice(message.level, message.message);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostToForm(event.data)) onMessage(event.data);
});
vscode.postMessage({ type: 'ready' });
