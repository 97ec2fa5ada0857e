import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OPTION_SPECS,
  OptionError,
  configJsonSchema,
  defaultRawOptions,
  optionsFromConfig,
  parseArgv,
  toArgv,
} from '../../src/shared/options';

function problems(fn: () => unknown): Map<string, string> {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OptionError);
    return new Map(e.problems.map((p) => [p.option, p.message]));
  }
  assert.fail('expected an OptionError');
}

test('optionsFromConfig: plain values, arrays and single numbers for list options', () => {
  const raw = optionsFromConfig(
    {
      exp_id: 'centerfusion', lr: 2.5e-4, num_epochs: 60, pointcloud: true, val_split: 'mini_val',
      gpus: [0, 1], lr_step: [50], save_point: ['20', 40, 50], pillar_dims: [1.0, 0.2, 0.2],
      test_scales: 1, ignore_loaded_cats: [], save_imgs: ['a', 'b'],
    },
    'ddd',
  );
  assert.equal(Object.keys(raw).length, 146);
  assert.equal(raw.task, 'ddd');
  assert.equal(raw.gpus, '0,1');
  assert.equal(raw.lr_step, '50');
  assert.equal(raw.save_point, '20,40,50');
  assert.equal(raw.pillar_dims, '1,0.2,0.2');
  assert.equal(raw.test_scales, '1');
  assert.equal(raw.ignore_loaded_cats, '');
  assert.equal(raw.save_imgs, 'a,b');
  assert.equal(raw.lr, 2.5e-4);
  assert.equal(raw.batch_size, 32, 'defaults fill the rest');
  // Same RawOptions as the equivalent command line.
  assert.deepEqual(parseArgv(toArgv(raw)), raw);
  assert.deepEqual(optionsFromConfig({}, 'tracking,ddd'), defaultRawOptions('tracking,ddd'));
  assert.equal(optionsFromConfig({ gpus: '-1', lr_step: '20,40' }, 'ddd').lr_step, '20,40');
});

test('optionsFromConfig: precise messages for unknown keys and wrong kinds, all at once', () => {
  const p = problems(() =>
    optionsFromConfig(
      {
        lr_step: 'x', num_epoch: 10, batch_size: '32', lr: 'fast', eval: 'yes', K: 1.5, val_split: 'train',
        gpus: [0.5], save_point: [], exp_id: 7, task: 'ddd', flip: null, pillar_dims: [1, 'a,b'], max_pc_dist: Infinity,
      },
      'ddd',
    ),
  );
  assert.equal(p.get('lr_step'), 'expected comma-separated integers like "50" or "20,40", got "x"');
  assert.equal(p.get('num_epoch'), 'unknown option; did you mean "num_epochs"?');
  assert.equal(p.get('batch_size'), 'expected an integer, got "32"');
  assert.equal(p.get('lr'), 'expected a number, got "fast"');
  assert.equal(p.get('eval'), 'expected true or false, got "yes"');
  assert.equal(p.get('K'), 'expected an integer, got 1.5');
  assert.match(p.get('val_split') ?? '', /invalid choice "train" \(choose from val, mini_val, test\)/);
  assert.equal(p.get('gpus'), 'entry 0 of the array must be an integer, got 0.5');
  assert.match(p.get('save_point') ?? '', /at least one entry/);
  assert.equal(p.get('exp_id'), 'expected a string, got 7');
  assert.match(p.get('task') ?? '', /top level/);
  assert.match(p.get('flip') ?? '', /null/);
  assert.match(p.get('pillar_dims') ?? '', /must not contain a comma/);
  assert.match(p.get('max_pc_dist') ?? '', /finite/);
  assert.equal(p.size, 14);

  const t = problems(() => optionsFromConfig({}, ''));
  assert.match(t.get('task') ?? '', /non-empty task/);
  const o = problems(() => optionsFromConfig([] as unknown as Record<string, unknown>, 'ddd'));
  assert.ok(o.has('options'));
});

interface Schema {
  [key: string]: unknown;
}

test('configJsonSchema: shape, 145 option properties with defaults, enums and descriptions', () => {
  const schema = configJsonSchema() as Schema;
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(schema.required, ['name', 'task']);
  const top = schema.properties as Record<string, Schema>;
  const options = top.options;
  assert.equal(options.additionalProperties, false);
  const props = options.properties as Record<string, Schema>;
  assert.equal(Object.keys(props).length, 145);
  assert.equal('task' in props, false);
  assert.deepEqual(Object.keys(props), OPTION_SPECS.slice(1).map((s) => s.dest), 'parser order');
  for (const spec of OPTION_SPECS.slice(1)) {
    const p = props[spec.dest];
    assert.deepEqual(p.default, spec.default, spec.dest);
    assert.equal(p.description, spec.help, spec.dest);
    if (spec.choices) assert.deepEqual(p.enum, [...spec.choices], spec.dest);
    else assert.equal(p.enum, undefined, spec.dest);
    if (spec.list) {
      const [asString, asArray] = p.anyOf as Schema[];
      assert.equal(asString.type, 'string');
      assert.equal(asArray.type, 'array');
      if (typeof asString.pattern === 'string') {
        const re = new RegExp(asString.pattern);
        assert.ok(re.test(spec.default as string), `${spec.dest}: default matches its pattern`);
        assert.equal(re.test('x'), false, spec.dest);
      }
    } else {
      const type = { flag: 'boolean', int: 'integer', float: 'number', str: 'string' }[spec.type];
      assert.equal(p.type, type, spec.dest);
      if (spec.min !== undefined) assert.equal(p.minimum, spec.min, spec.dest);
      if (spec.max !== undefined) assert.equal(p.maximum, spec.max, spec.dest);
    }
  }
  const gpus = new RegExp(((props.gpus.anyOf as Schema[])[0].pattern) as string);
  assert.ok(gpus.test('0,1') && gpus.test('-1') && !gpus.test('') && !gpus.test('0,'));
  const cats = new RegExp(((props.ignore_loaded_cats.anyOf as Schema[])[0].pattern) as string);
  assert.ok(cats.test('') && cats.test('1,2'));
  const scales = new RegExp(((props.test_scales.anyOf as Schema[])[0].pattern) as string);
  assert.ok(scales.test('0.75,1,1.25') && scales.test('.5,1e-1') && !scales.test('nan'));

  const task = top.task as Schema;
  const [presets, combo] = task.anyOf as Schema[];
  assert.ok((presets.enum as string[]).includes('ddd'));
  assert.ok((presets.enum as string[]).includes('tracking,ddd'));
  const taskRe = new RegExp(combo.pattern as string);
  assert.ok(taskRe.test('ddd') && taskRe.test('tracking,ddd') && taskRe.test('tracking,multi_pose'));
  assert.ok(!taskRe.test('dd') && !taskRe.test('ddd,') && !taskRe.test('../x'));

  const trainer = top.trainer as Schema;
  const [builtin, python] = trainer.oneOf as Schema[];
  assert.equal(builtin.const, 'builtin');
  assert.deepEqual(python.required, ['python']);
  assert.deepEqual((python.properties as Record<string, Schema>).script.enum, ['main.py', 'test.py']);
  // A fresh object each call, and serialisable.
  assert.notEqual(configJsonSchema(), configJsonSchema());
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
});
