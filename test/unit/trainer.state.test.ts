// The TensorBoard event file (read back with an independent TFRecord/protobuf reader) and the
// optimizer state in checkpoints: --resume continues bit-for-bit, --load_model skips parameters
// whose shape differs, and version-1 checkpoints still load.
// `npm test` builds dist/ first; run `node scripts/build.mjs` before running this file alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { crc32, decodeCheckpoint, encodeCheckpoint, readCheckpoint, type CheckpointHeader } from '../../src/trainer/checkpoint';
import { parseMetricsSummary } from '../../src/shared/eval';
import { crc32c, encodeScalarEvent, maskedCrc32c, tfRecord } from '../../src/trainer/tfevents';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const SMALL = ['--dataset', 'synthetic', '--arch', 'tiny', '--head_conv', '8', '--input_h', '32', '--input_w', '64', '--batch_size', '8', '--num_iters', '2', '--seed', '7'];

interface Ran {
  code: number | null;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

// ---- an independent reader: bitwise CRC-32C, TFRecord framing, the protobuf wire format

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    assert.ok(at + 12 <= buf.length, 'truncated record header');
    const len = Number(buf.readBigUInt64LE(at));
    assert.equal(buf.readUInt32LE(at + 8), masked(buf.subarray(at, at + 8)), 'length CRC');
    const data = buf.subarray(at + 12, at + 12 + len);
    assert.equal(data.length, len, 'truncated record');
    assert.equal(buf.readUInt32LE(at + 12 + len), masked(data), 'data CRC');
    out.push(data);
    at += 12 + len + 4;
  }
  return out;
}

type Field = { field: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[at++];
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v, at];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [k, next] = readVarint(buf, at);
    at = next;
    const field = Number(k >> 3n);
    const wire = Number(k & 7n);
    if (wire === 0) {
      const [v, n] = readVarint(buf, at);
      out.push({ field, wire, value: v });
      at = n;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      out.push({ field, wire, value: buf.subarray(at, at + size) });
      at += size;
    } else if (wire === 2) {
      const [len, n] = readVarint(buf, at);
      out.push({ field, wire, value: buf.subarray(n, n + Number(len)) });
      at = n + Number(len);
    } else {
      assert.fail(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Array<[string, number]>;
}

function decodeEvent(data: Buffer): DecodedEvent {
  const ev: DecodedEvent = { wallTime: NaN, step: 0, scalars: [] };
  for (const f of fields(data)) {
    if (f.field === 1 && f.wire === 1) ev.wallTime = (f.value as Buffer).readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) ev.step = Number(f.value as bigint);
    else if (f.field === 3 && f.wire === 2) ev.fileVersion = (f.value as Buffer).toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      for (const v of fields(f.value as Buffer)) {
        assert.equal(v.field, 1);
        let tag = '';
        let value = NaN;
        for (const x of fields(v.value as Buffer)) {
          if (x.field === 1) tag = (x.value as Buffer).toString('utf8');
          if (x.field === 2 && x.wire === 5) value = (x.value as Buffer).readFloatLE(0);
        }
        ev.scalars.push([tag, value]);
      }
    } else assert.fail(`unexpected Event field ${f.field}`);
  }
  return ev;
}

/** The data section (weights, then optimizer state); the header holds a creation time. */
function dataSection(file: string): Buffer {
  const bytes = fs.readFileSync(file);
  const { header } = decodeCheckpoint(bytes, file);
  return bytes.subarray(bytes.length - header.data_bytes);
}

/** Re-frames a header and data section as a checkpoint file (as the writer lays it out). */
function frame(header: object, data: Buffer): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((12 + Buffer.byteLength(json)) % 4)) % 4);
  const h = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(12);
  Buffer.from('CFSCKPT\x01', 'latin1').copy(prefix);
  prefix.writeUInt32LE(h.length, 8);
  return Buffer.concat([prefix, h, data]);
}

