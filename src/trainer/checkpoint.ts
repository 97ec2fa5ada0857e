/**
 * Checkpoint files (model_last.ckpt, model_<N>.ckpt): one self-describing file per save.
 *
 *   bytes 0..7    magic "CFSCKPT\x01"
 *   bytes 8..11   header length H (uint32, little-endian)
 *   bytes 12..    header: UTF-8 JSON, padded with spaces so the weights start 4-byte aligned
 *   then          weights: float32 little-endian, each tensor row-major, in header order
 *
 * The header holds format, version, epoch, the network and options it was built from, the
 * weight list (name, shape, byte offset and length), the data length and its CRC-32, and the
 * optimizer: name and learning rate, and since version 2 also its state — `step` (Adam's step
 * count) and `state`, a list like `weights` of the moment/momentum tensors, stored in the data
 * section after the weights (named `exp_avg/<param>`, `exp_avg_sq/<param>` for Adam,
 * `momentum_buffer/<param>` for SGD, as PyTorch names them). Version 1 files (no state) still
 * load. Files are written atomically; the reader checks every length and the CRC and says
 * exactly what is wrong.
 */
import * as fs from 'node:fs';
import { isDiskFull, sleepSync, writeFileAtomic, type AtomicWriteHooks } from './fsutil';

export const CHECKPOINT_MAGIC = Buffer.from([0x43, 0x46, 0x53, 0x43, 0x4b, 0x50, 0x54, 0x01]); // "CFSCKPT\x01"
export const CHECKPOINT_FORMAT = 'centerfusion-studio-checkpoint';
export const CHECKPOINT_VERSION = 2;
/** Versions this reader accepts (1: weights only; 2: weights and optimizer state). */
export const CHECKPOINT_READABLE_VERSIONS: readonly number[] = [1, 2];
export const CHECKPOINT_EXT = '.ckpt';
const PREFIX_BYTES = 12;
/** Refuse absurd headers before allocating for them. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset within the data section. */
  offset: number;
  /** Byte length (4 × element count). */
  length: number;
}

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  epoch: number;
  /** The network actually stored (the built-in tiny network's name). */
  network: string;
  /** --arch the run asked for. */
  arch: string;
  heads: Record<string, number>;
  head_conv: Record<string, number[]>;
  down_ratio: number;
  input_h: number;
  input_w: number;
  num_classes: number;
  weights: WeightEntry[];
  data_bytes: number;
  /** CRC-32 (IEEE) of the data section, 8 hex digits. */
  data_crc32: string;
  optimizer: CheckpointOptimizer;
  created: string;
  producer: string;
  tfjs_version: string;
}

export interface CheckpointOptimizer {
  name: string;
  lr: number;
  /** Version 2: the optimizer's step count (Adam's t; SGD: updates made). */
  step?: number;
  /** Version 2: the state tensors, offsets within the data section (after the weights). */
  state?: WeightEntry[];
}

/** A named float32 tensor to store. */
export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The optimizer state to store (version 2). */
export interface OptimizerStateInput {
  step: number;
  slots: ReadonlyArray<NamedValues>;
}

export interface CheckpointContent {
  header: CheckpointHeader;
  /** name -> values, in header order. */
  weights: Map<string, Float32Array>;
  /** The stored optimizer state (version 2 files that have one), slot name -> values. */
  optimizerState?: { name: string; step: number; slots: Map<string, { shape: number[]; values: Float32Array }> };
}

/** Raised for a missing, unreadable or damaged checkpoint (exit code 1). */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3 polynomial, as zlib and PNG use). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export type HeaderFields = Omit<CheckpointHeader, 'format' | 'version' | 'weights' | 'data_bytes' | 'data_crc32'>;

/**
 * The file's bytes for a header, named weights (shapes given with the weights) and, optionally,
 * the optimizer's state (stored after the weights).
 */
