/**
 * The CenterFusion console adapter on captures composed from the documented formats
 * (test/fixtures/centerfusion): exact numbers, event validity, and streaming behaviour.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ConsoleAdapter, adaptText, parseConsoleText } from '../../src/shared/centerfusion';
import { makeEvent, serializeEvent, validateEvent } from '../../src/shared/protocol';
import type { EventBody } from '../../src/shared/protocol';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'centerfusion');
const NOW = new Date('2026-11-25T21:30:00.123Z');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** Each body stamped, serialised and read back as a reader would, and checked. */
function assertValid(events: EventBody[]): void {
  for (const body of events) {
    const line = serializeEvent(makeEvent('run-1', body, NOW));
    const r = validateEvent(JSON.parse(line));
    assert.ok(r.ok && r.known, `invalid event ${line}: ${r.ok ? 'unknown type' : r.reason}`);
  }
}

type Body = Record<string, unknown>;

function ofType(events: EventBody[], type: string): Body[] {
  return events.filter((e) => e.type === type) as Body[];
}

function counts(events: EventBody[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const e of events) c[e.type] = (c[e.type] ?? 0) + 1;
  return c;
}

function iterAt(events: EventBody[], phase: string, epoch: number | null, iter: number): Body {
  const found = ofType(events, 'iter').find((e) => e.phase === phase && e.epoch === epoch && e.iter === iter);
  assert.ok(found, `no ${phase} iter ${epoch}/${iter}`);
  return found;
}

