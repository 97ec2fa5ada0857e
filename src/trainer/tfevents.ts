/**
 * A minimal TensorBoard event-file writer, enough for the scalars CenterFusion's Logger writes
 * (`events.out.tfevents.<unix seconds>.<hostname>` in logs_<time>/).
 *
 * The file is a sequence of TFRecord records, each
 *   uint64 LE  payload length
 *   uint32 LE  masked CRC-32C of those 8 length bytes
 *   payload    a serialized tensorflow.Event protobuf
 *   uint32 LE  masked CRC-32C of the payload
 * where mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8 (mod 2^32). The first record carries
 * Event{wall_time, file_version: "brain.Event:2"}; every scalar is
 * Event{wall_time (1, double), step (2, int64), summary (5) = Summary{value (1) =
 * Value{tag (1, string), simple_value (2, float)}}}. The protobuf bytes are encoded by hand.
 * Each record is appended with one write, so a killed run leaves whole records only (at worst a
 * final record cut short by the operating system, which TensorBoard skips); flush() fsyncs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let crc32cTable: Uint32Array | undefined;

/** CRC-32C (Castagnoli polynomial, reflected 0x82f63b78), table-driven. */
export function crc32c(bytes: Uint8Array): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crc32cTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits, add a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the payload, the payload's masked CRC. */
export function tfRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

// ---- protobuf wire format (only what Event/Summary need)

function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(bytes.length)]), bytes]);
}

function doubleField(field: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value, 0);
  return Buffer.concat([Buffer.from(key(field, 1)), b]);
}

function floatField(field: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value, 0);
  return Buffer.concat([Buffer.from(key(field, 5)), b]);
}

function int64Field(field: number, value: number): Buffer {
  return Buffer.from([...key(field, 0), ...varint(Math.trunc(value))]);
}

/** Event{wall_time, file_version} — the first record of every event file. */
export function encodeFileVersionEvent(wallTime: number): Buffer {
  return Buffer.concat([doubleField(1, wallTime), lengthDelimited(3, Buffer.from('brain.Event:2', 'utf8'))]);
}

/** Event{wall_time, step, summary{value{tag, simple_value}...}}. */
export function encodeScalarEvent(wallTime: number, step: number, scalars: ReadonlyArray<readonly [string, number]>): Buffer {
  const values = scalars.map(([tag, v]) => lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), floatField(2, v)])));
  return Buffer.concat([doubleField(1, wallTime), int64Field(2, step), lengthDelimited(5, Buffer.concat(values))]);
}

/** Appends TensorBoard scalar events to one file in `dir`. */
export class EventFileWriter {
  readonly file: string;
  private fd: number | undefined;
  private readonly clock: () => number;

  /** `clock` returns seconds since the epoch (wall_time). */
  constructor(dir: string, clock: () => number = () => Date.now() / 1000, hostname: string = os.hostname()) {
    this.clock = clock;
    const now = clock();
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname}`);
    this.fd = fs.openSync(this.file, 'a');
    this.append(encodeFileVersionEvent(now));
  }

  private append(payload: Uint8Array): void {
    if (this.fd === undefined) return;
    const rec = tfRecord(payload);
    let written = 0;
    while (written < rec.length) written += fs.writeSync(this.fd, rec, written, rec.length - written);
  }

  /** One Event per scalar, as tensorboardX's add_scalar writes them. Non-finite values are kept. */
  scalar(tag: string, value: number, step: number): void {
    this.append(encodeScalarEvent(this.clock(), step, [[tag, value]]));
  }

  /** Makes everything written so far durable. */
  flush(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
