/**
 * CenterFusion's files: log.txt, opt.txt, metrics_summary.json, the Python literal reader, kind
 * detection, and the `centerfusion parse-log` command.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  adaptText,
  detectKind,
  logTxtToEvents,
  metricsToEvents,
  optTxtToEvents,
  parseLogTxt,
  parseOptTxt,
  parsePyKwargs,
  parsePyLiteral,
  parsePyNumber,
  parseTimedelta,
  readMetricsSummary,
  stripAnsi,
} from '../../src/shared/centerfusion';
import { makeEvent, parseEventLines, serializeEvent, validateEvent } from '../../src/shared/protocol';
import type { EventBody } from '../../src/shared/protocol';
import { parseLogCommand } from '../../src/trainer/commands/parse-log';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'centerfusion');
const NOW = new Date('2026-11-25T21:30:00.123Z');
const LOG_TXT = path.join(FIXTURES, 'logs_2020-11-20-13-45', 'log.txt');
const SUMMARY = path.join(FIXTURES, 'nuscenes_eval_det_output_mini_val', 'metrics_summary.json');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

function assertValid(events: EventBody[]): void {
  for (const body of events) {
    const line = serializeEvent(makeEvent('run-1', body, NOW));
    const r = validateEvent(JSON.parse(line));
    assert.ok(r.ok && r.known, `invalid event ${line}: ${r.ok ? 'unknown type' : r.reason}`);
  }
}

type Body = Record<string, unknown>;

describe('log.txt', () => {
  const parsed = parseLogTxt(fs.readFileSync(LOG_TXT, 'utf8'));

  it('splits train and val at the first `time`, 6-decimal values, nan/inf as null', () => {
    assert.equal(parsed.epochs.length, 4);
    const [e1, e2, e3, e4] = parsed.epochs;
    assert.deepEqual([e1.time, e1.epoch, e1.time_min, e1.val, e1.complete], ['2020-11-20-13-45', 1, 45.5, null, true]);
    assert.equal(e1.train.dim, 2.142857);
    assert.equal(Object.keys(e1.train).length, 12);
    assert.equal(e1.train.time, undefined, 'time is not a loss');
    assert.equal(e2.time_min, 45.25);
    assert.equal(e2.val_time_min, 2.1);
    assert.deepEqual(Object.keys(e2.val ?? {}), Object.keys(e2.train));
    assert.equal(e2.val?.tot, 11);
    assert.equal(e2.val?.nuscenes_att, 1);
    assert.equal(e2.train.nuscenes_att, 0.909091);
    assert.equal(e3.train.velocity, null);
    assert.equal(e3.train.dep, null);
    assert.equal(e3.train.tot, 7.5);
    // Killed during validation: train part only, no newline.
    assert.deepEqual([e4.epoch, e4.time_min, e4.val, e4.complete], [4, 45.75, null, false]);
    assert.deepEqual(parsed.problems, ['line 4: epoch 4: last line without newline (run stopped mid-write?)']);
  });

  it('gives epoch_end events', () => {
    const { events } = logTxtToEvents(parsed);
    assertValid(events);
    assert.equal(events.length, 4);
    const e2 = events[1] as Body;
    assert.deepEqual(
      [e2.type, e2.epoch, e2.time_min, e2.val_time_min, e2.logged_at, e2.complete],
      ['epoch_end', 2, 45.25, 2.1, '2020-11-20-14-31', undefined],
    );
    assert.equal((events[3] as Body).complete, false);
  });

  it('drops a value cut mid-number and an epoch without its train time; reports both', () => {
    const r = logTxtToEvents(fixture('log-cut.txt'));
    assertValid(r.events);
    assert.equal(r.events.length, 1);
    assert.deepEqual((r.events[0] as Body).train, { loss: 5.123456, hm_loss: 3.25, wh_loss: 1.125, off_loss: 0.25 });
    assert.deepEqual(r.problems, [
      'line 2: not an epoch line: "garbage that is not an epoch line"',
      'line 3: epoch 2: last value "hm_loss 2.75" cut short (line without newline)',
      'line 3: epoch 2: no train time (line cut short?)',
      'line 3: epoch 2: last line without newline (run stopped mid-write?)',
      'epoch 2 (line 3): no epoch_end event without its train time',
    ]);
    const p = parseLogTxt(fixture('log-cut.txt'));
    assert.deepEqual(p.epochs[1].train, { loss: 4.5 });
    assert.equal(p.epochs[1].time_min, null);
  });
});

describe('opt.txt', () => {
  const opt = parseOptTxt(fixture('opt.txt'));

  it('reads the header, the command line and every option', () => {
    assert.deepEqual(opt.problems, []);
    assert.equal(opt.commit, 'v0.1-12-g3bac5c9');
    assert.equal(opt.torch_version, '1.2.0');
    assert.equal(opt.cudnn_version, '7602');
    assert.equal(opt.script, 'main.py');
    assert.equal(opt.argv?.length, 41);
    assert.deepEqual(opt.argv?.slice(0, 3), ['ddd', '--exp_id', 'centerfusion']);
    assert.equal(Object.keys(opt.opts).length, 178);
    assert.deepEqual(opt.headers, { 'commit hash': "b'v0.1-12-g3bac5c9\\n'", 'torch version': '1.2.0', 'cudnn version': '7602' });
  });

  it('keeps header lines CenterFusion does not write (our trainer: tfjs version, backend)', () => {
    const r = parseOptTxt("==> commit hash: b'abc\\n'\n==> tfjs version: 4.22.0\n==> tfjs backend: cpu\n==> Cmd:\n['main.py', 'ddd']\n==> Opt:\n  lr: 0.000125\n");
    assert.deepEqual(r.problems, []);
    assert.equal(r.commit, 'abc');
    assert.equal(r.headers['tfjs backend'], 'cpu');
    assert.deepEqual(r.argv, ['ddd']);
    assert.deepEqual(r.opts, { lr: 0.000125 });
    assert.deepEqual((optTxtToEvents(r).events[0] as Body).headers, { 'commit hash': "b'abc\\n'", 'tfjs version': '4.22.0', 'tfjs backend': 'cpu' });
  });

  it('reads values as Python wrote them', () => {
    const o = opt.opts;
    assert.equal(o.lr, 0.00025);
    assert.equal(o.tiny_lr, 1e-5);
    assert.deepEqual(o.lr_step, [50]);
    assert.deepEqual(o.gpus, [0, 1]);
    assert.equal(o.gpus_str, '0,1', 'a computed string stays a string');
    assert.equal(o.exp_id, 'centerfusion');
    assert.equal(o.load_model, '../models/centernet_baseline_e170.pth');
    assert.equal(o.dataset_version, '');
    assert.equal(o.custom_dataset_img_path, '');
    assert.deepEqual(o.save_imgs, []);
    assert.equal(o.pointcloud, true);
    assert.equal(o.eval, false);
    assert.equal(o.nothing, null);
    assert.equal(o.big_thresh, Number.POSITIVE_INFINITY);
    assert.equal(o.pc_z_offset, 0);
    assert.equal(o.flip, 0.5);
    assert.equal(o.eval_note, 'it\'s a "note"');
    assert.deepEqual(o.layers_to_freeze, ['base', 'dla_up', 'ida_up']);
    assert.deepEqual(o.hm_dist_thresh, { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1, 7: 1, 8: 0, 9: 0 });
    assert.deepEqual((o.head_conv as Body).velocity, [256, 256, 256]);
    assert.deepEqual(o.pillar_dims, [1.5, 0.2, 0.2]);
  });

  it('gives an options event (infinity becomes null on the wire)', () => {
    const { events } = optTxtToEvents(opt);
    assertValid(events);
    assert.equal(events.length, 1);
    const wire = JSON.parse(serializeEvent(makeEvent('r', events[0], NOW))) as Body;
    assert.equal((wire.opts as Body).big_thresh, null);
    assert.equal(wire.commit, 'v0.1-12-g3bac5c9');
    assert.equal(wire.script, 'main.py');
  });

  it('copes with CRLF, escapes, bytes, sets, a stray line and a cut last line', () => {
    const q = parseOptTxt(fixture('opt-quirks.txt'));
    assert.equal(q.commit, '3bac5c9b26daf958456a7bbbae5eb5a00a76d98a');
    assert.equal(q.torch_version, '1.7.1+cu110');
    assert.equal(q.script, 'test.py');
    assert.deepEqual(q.argv, ['ddd', '--exp_id', "it's", '--load_model', 'C:\\models\\cf_e60.pth', '--flip_test', '--gpus', '0']);
    assert.equal(q.opts.exp_id, "it's");
    assert.equal(q.opts.load_model, 'C:\\models\\cf_e60.pth');
    assert.equal(q.opts.note, 'a: b');
    assert.equal(q.opts.flip_test, true);
    assert.equal(q.opts.lr, 1e-5);
    assert.deepEqual(q.opts.weird, { a: [1, 2.5, Number.NEGATIVE_INFINITY], b: 'été', c: [1, 2], d: null });
    assert.equal(q.opts.test_scales, '[1.0, 0.5');
    assert.deepEqual(q.problems, [
      'line 14: not an option line: "  this line is not an option"',
      'line 17: the value of "test_scales" is not a complete Python literal (cut short?); kept as text',
    ]);
    assertValid(optTxtToEvents(q).events);
  });

  it('reports a text that is not an opt.txt', () => {
    const r = parseOptTxt('hello\n');
    assert.deepEqual(r.opts, {});
    assert.deepEqual(r.problems, ['line 1: unexpected line before "==> Opt:": "hello"', 'no "==> Opt:" section (not an opt.txt, or cut short)']);
    assert.deepEqual(optTxtToEvents(r).events, []);
  });
});

describe('metrics_summary.json', () => {
  it('reads the devkit file with bare NaN', () => {
    const r = readMetricsSummary(fs.readFileSync(SUMMARY, 'utf8'));
    assert.deepEqual(r.problems, []);
    const m = r.metrics;
    assert.ok(m);
    assert.equal(m.mAP, 0.33162);
    assert.equal(m.NDS, 0.4547987777777777);
    assert.equal(m.mATE, 0.6209799999999999);
    assert.equal(m.mAVE, 0.5395625000000001);
    assert.equal(Object.keys(m.per_class).length, 10);
    assert.deepEqual(m.per_class.car, { AP: 0.524025, ATE: 0.4162, ASE: 0.1541, AOE: 0.0812, AVE: 0.5551, AAE: 0.1812 });
    assert.deepEqual(m.per_class.traffic_cone, { AP: 0.56305, ATE: 0.441, ASE: 0.339, AOE: null, AVE: null, AAE: null });
    assert.equal(m.per_class.barrier.AVE, null);
    assert.equal(r.eval_time_s, 12.345678);
  });

  it('gives an eval event with the epoch and path it is given', () => {
    const { events } = metricsToEvents(fs.readFileSync(SUMMARY, 'utf8'), { epoch: 7, summaryPath: 'x/metrics_summary.json' });
    assertValid(events);
    const e = events[0] as Body;
    assert.deepEqual([e.epoch, e.summary_path, e.eval_time_s], [7, 'x/metrics_summary.json', 12.345678]);
  });

  it('reads what it can of an incomplete file and lists the gaps', () => {
    const r = readMetricsSummary(fixture('metrics_summary-partial.json'));
    assert.ok(r.metrics);
    assert.equal(r.metrics.mAP, 0.33162);
    assert.equal(r.metrics.mATE, 0.6209799999999999);
    assert.equal(r.metrics.mAVE, null);
    assert.equal(r.metrics.mASE, null);
    assert.deepEqual(r.metrics.per_class.barrier, { AP: 0.47, ATE: null, ASE: null, AOE: null, AVE: null, AAE: null });
    assert.deepEqual(r.problems, [
      'incomplete metrics summary (metrics summary: missing "label_aps"); read what is there',
      'tp_errors.scale_err: missing',
      'tp_errors.orient_err: missing',
      'tp_errors.attr_err: missing',
    ]);
    assertValid(metricsToEvents(fixture('metrics_summary-partial.json')).events);
  });

  it('gives nothing for text that is not JSON, and says why', () => {
    const r = metricsToEvents('{"mean_ap": 0.3,');
    assert.deepEqual(r.events, []);
    assert.match(r.problems[0], /^not JSON: /);
    assert.deepEqual(metricsToEvents('[1, 2]').problems, ['not a JSON object']);
  });
});

describe('Python literals', () => {
  it('reads what repr() and str() write', () => {
    const ok = (text: string): unknown => {
      const r = parsePyLiteral(text);
      assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error}`);
      return r.value;
    };
    assert.deepEqual(ok("[1, -2, 1e-05, 0.000125, inf, -inf, True, False, None, 'a', \"b'c\"]"), [
      1, -2, 1e-5, 0.000125, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, true, false, null, 'a', "b'c",
    ]);
    assert.ok(Number.isNaN(ok('nan') as number));
    assert.deepEqual(ok("(1,)"), [1]);
    assert.deepEqual(ok('()'), []);
    assert.deepEqual(ok('set()'), []);
    assert.deepEqual(ok("{'a': {1: (2, 3)}, 'b': []}"), { a: { 1: [2, 3] }, b: [] });
    assert.equal(ok("b'v1.0-3-g3bac5c9\\n'"), 'v1.0-3-g3bac5c9\n');
    assert.equal(ok("b'\\xc3\\xa9'"), 'é');
    assert.equal(ok("'tab\\there \\x41 \\u00e9 \\N'"), 'tab\there A é \\N');
    assert.equal(ok("r'C:\\new'"), 'C:\\new');
    assert.equal(ok('0x1F'), 31);
    assert.equal(ok('1_000'), 1000);
    const proto = ok("{'__proto__': 1}") as Body;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.equal(proto.__proto__, 1);
  });

  it('refuses what is not a literal, with a reason and where', () => {
    for (const bad of ["[1, 2", "'abc", 'device(type=\'cuda\')', '1 2', '[1,,2]', '12abc', '']) {
      const r = parsePyLiteral(bad);
      assert.equal(r.ok, false, bad);
    }
    const r = parsePyLiteral('[1, 2');
    assert.deepEqual(r, { ok: false, error: 'expected "," or "]"', at: 5 });
    assert.deepEqual(parsePyLiteral("'abc"), { ok: false, error: 'unterminated string', at: 0 });
  });

  it('reads Namespace(...) arguments, keeping non-literals as text', () => {
    const r = parsePyKwargs("K=100, arch='dla_34', device=device(type='cuda'), lr_step=[50, 55], flag=True");
    assert.deepEqual(r.values, { K: 100, arch: 'dla_34', device: "device(type='cuda')", lr_step: [50, 55], flag: true });
    assert.deepEqual(r.rawNames, ['device']);
    assert.deepEqual(r.problems, []);
  });
});

describe('small readers', () => {
  it('timedelta text, Python numbers, ANSI escapes', () => {
    assert.equal(parseTimedelta('0:01:56'), 116);
    assert.equal(parseTimedelta('1 day, 0:26:40'), 88000);
    assert.equal(parseTimedelta('3 days, 10:00:00'), 295200);
    assert.equal(parseTimedelta('0:00:01.500000'), 1.5);
    assert.equal(parseTimedelta('0:61:00'), undefined);
    assert.equal(parseTimedelta('1:2:3'), undefined);
    assert.equal(parsePyNumber('13.3357'), 13.3357);
    assert.equal(parsePyNumber('1e-05'), 1e-5);
    assert.equal(parsePyNumber('     nan'), null);
    assert.equal(parsePyNumber('-inf'), null);
    assert.equal(parsePyNumber('1e999'), null);
    assert.equal(parsePyNumber('abc'), undefined);
    assert.equal(stripAnsi('\x1b[?25l\x1b[Kddd/cf \x1b[31mred\x1b[0m\x1b]0;title\x07 \x08end\x1b'), 'ddd/cf red end');
  });

  it('detects the kind of a file from its name or its first lines', () => {
    assert.equal(detectKind('/x/logs_2020/log.txt', ''), 'logtxt');
    assert.equal(detectKind('C:\\exp\\opt.txt', ''), 'opttxt');
    assert.equal(detectKind('metrics_summary.json', ''), 'metrics');
    assert.equal(detectKind('a.txt', fixture('opt-quirks.txt')), 'opttxt');
    assert.equal(detectKind('a.txt', fixture('log-cut.txt')), 'logtxt');
    assert.equal(detectKind('a.json', fixture('metrics_summary-partial.json')), 'metrics');
    assert.equal(detectKind('a.txt', fixture('eval-printout.txt')), 'eval');
    assert.equal(detectKind('a.txt', fixture('main-tty.txt')), 'progress');
    assert.equal(detectKind('a.txt', fixture('test-tty.txt')), 'progress');
    assert.equal(detectKind('a.txt', ''), 'progress');
  });

  it('adaptText never throws on odd input', () => {
    for (const kind of ['progress', 'logtxt', 'opttxt', 'eval', 'metrics'] as const) {
      for (const text of ['', '\u0000', '\r\r\n\n', '\ud800', '{'.repeat(10000), 'epoch: 1 |'.repeat(1000)]) {
        const r = adaptText(kind, text);
        assertValid(r.events);
      }
    }
  });
});

describe('centerfusion parse-log', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await parseLogCommand.run(argv, {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
      cwd: FIXTURES,
    });
    return { code, out, err };
  }

  it('prints valid JSON lines for each kind of file', async () => {
    const cases: Array<[string, number]> = [
      ['main-tty.txt', 60],
      ['main-print-iter.txt', 16],
      ['logs_2020-11-20-13-45/log.txt', 4],
      ['opt.txt', 1],
      ['eval-printout.txt', 23],
      ['nuscenes_eval_det_output_mini_val/metrics_summary.json', 1],
    ];
    for (const [file, n] of cases) {
      const r = await run([file, '--run-id', 'run-7']);
      assert.equal(r.code, 0, file);
      const batch = parseEventLines(r.out);
      assert.deepEqual(batch.problems, [], file);
      assert.equal(batch.events.length, n, file);
      assert.ok(batch.events.every((e) => e.run === 'run-7'));
      assert.match(r.err, new RegExp(`^parse-log: ${file.replace(/[./]/g, '\\$&')} \\(`));
    }
  });

  it('uses --kind and --epoch, summarises problems on stderr, exits 0', async () => {
    const r = await run(['log-cut.txt', '--kind=logtxt', '--run-id', 'r']);
    assert.equal(r.code, 0);
    assert.equal(parseEventLines(r.out).events.length, 1);
    assert.match(r.err, /5 problems:/);
    assert.match(r.err, /not an epoch line/);
    const m = await run(['metrics_summary-partial.json', '--kind', 'metrics', '--epoch', '9']);
    const [e] = parseEventLines(m.out).events;
    assert.equal(e.type, 'eval');
    assert.equal((e as Body).epoch, 9);
    assert.equal((e as Body).summary_path, path.join(FIXTURES, 'metrics_summary-partial.json'));
  });

  it('reads a binary file without failing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-parse-log-'));
    try {
      const file = path.join(dir, 'capture.bin');
      fs.writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0xc3, 0x28, 0x1b, 0x5b, 0x4b, 0x0a]));
      const r = await run([file]);
      assert.equal(r.code, 0);
      assert.equal(r.out, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 for a missing file, 2 for a bad command line, 0 for --help', async () => {
    const missing = await run(['no-such-file.txt']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such file/);
    assert.equal(missing.out, '');
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['a', 'b'])).code, 2);
    assert.equal((await run(['a', '--kind', 'nope'])).code, 2);
    assert.equal((await run(['a', '--frob'])).code, 2);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^usage: centerfusion parse-log/);
  });
});
