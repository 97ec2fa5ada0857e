import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { EVENT_TYPES, isIsoTime, validateEvent, type EventType } from '../../src/shared/protocol';

const RUN = '20261125-213000-123-a1b2c3';
const T = '2026-11-25T21:30:00.123Z';

function base(type: string): Record<string, unknown> {
  return { v: 1, type, run: RUN, t: T };
}

/** One valid event of every known type (required fields, plus a few optional ones). */
function valid(type: EventType): Record<string, unknown> {
  switch (type) {
    case 'run_start':
      return {
        ...base(type),
        task: 'ddd',
        exp_id: 'cf',
        mode: 'train',
        argv: ['ddd', '--exp_id', 'cf'],
        opts: { batch_size: 2, lr: 1.25e-4 },
        save_dir: 'exp/ddd/cf',
        backend: 'tfjs-node',
      };
    case 'options':
      return { ...base(type), opts: { gpus: '0' }, argv: ['main.py'], commit: 'abc123', torch_version: '1.13' };
    case 'epoch_start':
      return { ...base(type), epoch: 1, lr: 0.000125 };
    case 'iter':
      return {
        ...base(type),
        phase: 'train',
        epoch: 3,
        iter: 0,
        num_iters: 100,
        losses: { tot: 12.5, hm: 3.1, velocity: null },
        elapsed_s: 1.5,
        eta_s: 120,
        data_s: 0.01,
        net_s: 0.2,
      };
    case 'epoch_end':
      return { ...base(type), epoch: 3, train: { tot: 10.1, hm: null }, val: null, time_min: 12.4 };
    case 'lr_change':
      return { ...base(type), epoch: 90, lr: 1.25e-5 };
    case 'checkpoint':
      return { ...base(type), epoch: 3, path: 'exp/ddd/cf/model_last.pth', kind: 'last' };
    case 'eval':
      return {
        ...base(type),
        epoch: null,
        metrics: {
          mAP: 0.31,
          mATE: 0.7,
          mASE: 0.26,
          mAOE: 0.52,
          mAVE: 0.61,
          mAAE: 0.12,
          NDS: 0.44,
          per_class: {
            car: { AP: 0.5, ATE: 0.4, ASE: 0.15, AOE: 0.1, AVE: 0.6, AAE: 0.2 },
            barrier: { AP: 0.4, ATE: 0.5, ASE: 0.3, AOE: 0.1, AVE: null, AAE: null },
          },
        },
        summary_path: 'exp/ddd/cf/metrics_summary.json',
      };
    case 'log':
      return { ...base(type), level: 'info', message: 'loaded 28130 samples' };
    case 'error':
      return { ...base(type), error_type: 'RuntimeError', message: 'CUDA out of memory', traceback: 'Traceback ...' };
    case 'run_end':
      return { ...base(type), status: 'completed', exit_code: 0, signal: null };
  }
}