export function encodeCheckpoint(fields: HeaderFields, weights: ReadonlyArray<NamedValues>, optimizerState?: OptimizerStateInput): Buffer {
  let offset = 0;
  const place = (list: ReadonlyArray<NamedValues>, what: string): WeightEntry[] =>
    list.map((w) => {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (count !== w.values.length) throw new Error(`${what} ${w.name}: shape ${JSON.stringify(w.shape)} holds ${count} values, got ${w.values.length}`);
      const entry: WeightEntry = { name: w.name, shape: [...w.shape], dtype: 'float32', offset, length: count * 4 };
      offset += count * 4;
      return entry;
    });
  const entries = place(weights, 'weight');
  const stateEntries = optimizerState ? place(optimizerState.slots, 'optimizer state') : undefined;
  const data = Buffer.alloc(offset);
  const fill = (list: ReadonlyArray<NamedValues>, at: WeightEntry[]): void => {
    for (let i = 0; i < list.length; i++) {
      const values = list[i].values;
      const start = at[i].offset;
      for (let j = 0; j < values.length; j++) data.writeFloatLE(values[j], start + 4 * j);
    }
  };
  fill(weights, entries);
  if (optimizerState && stateEntries) fill(optimizerState.slots, stateEntries);
  const optimizer: CheckpointOptimizer = optimizerState && stateEntries
    ? { name: fields.optimizer.name, lr: fields.optimizer.lr, step: optimizerState.step, state: stateEntries }
    : { name: fields.optimizer.name, lr: fields.optimizer.lr };
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...fields,
    optimizer,
    weights: entries,
    data_bytes: offset,
    data_crc32: hex8(crc32(data)),
  };
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const padding = (4 - ((PREFIX_BYTES + jsonBytes) % 4)) % 4;
  json += ' '.repeat(padding);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  CHECKPOINT_MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, 8);
  return Buffer.concat([prefix, headerBytes, data]);
}

/** Writes a checkpoint atomically (temporary file, fsync, rename); returns its size in bytes. */
export function writeCheckpoint(file: string, fields: HeaderFields, weights: ReadonlyArray<NamedValues>, optimizerState?: OptimizerStateInput): number {
  const bytes = encodeCheckpoint(fields, weights, optimizerState);
  try {
    writeFileAtomic(file, bytes, checkpointTestHooks());
  } catch (err) {
    // A full disk must not read as a crash: say what happened and that the old file stands.
    if (isDiskFull(err)) {
      throw new CheckpointError(
        `cannot save ${file}: no space left (${(err as NodeJS.ErrnoException).code}) while writing ${bytes.length} bytes; ` +
          'the previous checkpoint, if any, is unchanged. Free some space and resume with --resume',
      );
    }
    throw err;
  }
  return bytes.length;
}

/**
 * Environment variable of the fault-injection tests (test/unit/reliability.faults.test.ts):
 * `CFS_TEST_CHECKPOINT_PAUSE=<when>:<ms>`, <when> `before-write` or `before-rename`, makes
 * every checkpoint save print `cfs-test: checkpoint paused <when> <tmp>` to stderr and hold
 * still for <ms> at that point (before-rename: the complete temporary file is written but not
 * yet renamed), so that a test can SIGKILL the trainer or fill the disk exactly mid-save.
 * Unset (always, outside tests) it does nothing.
 */
export const CHECKPOINT_PAUSE_ENV = 'CFS_TEST_CHECKPOINT_PAUSE';

function checkpointTestHooks(): AtomicWriteHooks {
  const m = /^(before-write|before-rename):(\d+)$/.exec(process.env[CHECKPOINT_PAUSE_ENV] ?? '');
  if (m === null) return {};
  const when = m[1];
  const ms = Math.min(Number(m[2]), 60_000);
  const pause = (tmp: string): void => {
    fs.writeSync(2, `cfs-test: checkpoint paused ${when} ${tmp}\n`);
    sleepSync(ms);
  };
  return when === 'before-write' ? { beforeWrite: pause } : { beforeRename: pause };
}

