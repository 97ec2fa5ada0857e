import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  EVENT_TYPES,
  EventReader,
  EventWriter,
  makeEvent,
  newRunId,
  parseEventLines,
  serializeEvent,
  validateEvent,
  type EventBody,
  type RunEvent,
} from '../../src/shared/protocol';

const RUN = '20261125-213000-123-a1b2c3';
const NOW = new Date('2026-11-25T21:30:00.123Z');

/** One body of every type, each with at least one non-finite number where null is allowed. */
const BODIES: EventBody[] = [
  {
    type: 'run_start',
    task: 'ddd',
    exp_id: 'cf',
    mode: 'train',
    argv: ['ddd', '--exp_id', 'cf', 'line\nbreak'],
    opts: { lr: 1.25e-4, weird: Number.NaN, nested: { x: [1, Number.POSITIVE_INFINITY] } },
    save_dir: 'exp/ddd/cf',
    backend: 'tfjs-node-gpu',
    pid: 4242,
  },
  { type: 'options', opts: { gpus: '0,1' }, commit: 'deadbeef' },
  { type: 'epoch_start', epoch: 1, lr: 1.25e-4 },
  {
    type: 'iter',
    phase: 'train',
    epoch: 1,
    iter: 7,
    num_iters: 100,
    losses: { tot: 3.5, hm: Number.NaN, wh: Number.NEGATIVE_INFINITY },
    elapsed_s: 12.5,
  },
  { type: 'iter', phase: 'test', epoch: null, iter: 0, num_iters: 10, losses: {}, timings: { net: [0.1, 0.12] } },
  { type: 'epoch_end', epoch: 1, train: { tot: 3.1, velocity: Number.NaN }, val: { tot: 2.9 }, time_min: 11.5, val_time_min: 2 },
  { type: 'lr_change', epoch: 90, lr: 1.25e-5 },
  { type: 'checkpoint', epoch: 1, path: 'exp/ddd/cf/model_1.pth', kind: 'epoch', size_bytes: 123 },
  {
    type: 'eval',
    epoch: 1,
    metrics: {
      mAP: 0.3,
      mATE: 0.7,
      mASE: 0.3,
      mAOE: 0.5,
      mAVE: 0.6,
      mAAE: 0.1,
      NDS: 0.4,
      per_class: { barrier: { AP: 0.4, ATE: 0.6, ASE: 0.3, AOE: 0.1, AVE: Number.NaN, AAE: Number.NaN } },
    },
  },
  { type: 'log', level: 'warning', message: 'quotes " and \\ and \r\n and \u2028 and é🚗' },
  { type: 'error', error_type: null, message: 'boom', traceback: 'Traceback (most recent call last):\n  ...' },
  { type: 'run_end', status: 'stopped', exit_code: null, signal: 'SIGTERM' },
];

/** What JSON makes of a value: non-finite numbers become null, undefined fields disappear. */
function jsonShape<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('makeEvent', () => {
  it('adds v, run and t (toISOString) and keeps the body, in that field order', () => {
    const e = makeEvent(RUN, { type: 'epoch_start', epoch: 2, lr: 0.01 }, NOW);
    assert.deepEqual(e, { v: 1, type: 'epoch_start', run: RUN, t: '2026-11-25T21:30:00.123Z', epoch: 2, lr: 0.01 });
    assert.deepEqual(Object.keys(e), ['v', 'type', 'run', 't', 'epoch', 'lr']);
  });

  it('does not let a body override the common fields', () => {
    const body = { type: 'log', level: 'info', message: 'm', v: 9, run: 'other', t: 'never' } as unknown as EventBody;
    const e = makeEvent(RUN, body, NOW);
    assert.equal(e.v, 1);
    assert.equal(e.run, RUN);
    assert.equal(e.t, NOW.toISOString());
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const e = makeEvent(RUN, { type: 'log', level: 'info', message: 'm' });
    const t = Date.parse(e.t);
    assert.ok(t >= before && t <= Date.now());
  });
});

