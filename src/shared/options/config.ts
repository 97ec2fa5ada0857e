// Config file "options" objects -> RawOptions, and the JSON Schema of a config file.
import { OPTION_SPECS } from './catalog';
import { OptionError, type OptionProblem, type OptionSpec, type OptionValue, type RawOptions } from './types';
import {
  TASK_PATTERN,
  TASK_PRESETS,
  closestDest,
  defaultRawOptions,
  describe,
  getSpec,
  listExpectation,
  valueProblem,
} from './values';

type Converted = { ok: true; value: OptionValue } | { ok: false; message: string };

/** A list option given as a JSON array or a bare number becomes the comma text argparse holds. */
function listFromConfig(spec: OptionSpec, value: unknown): Converted {
  const bad: Converted = { ok: false, message: `expected ${listExpectation(spec)}, got ${describe(value)}` };
  if (typeof value === 'number') {
    if (spec.list === 'str') return bad;
    return { ok: true, value: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (!Array.isArray(value)) return bad;
  if (value.length === 0) {
    return spec.allowEmptyList
      ? { ok: true, value: '' }
      : { ok: false, message: `expected at least one entry (${listExpectation(spec)}), got an empty array` };
  }
  const parts: string[] = [];
  for (const [i, item] of value.entries()) {
    const where = `entry ${i} of the array`;
    if (typeof item === 'string') {
      if (item.includes(',')) return { ok: false, message: `${where} must not contain a comma, got ${describe(item)}` };
      parts.push(item);
    } else if (typeof item === 'number' && spec.list !== 'str') {
      if (spec.list === 'int' && !Number.isInteger(item)) {
        return { ok: false, message: `${where} must be an integer, got ${describe(item)}` };
      }
      parts.push(Object.is(item, -0) ? '-0' : String(item));
    } else {
      const kind = spec.list === 'str' ? 'a string' : spec.list === 'int' ? 'an integer' : 'a number';
      return { ok: false, message: `${where} must be ${kind}, got ${describe(item)}` };
    }
  }
  return { ok: true, value: parts.join(',') };
}

/** Convert one config value to what argparse would hold, or explain why it cannot be. */
export function optionValueFromConfig(spec: OptionSpec, value: unknown): Converted {
  if (value === null) {
    return { ok: false, message: 'null is not a value; leave the option out to use its default' };
  }
  let candidate: unknown = value;
  if (spec.list && typeof value !== 'string') {
    const converted = listFromConfig(spec, value);
    if (!converted.ok) return converted;
    candidate = converted.value;
  }
  const problem = valueProblem(spec, candidate);
  if (problem) {
    // Quote the value as written in the file, not the converted text.
    return { ok: false, message: spec.list && Array.isArray(value) ? `${problem} (from the array ${JSON.stringify(value)})` : problem };
  }
  return { ok: true, value: candidate as OptionValue };
}

/**
 * RawOptions from a config file's "options" object plus its top-level task. Values are booleans
 * for flags, numbers for int/float options and strings otherwise; list options may also be arrays
 * of numbers/strings (or one number). Unknown keys, "task" inside options and values of the
 * wrong kind are reported together in one OptionError.
 */
export function optionsFromConfig(options: Record<string, unknown>, task: string): RawOptions {
  const problems: OptionProblem[] = [];
  const raw: Record<string, OptionValue> = defaultRawOptions(task);
  if (typeof task !== 'string' || task === '') {
    problems.push({ option: 'task', severity: 'error', message: `expected a non-empty task such as "ddd", got ${describe(task)}` });
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    problems.push({ option: 'options', severity: 'error', message: `expected an object of option name -> value, got ${describe(options)}` });
    throw new OptionError(problems);
  }
  for (const [key, value] of Object.entries(options)) {
    if (key === 'task') {
      problems.push({ option: 'task', severity: 'error', message: 'the task belongs at the top level of the config, not inside "options"' });
      continue;
    }
    const spec = getSpec(key);
    if (!spec) {
      const guess = closestDest(key, ['task']);
      problems.push({ option: key, severity: 'error', message: `unknown option${guess ? `; did you mean "${guess}"?` : ''}` });
      continue;
    }
    const converted = optionValueFromConfig(spec, value);
    if (converted.ok) raw[spec.dest] = converted.value;
    else problems.push({ option: key, severity: 'error', message: converted.message });
  }
  if (problems.length > 0) throw new OptionError(problems);
  return raw as RawOptions;
}

const INT_ELEMENT = '\\s*[+-]?\\d+\\s*';
const FLOAT_ELEMENT = '\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*';

function listSchema(spec: OptionSpec, base: Record<string, unknown>): Record<string, unknown> {
  if (spec.list === 'str') {
    return {
      ...base,
      anyOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string', pattern: '^[^,]*$' } },
      ],
    };
  }
  const element = spec.list === 'int' ? INT_ELEMENT : FLOAT_ELEMENT;
  const body = `${element}(,${element})*`;
  const pattern = spec.allowEmptyList ? `^(${body})?$` : `^${body}$`;
  const numberType = spec.list === 'int' ? 'integer' : 'number';
  return {
    ...base,
    anyOf: [
      { type: 'string', pattern },
      {
        type: 'array',
        ...(spec.allowEmptyList ? {} : { minItems: 1 }),
        items: { anyOf: [{ type: numberType }, { type: 'string', pattern: `^${element}$` }] },
      },
      { type: numberType },
    ],
  };
}

function optionSchema(spec: OptionSpec): Record<string, unknown> {
  const base: Record<string, unknown> = { description: spec.help, default: spec.default };
  if (spec.list) return listSchema(spec, base);
  const bounds: Record<string, unknown> = {};
  if (spec.min !== undefined) bounds.minimum = spec.min;
  if (spec.max !== undefined) bounds.maximum = spec.max;
  switch (spec.type) {
    case 'flag':
      return { type: 'boolean', ...base };
    case 'int':
      return { type: 'integer', ...base, ...bounds };
    case 'float':
      return { type: 'number', ...base, ...bounds };
    case 'str':
      return spec.choices ? { type: 'string', enum: [...spec.choices], ...base } : { type: 'string', ...base };
  }
}

/**
 * JSON Schema (draft-07) of a config file: {name, task, trainer, options}. Every option but the
 * positional task is a property of "options", typed, with its default, its help as description,
 * its choices as enum and its bounds; list options take a comma string, an array or one number.
 */
export function configJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) {
    if (spec.positional) continue;
    properties[spec.dest] = optionSchema(spec);
  }
  const taskSpec = getSpec('task')!;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://centerfusion-studio.invalid/schemas/config.json',
    title: 'CenterFusion Studio run configuration',
    type: 'object',
    required: ['name', 'task'],
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1, description: 'Name of this configuration, shown in the run list.' },
      task: {
        description: taskSpec.help,
        anyOf: [
          { type: 'string', enum: [...TASK_PRESETS] },
          { type: 'string', pattern: TASK_PATTERN },
        ],
        examples: [...TASK_PRESETS],
      },
      trainer: {
        description: 'Who runs the training: the built-in trainer, or CenterFusion itself with a Python interpreter.',
        default: 'builtin',
        oneOf: [
          { const: 'builtin' },
          {
            type: 'object',
            required: ['python'],
            additionalProperties: false,
            properties: {
              python: { type: 'string', minLength: 1, description: 'Python interpreter that has CenterFusion\'s requirements installed.' },
              root: { type: 'string', description: 'CenterFusion repository root (its src/ holds main.py and test.py).' },
              script: { enum: ['main.py', 'test.py'], default: 'main.py', description: 'main.py trains, test.py evaluates a checkpoint.' },
              env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra environment variables for the process.' },
            },
          },
        ],
      },
      options: {
        type: 'object',
        description: 'CenterFusion options by name (the task is set at the top level); anything left out keeps its default.',
        default: {},
        additionalProperties: false,
        properties,
      },
    },
  };
}