function fail(file: string, problem: string): never {
  throw new CheckpointError(`${file}: ${problem}`);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Parses and checks a checkpoint's bytes; `file` only names it in messages. */
export function decodeCheckpoint(bytes: Uint8Array, file = 'checkpoint'): CheckpointContent {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX_BYTES) fail(file, `not a CenterFusion Studio checkpoint: only ${buf.length} bytes`);
  if (!buf.subarray(0, 8).equals(CHECKPOINT_MAGIC)) {
    const pk = buf[0] === 0x50 && buf[1] === 0x4b;
    fail(file, `not a CenterFusion Studio checkpoint (wrong magic bytes)${pk ? '; it looks like a PyTorch .pth (zip) file, which the built-in trainer cannot load' : ''}`);
  }
  const headerLength = buf.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > buf.length) {
    fail(file, `corrupt or truncated: the header claims ${headerLength} bytes but the file has ${buf.length - PREFIX_BYTES} after the prefix`);
  }
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString('utf8')) as CheckpointHeader;
  } catch (err) {
    fail(file, `corrupt header (not JSON: ${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || header.format !== CHECKPOINT_FORMAT) fail(file, 'corrupt header (format field missing or wrong)');
  if (!CHECKPOINT_READABLE_VERSIONS.includes(header.version)) {
    fail(file, `checkpoint version ${String(header.version)} is not supported (this trainer reads versions ${CHECKPOINT_READABLE_VERSIONS.join(', ')})`);
  }
  if (!isNonNegInt(header.epoch)) fail(file, 'corrupt header (epoch)');
  if (!Array.isArray(header.weights) || !isNonNegInt(header.data_bytes)) fail(file, 'corrupt header (weight list)');
  const dataStart = PREFIX_BYTES + headerLength;
  const actual = buf.length - dataStart;
  if (actual !== header.data_bytes) {
    fail(file, `${actual < header.data_bytes ? 'truncated' : 'corrupt'}: expected ${header.data_bytes} bytes of weights, found ${actual}`);
  }
  const data = buf.subarray(dataStart);
  const crc = hex8(crc32(data));
  if (crc !== header.data_crc32) fail(file, `corrupt: weight data checksum ${crc} does not match the header's ${String(header.data_crc32)}`);
  const readEntry = (entry: WeightEntry, what: string): Float32Array => {
    const shapeOk = Array.isArray(entry.shape) && entry.shape.every(isNonNegInt);
    if (typeof entry.name !== 'string' || !shapeOk || entry.dtype !== 'float32' || !isNonNegInt(entry.offset) || !isNonNegInt(entry.length)) {
      fail(file, `corrupt header (${what} entry ${JSON.stringify(entry.name)})`);
    }
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.length !== count * 4 || entry.offset + entry.length > data.length) {
      fail(file, `corrupt header (${what} ${entry.name}: offset/length outside the data or not matching its shape)`);
    }
    const values = new Float32Array(count);
    for (let j = 0; j < count; j++) values[j] = data.readFloatLE(entry.offset + 4 * j);
    return values;
  };
  const weights = new Map<string, Float32Array>();
  for (const entry of header.weights) weights.set(entry.name, readEntry(entry, 'weight'));
  const content: CheckpointContent = { header, weights };
  const opt = header.optimizer as CheckpointOptimizer | undefined;
  if (header.version >= 2 && opt !== undefined && opt !== null && opt.state !== undefined) {
    if (!Array.isArray(opt.state) || !isNonNegInt(opt.step) || typeof opt.name !== 'string') fail(file, 'corrupt header (optimizer state)');
    const slots = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const entry of opt.state) slots.set(entry.name, { shape: [...entry.shape], values: readEntry(entry, 'optimizer state') });
    content.optimizerState = { name: opt.name, step: opt.step, slots };
  }
  return content;
}

/** Reads and checks a checkpoint file. Throws CheckpointError with a clear message. */
export function readCheckpoint(file: string): CheckpointContent {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(`checkpoint not found: ${file}`);
    if (code === 'EISDIR') throw new CheckpointError(`checkpoint path is a directory: ${file}`);
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(err as Error).message}`);
  }
  return decodeCheckpoint(bytes, file);
}