describe('ConsoleAdapter: main.py in a terminal (progress bar)', () => {
  const r = parseConsoleText(fixture('main-tty.txt'));
  const ev = r.events;

  it('produces the expected events, all valid', () => {
    assert.deepEqual(counts(ev), { log: 36, options: 1, epoch_start: 3, iter: 17, eval: 1, lr_change: 1, error: 1 });
    assertValid(ev);
    assert.equal(r.stats.internal, 0);
    assert.equal(r.stats.labels, 4);
    assert.equal(r.stats.truncated, 1);
    assert.equal(r.stats.unknown, 1);
    assert.deepEqual(r.unknownSamples, ['images from ../data/nuscenes ...']);
    assert.deepEqual(r.problems, ['line 23: train update 4/6 cut short; read as far as it goes']);
  });

  it('reads `\\r`-glued updates with ANSI escapes exactly', () => {
    const it0 = iterAt(ev, 'train', 1, 0);
    assert.deepEqual(it0, {
      type: 'iter',
      phase: 'train',
      epoch: 1,
      iter: 0,
      num_iters: 6,
      losses: {
        tot: 20,
        hm: 10.01,
        wh: 6.6867,
        reg: 5.03,
        dep: 4.04,
        dep_sec: 3.3833,
        dim: 2.9171,
        rot: 2.57,
        rot_sec: 2.3022,
        amodel_offset: 2.09,
        nuscenes_att: 1.9182,
        velocity: 1.7767,
      },
      elapsed_s: 2,
      eta_s: 10,
      data_s: 0.014,
      data_cur_s: 0.011,
      net_s: 0.28,
    });
    const it5 = iterAt(ev, 'train', 1, 5);
    assert.equal(it5.net_s, 0.33);
    assert.equal(it5.eta_s, 0);
    assert.equal(it5.eta_estimated, undefined, 'the last iteration has nothing left to estimate');
    assert.equal((iterAt(ev, 'train', 1, 3).losses as Body).velocity, null, 'nan loss -> null');
  });

  it('keeps what is readable of an update cut at the terminal width', () => {
    const cut = iterAt(ev, 'train', 2, 4);
    assert.deepEqual(cut.losses, { tot: 8, hm: 4.01, wh: 2.6867, reg: 2.03, dep: 1.64 });
    assert.equal(cut.truncated, true);
    assert.equal(cut.elapsed_s, 10);
    assert.equal(cut.net_s, undefined);
  });

  it('starts epochs with the scheduled or printed learning rate', () => {
    const starts = ofType(ev, 'epoch_start').map((e) => [e.epoch, e.lr, e.lr_source]);
    assert.deepEqual(starts, [
      [1, 0.00025, 'schedule'],
      [2, 0.00025, 'schedule'],
      [3, 2.5e-5, 'printed'],
    ]);
    assert.deepEqual(
      ofType(ev, 'lr_change').map((e) => [e.epoch, e.lr]),
      [[3, 2.5e-5]],
    );
    // epoch_start comes right before the epoch's first update.
    const i = ev.findIndex((e) => e.type === 'epoch_start' && e.epoch === 2);
    assert.equal(ev[i + 1].type, 'iter');
    assert.equal((ev[i + 1] as Body).epoch, 2);
  });

  it('reads the Namespace line as options', () => {
    const [opts] = ofType(ev, 'options');
    const o = opts.opts as Body;
    assert.equal(o.lr, 0.00025);
    assert.deepEqual(o.lr_step, [2]);
    assert.equal(o.gpus_str, '0,1');
    assert.deepEqual(o.hm_dist_thresh, { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1, 7: 1, 8: 0, 9: 0 });
    assert.equal(o.not_rand_crop, true);
    assert.equal(o.resume, false);
    assert.deepEqual(o.pc_feat_lvl, ['pc_dep', 'pc_vx', 'pc_vz']);
  });

  it('reads the evaluation printout, with its epoch and summary path', () => {
    const [e] = ofType(ev, 'eval');
    assert.equal(e.epoch, 2);
    assert.equal(e.summary_path, '../exp/ddd/centerfusion/nuscenes_eval_det_output_mini_val/metrics_summary.json');
    assert.equal(e.eval_time_s, 12.3);
    const m = e.metrics as Body;
    assert.deepEqual(
      [m.mAP, m.mATE, m.mASE, m.mAOE, m.mAVE, m.mAAE, m.NDS],
      [0.332, 0.649, 0.263, 0.535, 0.54, 0.142, 0.453],
    );
    const pc = m.per_class as Record<string, Body>;
    assert.equal(Object.keys(pc).length, 10);
    assert.deepEqual(pc.car, { AP: 0.524, ATE: 0.416, ASE: 0.154, AOE: 0.081, AVE: 0.555, AAE: 0.181 });
    assert.deepEqual(pc.traffic_cone, { AP: 0.563, ATE: 0.441, ASE: 0.339, AOE: null, AVE: null, AAE: null });
    assert.deepEqual(pc.barrier, { AP: 0.47, ATE: 0.452, ASE: 0.296, AOE: 0.1, AVE: null, AAE: null });
  });

  it('reads start-up markers as log events', () => {
    const logs = ofType(ev, 'log');
    const loaded = logs.find((l) => String(l.message).startsWith('loaded '));
    assert.equal(loaded?.checkpoint_path, '../models/centernet_baseline_e170.pth');
    assert.equal(loaded?.checkpoint_epoch, 170);
    assert.equal(logs.filter((l) => l.level === 'warning').length, 3);
    assert.ok(logs.some((l) => l.message === 'Starting training...' && l.source_line === 21));
  });

  it('reads the Ctrl-C traceback glued to the last bar update', () => {
    const [err] = ofType(ev, 'error');
    assert.equal(err.error_type, 'KeyboardInterrupt');
    assert.equal(err.message, 'KeyboardInterrupt');
    assert.match(String(err.traceback), /^Traceback \(most recent call last\):\n {2}File "main\.py", line 120/);
    assert.match(String(err.traceback), /KeyboardInterrupt$/);
    assert.equal(ev[ev.length - 1].type, 'error');
    assert.equal((ev[ev.length - 2] as Body).iter, 1);
  });
});