/** A copy of `event` with `path` (dotted) set to `value`, or deleted when value is undefined. */
function patched(event: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(event);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

function reasonOf(value: unknown): string {
  const r = validateEvent(value);
  assert.equal(r.ok, false, `expected a rejection for ${JSON.stringify(value)}`);
  return r.ok ? '' : r.reason;
}

describe('validateEvent: valid events', () => {
  for (const type of EVENT_TYPES) {
    it(`accepts a ${type} event as known, returning the same object`, () => {
      const event = valid(type);
      const r = validateEvent(event);
      assert.deepEqual(r, { ok: true, event, known: true });
      assert.ok(r.ok && r.event === event);
    });
    it(`accepts a ${type} event after a JSON round trip, with extra fields`, () => {
      const event = { ...valid(type), producer_note: 'extra', nested_extra: { a: [1, 2] } };
      const r = validateEvent(JSON.parse(JSON.stringify(event)));
      assert.equal(r.ok && r.known, true);
    });
  }

  it('accepts the lenient cases: iter past num_iters, num_iters 0, test phase with null epoch', () => {
    assert.ok(validateEvent({ ...valid('iter'), iter: 120, num_iters: 100 }).ok);
    assert.ok(validateEvent({ ...valid('iter'), iter: 0, num_iters: 0 }).ok);
    assert.ok(validateEvent({ ...valid('iter'), phase: 'test', epoch: null, losses: {}, timings: { net: [0.1, 0.12] } }).ok);
  });

  it('accepts nullable fields as null and optional fields left out', () => {
    assert.ok(validateEvent({ ...valid('epoch_end'), val: { tot: null } }).ok);
    assert.ok(validateEvent({ ...valid('error'), error_type: null, traceback: undefined }).ok);
    assert.ok(validateEvent({ ...base('run_end'), status: 'killed', exit_code: null, signal: 'SIGKILL' }).ok);
    assert.ok(validateEvent({ ...base('run_end'), status: 'failed' }).ok);
    assert.ok(validateEvent({ ...base('options'), opts: {} }).ok);
    assert.ok(validateEvent(patched(valid('eval'), 'metrics.NDS', null)).ok);
    assert.ok(validateEvent(patched(valid('eval'), 'metrics.per_class', {})).ok);
  });

  it('keeps an unknown type with valid common fields as known: false', () => {
    const event = { ...base('gpu_stats'), util: 0.93 };
    assert.deepEqual(validateEvent(event), { ok: true, event, known: false });
    assert.deepEqual(validateEvent({ ...base('constructor') }), { ok: true, event: { ...base('constructor') }, known: false });
    assert.equal(validateEvent({ ...base('__proto__') }).ok, true);
  });

  it('does not modify the value it checks', () => {
    const event = valid('eval');
    const before = structuredClone(event);
    validateEvent(event);
    validateEvent(patched(event, 'metrics.mAP', 'x'));
    assert.deepEqual(event, before);
  });
});

describe('validateEvent: common fields', () => {
  const cases: Array<[string, unknown, string]> = [
    ['array', [1, 2], 'event must be a JSON object, got array'],
    ['null', null, 'event must be a JSON object, got null'],
    ['number', 42, 'event must be a JSON object, got number'],
    ['string', 'run_start', 'event must be a JSON object, got string'],
    ['no type', { v: 1, run: RUN, t: T }, 'event: missing required field "type"'],
    ['empty type', base(''), 'event: field "type" must be a non-empty string, got an empty string'],
    ['numeric type', base(7 as unknown as string), 'event: field "type" must be a non-empty string, got number'],
    ['no v', patched(valid('log'), 'v', undefined), 'log: missing required field "v"'],
    ['v 2', patched(valid('log'), 'v', 2), 'log: field "v" must be 1 (protocol version), got 2'],
    ['v "1"', patched(valid('log'), 'v', '1'), 'log: field "v" must be 1 (protocol version), got string'],
    ['no run', patched(valid('log'), 'run', undefined), 'log: missing required field "run"'],
    ['empty run', patched(valid('log'), 'run', ''), 'log: field "run" must be a non-empty string, got an empty string'],
    ['run number', patched(valid('log'), 'run', 3), 'log: field "run" must be a non-empty string, got number'],
    ['no t', patched(valid('log'), 't', undefined), 'log: missing required field "t"'],
    ['t number', patched(valid('log'), 't', 1764106200123), 'log: field "t" must be an ISO-8601 time string, got number'],
    [
      't without milliseconds',
      patched(valid('log'), 't', '2026-11-25T21:30:00Z'),
      'log: field "t" must be an ISO-8601 time with milliseconds and a zone (e.g. 2026-11-25T21:30:00.123Z), got "2026-11-25T21:30:00Z"',
    ],
    ['unknown type, bad v', { ...base('gpu_stats'), v: 3 }, 'gpu_stats: field "v" must be 1 (protocol version), got 3'],
  ];
  for (const [name, value, reason] of cases) {
    it(`rejects ${name}`, () => assert.equal(reasonOf(value), reason));
  }

  it('accepts only full ISO-8601 times with milliseconds and a zone', () => {
    const good = [
      '2026-11-25T21:30:00.123Z',
      '2026-11-25T21:30:00.123456Z',
      '2026-11-25T21:30:00.123456789Z',
      '2026-11-25T22:30:00.123+01:00',
      '2026-11-25T16:30:00.123-0500',
      '2024-02-29T00:00:00.000Z',
      '2000-02-29T23:59:59.999Z',
    ];
    const bad = [
      '2026-11-25T21:30:00Z',
      '2026-11-25T21:30:00.12Z',
      '2026-11-25T21:30:00.123',
      '2026-11-25 21:30:00.123Z',
      '2026-11-25T21:30:00.123z',
      '2026-11-25T21:30:00.123Zx',
      '2026-11-25T21:30:00.123+01:00x',
      '2026-11-25T21:30:00.123 ',
      '2026-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-01T00:00:00.000Z',
      '2026-11-25T24:00:00.000Z',
      '2026-11-25T21:60:00.000Z',
      '2026-11-25T21:30:60.000Z',
      '2026-11-25T21:30:00.123+24:00',
      '2026-11-25T21:30:00.123+01',
      '2026-11-25T21:30:00.1234567890Z',
      '2026-11-25',
      'yesterday',
      '',
      '+02026-11-25T21:30:00.123Z',
      '2026-11-2xT21:30:00.123Z',
    ];
    for (const t of good) {
      assert.equal(isIsoTime(t), true, t);
      assert.ok(!Number.isNaN(Date.parse(t)), `Date.parse must accept ${t}`);
      assert.ok(validateEvent({ ...valid('log'), t }).ok, t);
    }
    assert.equal(Date.parse('2026-11-25T22:30:00.123+01:00'), Date.parse(T));
    for (const t of bad) {
      assert.equal(isIsoTime(t), false, t);
      assert.equal(validateEvent({ ...valid('log'), t }).ok, false, t);
    }
  });
});

describe('validateEvent: invalid variants of every type', () => {
  /** [type, field path, value to set (undefined: delete), exact reason] */
  const cases: Array<[EventType, string, unknown, string]> = [
    ['run_start', 'task', undefined, 'run_start: missing required field "task"'],
    ['run_start', 'task', 5, 'run_start: field "task" must be a non-empty string, got number'],
    ['run_start', 'exp_id', undefined, 'run_start: missing required field "exp_id"'],
    ['run_start', 'mode', 'test', 'run_start: field "mode" must be one of "train", "eval", got "test"'],
    ['run_start', 'argv', 'ddd --exp_id cf', 'run_start: field "argv" must be an array of strings, got string'],
    ['run_start', 'argv', ['ddd', 3], 'run_start: field "argv" must be an array of strings, got number at index 1'],
    ['run_start', 'opts', [], 'run_start: field "opts" must be an object, got array'],
    ['run_start', 'opts', null, 'run_start: field "opts" must be an object, got null'],
    ['run_start', 'save_dir', undefined, 'run_start: missing required field "save_dir"'],
    ['run_start', 'backend', '', 'run_start: field "backend" must be a non-empty string, got an empty string'],
    ['options', 'opts', undefined, 'options: missing required field "opts"'],
    ['options', 'opts', 'gpus=0', 'options: field "opts" must be an object, got string'],
    ['options', 'argv', 'main.py', 'options: field "argv" must be an array of strings, got string'],
    ['options', 'commit', 5, 'options: field "commit" must be a string, got number'],
    ['options', 'torch_version', null, 'options: field "torch_version" must be a string, got null'],
    ['epoch_start', 'epoch', undefined, 'epoch_start: missing required field "epoch"'],
    ['epoch_start', 'epoch', 0, 'epoch_start: field "epoch" must be a positive integer, got 0'],
    ['epoch_start', 'epoch', 1.5, 'epoch_start: field "epoch" must be a positive integer, got 1.5'],
    ['epoch_start', 'epoch', '1', 'epoch_start: field "epoch" must be a positive integer, got string'],
    ['epoch_start', 'lr', undefined, 'epoch_start: missing required field "lr"'],
    ['epoch_start', 'lr', null, 'epoch_start: field "lr" must be a number, got null'],
    ['epoch_start', 'lr', Number.NaN, 'epoch_start: field "lr" must be a number, got NaN'],
    ['iter', 'phase', undefined, 'iter: missing required field "phase"'],
    ['iter', 'phase', 'training', 'iter: field "phase" must be one of "train", "val", "test", got "training"'],
    ['iter', 'epoch', undefined, 'iter: missing required field "epoch"'],
    ['iter', 'epoch', 0, 'iter: field "epoch" must be a positive integer or null, got 0'],
    ['iter', 'iter', -1, 'iter: field "iter" must be an integer >= 0, got -1'],
    ['iter', 'iter', undefined, 'iter: missing required field "iter"'],
    ['iter', 'num_iters', 2.5, 'iter: field "num_iters" must be an integer >= 0, got 2.5'],
    ['iter', 'num_iters', null, 'iter: field "num_iters" must be an integer >= 0, got null'],
    ['iter', 'losses', undefined, 'iter: missing required field "losses"'],
    ['iter', 'losses', null, 'iter: field "losses" must be an object of name -> number or null, got null'],
    ['iter', 'losses', [1, 2], 'iter: field "losses" must be an object of name -> number or null, got array'],
    ['iter', 'losses.hm', '3.1', 'iter: field "losses.hm" must be a number or null, got string'],
    ['iter', 'losses.hm', Number.POSITIVE_INFINITY, 'iter: field "losses.hm" must be a number or null, got Infinity'],
    ['iter', 'elapsed_s', '1.5', 'iter: field "elapsed_s" must be a number, got string'],
    ['iter', 'eta_s', null, 'iter: field "eta_s" must be a number, got null'],
    ['iter', 'data_s', true, 'iter: field "data_s" must be a number, got boolean'],
    ['iter', 'net_s', {}, 'iter: field "net_s" must be a number, got object'],
    [
      'iter',
      'timings',
      { net: [0.1] },
      'iter: field "timings" must map each name to [current, average]; "net" is an array of 1',
    ],
    [
      'iter',
      'timings',
      { net: [0.1, 'x'] },
      'iter: field "timings" must map each name to two numbers; "net" holds number, string',
    ],
    ['epoch_end', 'time_min', '12.4', 'epoch_end: field "time_min" must be a number, got string'],
    ['epoch_end', 'time_min', undefined, 'epoch_end: missing required field "time_min"'],
    ['epoch_end', 'epoch', -3, 'epoch_end: field "epoch" must be a positive integer, got -3'],
    ['epoch_end', 'train', undefined, 'epoch_end: missing required field "train"'],
    ['epoch_end', 'train', null, 'epoch_end: field "train" must be an object of name -> number or null, got null'],
    ['epoch_end', 'train.tot', Number.NEGATIVE_INFINITY, 'epoch_end: field "train.tot" must be a number or null, got -Infinity'],
    ['epoch_end', 'val', undefined, 'epoch_end: missing required field "val"'],
    ['epoch_end', 'val', [], 'epoch_end: field "val" must be an object of name -> number or null, or null, got array'],
    ['epoch_end', 'val', { tot: 'n/a' }, 'epoch_end: field "val.tot" must be a number or null, got string'],
    ['epoch_end', 'val_time_min', 'soon', 'epoch_end: field "val_time_min" must be a number, got string'],
    ['lr_change', 'epoch', undefined, 'lr_change: missing required field "epoch"'],
    ['lr_change', 'lr', '1e-5', 'lr_change: field "lr" must be a number, got string'],
    ['checkpoint', 'kind', undefined, 'checkpoint: missing required field "kind"'],
    ['checkpoint', 'kind', 'best', 'checkpoint: field "kind" must be one of "last", "epoch", "save_point", got "best"'],
    ['checkpoint', 'path', '', 'checkpoint: field "path" must be a non-empty string, got an empty string'],
    ['checkpoint', 'epoch', null, 'checkpoint: field "epoch" must be a positive integer, got null'],
    ['eval', 'epoch', undefined, 'eval: missing required field "epoch"'],
    ['eval', 'epoch', 'last', 'eval: field "epoch" must be a positive integer or null, got string'],
    ['eval', 'metrics', undefined, 'eval: missing required field "metrics"'],
    ['eval', 'metrics', 0.44, 'eval: field "metrics" must be an object, got number'],
    ['eval', 'metrics.NDS', undefined, 'eval: missing required field "metrics.NDS"'],
    ['eval', 'metrics.mAP', '0.31', 'eval: field "metrics.mAP" must be a number or null, got string'],
    ['eval', 'metrics.per_class', undefined, 'eval: missing required field "metrics.per_class"'],
    ['eval', 'metrics.per_class', [], 'eval: field "metrics.per_class" must be an object, got array'],
    ['eval', 'metrics.per_class.car', 0.5, 'eval: field "metrics.per_class.car" must be an object, got number'],
    ['eval', 'metrics.per_class.car.AVE', undefined, 'eval: missing required field "metrics.per_class.car.AVE"'],
    ['eval', 'metrics.per_class.barrier.AP', true, 'eval: field "metrics.per_class.barrier.AP" must be a number or null, got boolean'],
    ['eval', 'summary_path', 3, 'eval: field "summary_path" must be a string, got number'],
    ['log', 'level', 'debug', 'log: field "level" must be one of "info", "warning", got "debug"'],
    ['log', 'level', undefined, 'log: missing required field "level"'],
    ['log', 'message', undefined, 'log: missing required field "message"'],
    ['log', 'message', 3, 'log: field "message" must be a string, got number'],
    ['error', 'error_type', undefined, 'error: missing required field "error_type"'],
    ['error', 'error_type', 3, 'error: field "error_type" must be a string or null, got number'],
    ['error', 'message', null, 'error: field "message" must be a string, got null'],
    ['error', 'traceback', null, 'error: field "traceback" must be a string, got null'],
    ['run_end', 'status', undefined, 'run_end: missing required field "status"'],
    [
      'run_end',
      'status',
      'done',
      'run_end: field "status" must be one of "completed", "failed", "stopped", "killed", got "done"',
    ],
    ['run_end', 'exit_code', 1.5, 'run_end: field "exit_code" must be an integer or null, got 1.5'],
    ['run_end', 'exit_code', '0', 'run_end: field "exit_code" must be an integer or null, got string'],
    ['run_end', 'signal', 9, 'run_end: field "signal" must be a string or null, got number'],
  ];

  for (const [type, path, value, reason] of cases) {
    const what = value === undefined ? 'without' : `with a bad`;
    it(`rejects ${type} ${what} "${path}"`, () => {
      assert.equal(reasonOf(patched(valid(type), path, value)), reason);
    });
  }

  it('covers every known type with at least one rejection', () => {
    const covered = new Set(cases.map((c) => c[0]));
    for (const type of EVENT_TYPES) assert.ok(covered.has(type), type);
  });

  it('reports the first problem only, in field order', () => {
    const event = { ...valid('checkpoint'), epoch: 0, kind: 'best' };
    assert.equal(reasonOf(event), 'checkpoint: field "epoch" must be a positive integer, got 0');
  });

  it('shortens long values in messages', () => {
    const reason = reasonOf({ ...valid('checkpoint'), kind: 'x'.repeat(500) });
    assert.ok(reason.length < 160, reason);
    assert.match(reason, /got "x{40}…"$/);
  });
});