describe('serializeEvent', () => {
  it('writes one line ending in a single newline, with no raw line breaks inside', () => {
    for (const body of BODIES) {
      const line = serializeEvent(makeEvent(RUN, body, NOW));
      assert.ok(line.endsWith('\n'));
      assert.equal(line.indexOf('\n'), line.length - 1, `one newline only: ${line}`);
      assert.ok(!line.includes('\r') && !line.includes('\u2028') && !line.includes('\u2029'));
    }
  });

  it('writes NaN and infinities as null at any depth', () => {
    const e = makeEvent(
      RUN,
      {
        type: 'iter',
        phase: 'train',
        epoch: 1,
        iter: 0,
        num_iters: 1,
        losses: { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: 1 },
        deep: { list: [Number.NaN, { x: Number.POSITIVE_INFINITY }] },
      },
      NOW,
    );
    const parsed = JSON.parse(serializeEvent(e)) as Record<string, unknown>;
    assert.deepEqual(parsed.losses, { a: null, b: null, c: null, d: 1 });
    assert.deepEqual(parsed.deep, { list: [null, { x: null }] });
  });

  it('escapes U+2028 and U+2029 and keeps the text intact', () => {
    const e = makeEvent(RUN, { type: 'log', level: 'info', message: 'a\u2028b\u2029c' }, NOW);
    const line = serializeEvent(e);
    assert.ok(line.includes('a\\u2028b\\u2029c'));
    assert.equal((JSON.parse(line) as RunEvent).message, 'a\u2028b\u2029c');
  });
});

describe('round trip', () => {
  it('covers every event type', () => {
    assert.deepEqual(new Set(BODIES.map((b) => b.type)), new Set(EVENT_TYPES));
  });

  it('serialize -> read gives back equal events (NaN as null), through bytes and strings', () => {
    const events = BODIES.map((b) => makeEvent(RUN, b, NOW));
    const text = events.map(serializeEvent).join('');
    const fromText = parseEventLines(text);
    assert.deepEqual(fromText.problems, []);
    assert.deepEqual(fromText.events, events.map(jsonShape));

    const reader = new EventReader();
    const bytes = new TextEncoder().encode(text);
    const got: RunEvent[] = [];
    for (let at = 0; at < bytes.length; at += 3) got.push(...reader.push(bytes.subarray(at, at + 3)).events);
    got.push(...reader.end().events);
    assert.deepEqual(got, events.map(jsonShape));
    assert.equal(reader.stats.events, BODIES.length);
  });

  it('an event without non-finite numbers comes back exactly equal', () => {
    const e = makeEvent(RUN, { type: 'checkpoint', epoch: 3, path: 'p/ä.pth', kind: 'save_point' }, NOW);
    assert.deepEqual(parseEventLines(serializeEvent(e)).events, [e]);
  });
});