describe('ConsoleAdapter: --print_iter lines, piped', () => {
  const r = parseConsoleText(fixture('main-print-iter.txt'));
  const ev = r.events;

  it('produces the expected events, all valid', () => {
    assert.deepEqual(counts(ev), { log: 6, epoch_start: 2, iter: 6, error: 2 });
    assertValid(ev);
    assert.equal(r.problemCount, 0);
    assert.equal(r.stats.unknown, 0);
  });

  it('estimates the ETA (always 0 in print_iter lines) and reads day-long times', () => {
    const a = iterAt(ev, 'train', 13, 0);
    assert.equal(a.elapsed_s, 3);
    assert.equal(a.eta_s, 10497); // 3 s per iteration, 3499 left
    assert.equal(a.eta_estimated, true);
    const b = iterAt(ev, 'train', 13, 3000);
    assert.equal(b.elapsed_s, 88000); // "1 day, 0:26:40"
    assert.equal(b.eta_s, 14632.456); // 88000 / 3001 * 499, rounded to ms
    assert.equal((b.losses as Body).tot, 2.5806);
  });

  it('carries the resumed learning rate into the epochs', () => {
    assert.deepEqual(
      ofType(ev, 'epoch_start').map((e) => [e.epoch, e.lr, e.lr_source]),
      [
        [13, 0.000125, 'printed'],
        [14, 0.000125, 'previous'],
      ],
    );
  });

  it('reads a DataLoader worker error with iterations interleaved in its traceback', () => {
    const errors = ofType(ev, 'error');
    assert.equal(errors[0].error_type, 'KeyError');
    assert.equal(errors[0].message, 'Caught KeyError in DataLoader worker process 3.');
    assert.equal(errors[0].original_error_type, 'KeyError');
    assert.equal(errors[0].original_message, "'calib'");
    assert.match(String(errors[0].traceback), /Original Traceback \(most recent call last\):/);
    assert.doesNotMatch(String(errors[0].traceback), /ddd\/centerfusion\|/);
    // The iteration printed between the traceback's lines still counts, and comes first.
    const idx = ev.indexOf(errors[0] as EventBody);
    assert.equal((ev[idx - 1] as Body).iter, 1000);
    assert.deepEqual([errors[1].error_type, errors[1].message], [null, 'Segmentation fault (core dumped)']);
  });

  it('reads a Python warning and swallows its source line', () => {
    const [w] = ofType(ev, 'log').filter((l) => l.level === 'warning');
    assert.equal(w.warning_type, 'UserWarning');
    assert.match(String(w.message), /functional\.py:3121: UserWarning: Default upsampling/);
  });
});

describe('ConsoleAdapter: CenterNet names, CRLF', () => {
  it('keeps the older loss names as written', () => {
    const r = parseConsoleText(fixture('centernet-print-iter.txt'));
    assertValid(r.events);
    const iters = ofType(r.events, 'iter');
    assert.equal(iters.length, 2);
    assert.deepEqual(iters[0].losses, { loss: 12.3456, hm_loss: 9.8765, wh_loss: 20.1234, off_loss: 0.4321 });
    assert.deepEqual(iters[1].losses, { loss: 10.5, hm_loss: 8.25, wh_loss: 18, off_loss: 0.375 });
    assert.equal(iters[1].eta_s, 1.667);
    const [start] = ofType(r.events, 'epoch_start');
    assert.deepEqual([start.epoch, start.lr, start.lr_source], [1, 1.25e-4, 'default']);
    assert.deepEqual(
      ofType(r.events, 'log').map((l) => l.message),
      ['Creating model...', 'Setting up data...', 'Starting training...'],
    );
    assert.equal(r.problemCount, 0);
  });
});

describe('ConsoleAdapter: test.py', () => {
  const r = parseConsoleText(fixture('test-tty.txt'));

  it('reads timings with and without the space, phase test, epoch null', () => {
    assertValid(r.events);
    const iters = ofType(r.events, 'iter');
    assert.equal(iters.length, 4);
    assert.deepEqual(iters[1], {
      type: 'iter',
      phase: 'test',
      epoch: null,
      iter: 1,
      num_iters: 81,
      losses: {},
      elapsed_s: 2,
      eta_s: 39,
      timings: {
        tot: [0.401, 0.4],
        load: [0.021, 0.02],
        pre: [0.031, 0.03],
        net: [0.041, 0.04],
        dec: [0.051, 0.05],
        post: [0.061, 0.06],
        merge: [0.071, 0.07],
        track: [0.081, 0.08],
      },
    });
    assert.deepEqual(iters[3].timings, { tot: [0.452, 0.43], load: [0.012, 0.011] });
    assert.equal(iters[3].eta_s, 19.512);
    assert.equal(ofType(r.events, 'epoch_start').length, 0);
  });

  it('gives the evaluation of a test run no epoch', () => {
    const [e] = ofType(r.events, 'eval');
    assert.equal(e.epoch, null);
    assert.equal((e.metrics as Body).NDS, 0.449);
    assert.deepEqual(Object.keys((e.metrics as Body).per_class as Body), ['car', 'barrier']);
    assert.equal(e.summary_path, '../exp/ddd/centerfusion/nuscenes_eval_det_output_mini_val/metrics_summary.json');
    assert.equal(r.problemCount, 0);
    assert.equal(r.stats.unknown, 0);
  });
});