let root = '';
before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs; npm test does)`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-trainer-state-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('TensorBoard event records', () => {
  it('computes CRC-32C and frames records as TFRecord does', () => {
    assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
    assert.equal(crc32cBitwise(Buffer.from('123456789', 'ascii')), 0xe3069283);
    const payload = encodeScalarEvent(1700000000.5, 3, [['train_tot', 1.5]]);
    assert.equal(maskedCrc32c(payload), masked(payload));
    const [rec] = readRecords(tfRecord(payload));
    assert.deepEqual(decodeEvent(rec), { wallTime: 1700000000.5, step: 3, scalars: [['train_tot', 1.5]] });
  });
});

describe('centerfusion train: TensorBoard file and optimizer state', () => {
  const save = (id: string): string => path.join(root, 'exp', 'ddd', id);
  let tb: Ran;
  let straight: Ran;
  let resumed: Ran;
  before(async () => {
    const first = cli(['train', 'ddd', '--exp_id', 'resumed', '--num_epochs', '2', '--val_intervals', '0', '--root-dir', root, ...SMALL]);
    [tb, straight] = await Promise.all([
      cli(['train', 'ddd', '--exp_id', 'tb', '--num_epochs', '2', '--val_intervals', '1', '--run_dataset_eval', '--root-dir', root, ...SMALL]),
      cli(['train', 'ddd', '--exp_id', 'straight', '--num_epochs', '3', '--val_intervals', '0', '--root-dir', root, ...SMALL]),
    ]);
    const r = await first;
    assert.equal(r.code, 0, r.stderr);
    resumed = await cli(['train', 'ddd', '--exp_id', 'resumed', '--num_epochs', '3', '--val_intervals', '0', '--resume', '--root-dir', root, ...SMALL]);
  });

  it('writes CenterFusion\'s scalars to events.out.tfevents.<time>.<host> in the log folder', () => {
    assert.equal(tb.code, 0, tb.stderr);
    const logDir = fs.readdirSync(save('tb')).find((f) => f.startsWith('logs_'));
    assert.ok(logDir);
    const files = fs.readdirSync(path.join(save('tb'), logDir)).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1);
    assert.match(files[0], new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const evs = readRecords(fs.readFileSync(path.join(save('tb'), logDir, files[0]))).map(decodeEvent);
    assert.equal(evs[0].fileVersion, 'brain.Event:2');
    assert.ok(evs.every((e) => e.wallTime > 1.6e9));
    const at = new Map<string, number[]>();
    const value = new Map<string, number>();
    for (const e of evs.slice(1)) {
      for (const [tag, v] of e.scalars) {
        at.set(tag, [...(at.get(tag) ?? []), e.step]);
        value.set(`${tag}@${e.step}`, v);
      }
    }
    for (const tag of ['LR', 'train_tot', 'train_hm', 'train_time', 'val_tot', 'val_hm', 'AP/overall', 'AP/car', 'Scores/NDS', 'Scores/trans_err', 'Scores/attr_err']) {
      assert.deepEqual(at.get(tag), [1, 2], tag);
    }
    assert.equal(value.get('LR@1'), Math.fround(1.25e-4));
    const ap = value.get('AP/overall@2') ?? NaN;
    const nds = value.get('Scores/NDS@2') ?? NaN;
    assert.ok(ap >= 0 && ap <= 100 && nds >= 0 && nds <= 1, `AP ${ap} NDS ${nds}`);
    // The values are those of the epoch's metrics_summary.json (AP in percent).
    const summary = parseMetricsSummary(fs.readFileSync(path.join(save('tb'), 'nuscenes_eval_det_output_val', 'metrics_summary.json')));
    assert.equal(ap, Math.fround(summary.mean_ap * 100));
    assert.equal(nds, Math.fround(summary.nd_score));
  });

  it('saves the optimizer state, and --resume continues bit-for-bit like a straight run', () => {
    assert.equal(straight.code, 0, straight.stderr);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /Restored adam state \(step 4, \d+ tensors\)/);
    const a = readCheckpoint(path.join(save('straight'), 'model_last.ckpt'));
    const b = readCheckpoint(path.join(save('resumed'), 'model_last.ckpt'));
    assert.equal(a.header.epoch, 3);
    assert.equal(b.header.epoch, 3);
    assert.equal(a.optimizerState?.step, 6);
    assert.equal(b.optimizerState?.step, 6);
    assert.ok(dataSection(path.join(save('straight'), 'model_last.ckpt')).equals(dataSection(path.join(save('resumed'), 'model_last.ckpt'))), 'weights and optimizer state identical');
  });

  it('--load_model skips parameters whose shape differs and loads weights only without --resume', async () => {
    const src = readCheckpoint(path.join(save('straight'), 'model_last.ckpt'));
    const weights = [...src.header.weights]
      .filter((w) => w.name !== 'dep.2.bias')
      .map((w) => (w.name === 'hm.2.bias' ? { name: w.name, shape: [3], values: Float32Array.from([1, 2, 3]) } : { name: w.name, shape: w.shape, values: src.weights.get(w.name) ?? new Float32Array(0) }));
    const { format: _f, version: _v, weights: _w, data_bytes: _d, data_crc32: _c, ...fields } = src.header;
    const file = path.join(root, 'other-heads.ckpt');
    fs.writeFileSync(file, encodeCheckpoint(fields, weights));
    const r = await cli(['train', 'ddd', '--exp_id', 'mismatch', '--num_epochs', '1', '--val_intervals', '0', '--load_model', file, '--root-dir', root, ...SMALL]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Skip loading parameter hm\.2\.bias, required shape\[10\], loaded shape\[3\]\.$/m);
    assert.match(r.stderr, /^No param dep\.2\.bias\.$/m);
    assert.doesNotMatch(r.stderr, /Restored|Resumed/);
    const out = readCheckpoint(path.join(save('mismatch'), 'model_last.ckpt'));
    assert.equal(out.header.epoch, 1);
    assert.equal(out.optimizerState?.step, 2, 'a fresh optimizer: two steps of this run only');
  });

  it('still loads version-1 checkpoints (no optimizer state) and resumes from them', async () => {
    const file = path.join(save('straight'), 'model_last.ckpt');
    const bytes = fs.readFileSync(file);
    const { header } = decodeCheckpoint(bytes, file);
    const weightBytes = header.weights.reduce((n, w) => n + w.length, 0);
    const data = bytes.subarray(bytes.length - header.data_bytes, bytes.length - header.data_bytes + weightBytes);
    const v1: CheckpointHeader = { ...header, version: 1, optimizer: { name: 'adam', lr: header.optimizer.lr }, data_bytes: data.length, data_crc32: crc32(data).toString(16).padStart(8, '0') };
    const old = path.join(root, 'v1.ckpt');
    fs.writeFileSync(old, frame(v1, data));
    const back = readCheckpoint(old);
    assert.equal(back.header.version, 1);
    assert.equal(back.optimizerState, undefined);
    assert.equal(back.weights.size, header.weights.length);
    const r = await cli(['train', 'ddd', '--exp_id', 'v1', '--num_epochs', '4', '--val_intervals', '0', '--resume', '--load_model', old, '--root-dir', root, ...SMALL]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /holds no optimizer state \(checkpoint version 1\)/);
    assert.equal(readCheckpoint(path.join(save('v1'), 'model_last.ckpt')).header.epoch, 4);
  });
});
