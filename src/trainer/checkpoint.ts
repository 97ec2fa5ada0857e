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
 * optimizer's name and learning rate (like CenterFusion, only these: its state is not saved or
 * restored). Files are written atomically; the reader checks every length and the CRC and says
 * exactly what is wrong.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from './fsutil';

export const CHECKPOINT_MAGIC = Buffer.from([0x43, 0x46, 0x53, 0x43, 0x4b, 0x50, 0x54, 0x01]); // "CFSCKPT\x01"
export const CHECKPOINT_FORMAT = 'centerfusion-studio-checkpoint';
export const CHECKPOINT_VERSION = 1;
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
  optimizer: { name: string; lr: number };
  created: string;
  producer: string;
  tfjs_version: string;
}

export interface CheckpointContent {
  header: CheckpointHeader;
  /** name -> values, in header order. */
  weights: Map<string, Float32Array>;
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

/** The file's bytes for a header and named weights (shapes given with the weights). */
export function encodeCheckpoint(fields: HeaderFields, weights: ReadonlyArray<{ name: string; shape: number[]; values: Float32Array }>): Buffer {
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const w of weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (count !== w.values.length) throw new Error(`weight ${w.name}: shape ${JSON.stringify(w.shape)} holds ${count} values, got ${w.values.length}`);
    entries.push({ name: w.name, shape: [...w.shape], dtype: 'float32', offset, length: count * 4 });
    offset += count * 4;
  }
  const data = Buffer.alloc(offset);
  for (let i = 0; i < weights.length; i++) {
    const values = weights[i].values;
    const at = entries[i].offset;
    for (let j = 0; j < values.length; j++) data.writeFloatLE(values[j], at + 4 * j);
  }
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...fields,
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
export function writeCheckpoint(file: string, fields: HeaderFields, weights: ReadonlyArray<{ name: string; shape: number[]; values: Float32Array }>): number {
  const bytes = encodeCheckpoint(fields, weights);
  writeFileAtomic(file, bytes);
  return bytes.length;
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
  if (header.version !== CHECKPOINT_VERSION) fail(file, `checkpoint version ${String(header.version)} is not supported (this trainer reads version ${CHECKPOINT_VERSION})`);
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
  const weights = new Map<string, Float32Array>();
  for (const entry of header.weights) {
    const shapeOk = Array.isArray(entry.shape) && entry.shape.every(isNonNegInt);
    if (typeof entry.name !== 'string' || !shapeOk || entry.dtype !== 'float32' || !isNonNegInt(entry.offset) || !isNonNegInt(entry.length)) {
      fail(file, `corrupt header (weight entry ${JSON.stringify(entry.name)})`);
    }
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.length !== count * 4 || entry.offset + entry.length > data.length) {
      fail(file, `corrupt header (weight ${entry.name}: offset/length outside the data or not matching its shape)`);
    }
    const values = new Float32Array(count);
    for (let j = 0; j < count; j++) values[j] = data.readFloatLE(entry.offset + 4 * j);
    weights.set(entry.name, values);
  }
  return { header, weights };
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