describe('ConsoleAdapter: tracebacks', () => {
  const r = parseConsoleText(fixture('tracebacks.txt'));
  const errors = ofType(r.events, 'error');

  it('finds every error, all events valid', () => {
    assertValid(r.events);
    assert.deepEqual(
      errors.map((e) => e.error_type),
      ['RuntimeError', 'FileNotFoundError', 'RuntimeError', 'AssertionError', 'torch.cuda.OutOfMemoryError', null],
    );
  });

  it('reads a traceback whose header is missing', () => {
    assert.match(String(errors[0].message), /^CUDA out of memory\. Tried to allocate 200\.00 MiB/);
    assert.match(String(errors[0].traceback), /^ {2}File ".*base_model\.py", line 118, in forward/);
  });

  it('keeps a chained exception as one error, the last one', () => {
    assert.equal(errors[1].message, "[Errno 2] No such file or directory: '../data/nuscenes/samples/RADAR_FRONT/n008.pcd'");
    const tb = String(errors[1].traceback);
    assert.match(tb, /KeyError: 'e93e98b63d3b40209056d129dc53ceee'\n\nDuring handling of the above exception/);
    assert.match(tb, /~~~~\^\^\^\^/);
  });

  it('reads a message continued on tab-indented lines; an interleaved update stays an iter', () => {
    assert.equal(
      errors[2].message,
      'Error(s) in loading state_dict for DLASeg:\n' +
        '\tsize mismatch for hm.2.weight: copying a param with shape torch.Size([80, 256, 1, 1]) from checkpoint, the shape in current model is torch.Size([10, 256, 1, 1]).\n' +
        '\tsize mismatch for hm.2.bias: copying a param with shape torch.Size([80]) from checkpoint, the shape in current model is torch.Size([10]).',
    );
    const [it] = ofType(r.events, 'iter');
    assert.deepEqual([it.phase, it.epoch, it.iter, it.num_iters], ['val', null, 10, 100]);
  });

  it('reads lone error lines and reports a traceback cut before its error', () => {
    assert.deepEqual([errors[3].message, errors[3].traceback], ['AssertionError', undefined]);
    assert.equal(errors[4].message, 'CUDA out of memory.');
    assert.equal(errors[5].message, 'traceback without its final error line (the output was cut short?)');
    assert.deepEqual(r.problems, ['line 32: traceback without its final error line (the output was cut short?)']);
  });
});

describe('ConsoleAdapter: streaming', () => {
  it('reads a complete update before the next `\\r` arrives', () => {
    const a = new ConsoleAdapter();
    const update =
      '\rddd/cf |#####                           | train: [1][0/6]|Tot: 0:00:02 |ETA: 0:00:10 |tot 20.0000 |Data 0.011s(0.014s) |Net 0.280s';
    const first = a.push(update);
    assert.deepEqual(first.map((e) => e.type), ['epoch_start', 'iter']);
    // A chunk ending inside the Net value waits for the rest.
    assert.deepEqual(a.push(update.replace('[0/6]', '[1/6]').slice(0, -2)), []);
    const rest = a.push('0s');
    assert.equal(rest.length, 1);
    assert.equal((rest[0] as Body).iter, 1);
    assert.deepEqual(a.push('\r'), []);
    assert.deepEqual(a.end(), []);
  });

  it('reads the last line without newline at end()', () => {
    const a = new ConsoleAdapter();
    assert.deepEqual(a.push('Creating model...\nStarting train'), [{ type: 'log', level: 'info', message: 'Creating model...', source_line: 1 }]);
    assert.deepEqual(a.push('ing...'), []);
    assert.deepEqual(a.end(), [{ type: 'log', level: 'info', message: 'Starting training...', source_line: 2 }]);
  });

  it('drops the rest of an overlong line and says so', () => {
    const a = new ConsoleAdapter({ maxLineLength: 1000 });
    a.push('x'.repeat(5000));
    a.push('y'.repeat(5000));
    const out = a.push('\nCreating model...\n');
    assert.deepEqual(out.map((e) => e.type), ['log']);
    assert.equal(a.stats.overlong, 1);
    assert.match(a.problems[0], /longer than 1000 characters/);
  });

  it('uses the run options for the learning rate schedule', () => {
    const a = new ConsoleAdapter({ opts: { lr: 2.5e-4, lr_step: '50,55' } });
    const mk = (epoch: number): string =>
      `ddd/cf| train: [${epoch}][0/10]|Tot: 0:00:01 |ETA: 0:00:00 |tot 1.0000 |Data 0.001s(0.001s) |Net 0.100s\n`;
    const events = [...a.push(mk(50) + mk(51) + mk(56)), ...a.end()];
    assert.deepEqual(
      ofType(events, 'epoch_start').map((e) => [e.epoch, e.lr]),
      [
        [50, 2.5e-4],
        [51, 2.5e-4 * 0.1],
        [56, 2.5e-4 * 0.1 ** 2],
      ],
    );
  });

  it('skips an update repeated as is', () => {
    const line = 'ddd/cf| val: [2][3/10]|Tot: 0:00:01 |ETA: 0:00:00 |tot 1.0000 |Net 0.100s';
    const r = parseConsoleText(`${line}\r${line}\n`);
    assert.equal(ofType(r.events, 'iter').length, 1);
    assert.equal(r.stats.duplicates, 1);
  });
});