describe('EventWriter', () => {
  function collect(): { lines: string[]; writer: EventWriter } {
    const lines: string[] = [];
    let ms = NOW.getTime();
    const writer = new EventWriter(RUN, (l) => lines.push(l), () => new Date(ms++));
    return { lines, writer };
  }

  it('writes every type through the sink and returns the event as readers see it', () => {
    const { lines, writer } = collect();
    const returned = BODIES.map((b) => writer.emit(b));
    assert.equal(lines.length, BODIES.length);
    const read = parseEventLines(lines.join(''));
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.events, returned);
    assert.equal(returned[0].t, '2026-11-25T21:30:00.123Z');
    assert.equal(returned[1].t, '2026-11-25T21:30:00.124Z', 'the clock is asked once per event');
    const iter = returned[3];
    assert.ok(iter.type === 'iter');
    assert.deepEqual(iter.losses, { tot: 3.5, hm: null, wh: null });
    for (const e of returned) assert.ok(validateEvent(e).ok);
  });

  it('throws a clear error for an invalid event and writes nothing', () => {
    const { lines, writer } = collect();
    const bad = { type: 'checkpoint', epoch: 1, path: 'p' } as unknown as EventBody;
    assert.throws(() => writer.emit(bad), {
      message: 'EventWriter: refusing to write an invalid event (checkpoint: missing required field "kind")',
    });
    assert.throws(() => writer.emit({ type: 'epoch_start', epoch: 0, lr: 0.1 }), /field "epoch" must be a positive integer, got 0/);
    assert.throws(() => writer.emit({ type: 'epoch_start', epoch: 1, lr: Number.NaN }), /field "lr" must be a number, got null/);
    assert.throws(
      () => writer.emit({ type: 'iter', phase: 'train', epoch: 1, iter: 0, num_iters: 1, losses: {}, eta_s: Number.NaN }),
      /field "eta_s" must be a number, got null/,
    );
    assert.deepEqual(lines, []);
  });

  it('refuses an unknown type', () => {
    const { lines, writer } = collect();
    assert.throws(() => writer.emit({ type: 'gpu_stats' } as unknown as EventBody), /unknown type "gpu_stats"/);
    assert.deepEqual(lines, []);
  });

  it('refuses an empty run id, and a clock that gives an invalid date', () => {
    assert.throws(() => new EventWriter('', () => undefined), /run id must be a non-empty string/);
    const writer = new EventWriter(RUN, () => undefined, () => new Date(Number.NaN));
    assert.throws(() => writer.emit({ type: 'log', level: 'info', message: 'm' }), RangeError);
  });

  it('uses the current time without a clock', () => {
    const lines: string[] = [];
    const e = new EventWriter(RUN, (l) => lines.push(l)).emit({ type: 'log', level: 'info', message: 'now' });
    assert.ok(Math.abs(Date.parse(e.t) - Date.now()) < 60_000);
    assert.equal(lines.length, 1);
  });
});

describe('newRunId', () => {
  it('has the form YYYYMMDD-HHMMSS-mmm-xxxxxx in UTC', () => {
    assert.match(newRunId(NOW), /^20261125-213000-123-[0-9a-f]{6}$/);
    assert.match(newRunId(new Date('2027-01-02T03:04:05.006+01:00')), /^20270102-020405-006-[0-9a-f]{6}$/);
    assert.match(newRunId(), /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
  });

  it('sorts by time as a plain string', () => {
    const times = [0, 1, 999, 1000, 59_999, 3_600_000, 86_400_000, 31_536_000_000].map((d) => new Date(NOW.getTime() + d));
    const ids = times.map((d) => newRunId(d));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('is unique for the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRunId(NOW)));
    assert.ok(ids.size >= 990, `${ids.size} distinct of 1000`); // 24 random bits: a clash or two is possible
  });
});

describe('EventBody typing', () => {
  it('rejects wrong bodies at compile time (checked by tsc through @ts-expect-error)', () => {
    const lines: string[] = [];
    const writer = new EventWriter(RUN, (l) => lines.push(l));
    // Never called: these lines exist for the type checker. If EventBody stopped checking
    // fields, the @ts-expect-error comments would be unused and compilation would fail.
    const compileOnly = (): void => {
      // @ts-expect-error "best" is not a checkpoint kind
      writer.emit({ type: 'checkpoint', epoch: 1, path: 'p', kind: 'best' });
      // @ts-expect-error log needs level and message
      writer.emit({ type: 'log' });
      // @ts-expect-error lr must be a number
      writer.emit({ type: 'epoch_start', epoch: 1, lr: '0.1' });
      writer.emit({ type: 'log', level: 'info', message: 'extra fields are fine', source: 'adapter' });
    };
    assert.equal(typeof compileOnly, 'function');
    assert.deepEqual(lines, []);
  });
});