describe('ConsoleAdapter: odd shapes', () => {
  const upd = (i: number): string =>
    `ddd/cf |###    | train: [1][${i}/9]|Tot: 0:00:0${i} |ETA: 0:00:01 |tot ${i}.5000 |Data 0.010s(0.020s) |Net 0.100s`;

  it('reads updates glued without `\r`, and text glued after the last one', () => {
    const r = parseConsoleText(`${upd(1)}${upd(2)}/x/y.py:7: UserWarning: careful\n`);
    assertValid(r.events);
    assert.deepEqual(
      r.events.map((e) => [e.type, (e as Body).iter ?? (e as Body).warning_type ?? (e as Body).epoch]),
      [
        ['epoch_start', 1],
        ['iter', 1],
        ['iter', 2],
        ['log', 'UserWarning'],
      ],
    );
    assert.equal(iterAt(r.events, 'train', 1, 1).net_s, 0.1);
  });

  it('keeps a Drop LR line before any epoch as a log line, and uses it for the first epoch', () => {
    const r = parseConsoleText(`Drop LR to 1e-05\n${upd(0)}\n`);
    assert.deepEqual(r.events[0], { type: 'log', level: 'info', message: 'Drop LR to 1e-05', source_line: 1, lr: 1e-5 });
    assert.deepEqual(ofType(r.events, 'epoch_start')[0], { type: 'epoch_start', epoch: 1, lr: 1e-5, lr_source: 'printed' });
  });

  it('reads a shell\'s report of a killed process', () => {
    const r = parseConsoleText('train.sh: line 3: 4242 Killed                  python main.py ddd\n');
    assert.deepEqual(ofType(r.events, 'error').map((e) => [e.error_type, e.message]), [
      [null, 'train.sh: line 3: 4242 Killed                  python main.py ddd'],
    ]);
  });

  it('does not take an indented line after a warning for anything', () => {
    const r = parseConsoleText('a.py:1: FutureWarning: x\n  warnings.warn(x)\nplain text\n');
    assert.equal(r.events.length, 1);
    assert.equal(r.stats.unknown, 1);
    assert.deepEqual(r.unknownSamples, ['plain text']);
  });
});

describe('adaptText: evaluation printout file', () => {
  it('reads the devkit printout with its summary path and an epoch given by the caller', () => {
    const r = adaptText('eval', fixture('eval-printout.txt'), { epoch: 60 });
    assertValid(r.events);
    const [e] = ofType(r.events, 'eval');
    assert.equal(e.epoch, 60);
    assert.equal(e.summary_path, '../exp/ddd/centerfusion/nuscenes_eval_det_output_val/metrics_summary.json');
    assert.equal(e.eval_time_s, 112.5);
    const m = e.metrics as Body;
    assert.deepEqual([m.mAP, m.NDS, m.mAVE], [0.3316, 0.4548, 0.5396]);
    assert.equal(Object.keys(m.per_class as Body).length, 10);
    assert.equal(r.problemCount, 0);
  });

  it('says so when a text has no printout', () => {
    const r = adaptText('eval', 'nothing here\n');
    assert.deepEqual(r.events, []);
    assert.match(r.problems[0], /no evaluation printout/);
  });
});
