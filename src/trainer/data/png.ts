/**
 * A small PNG writer and reader on node:zlib, enough for the dataset's images: the writer emits
 * 8-bit RGB (filter "none" per row); the reader takes non-interlaced 8-bit (and 16-bit, reduced
 * to 8) grayscale, RGB, palette, gray+alpha and RGBA images and always returns RGB (alpha is
 * dropped). Anything else is refused with a message saying why.
 */
import * as zlib from 'node:zlib';

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  data: Uint8Array;
}

export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** Encodes interleaved 8-bit RGB as a PNG file. */
export function encodePng(image: RgbImage): Buffer {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) throw new PngError(`expected ${width * height * 3} bytes of RGB, got ${data.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decodes a PNG file to RGB. Throws PngError for damaged or unsupported files. */
export function decodePng(file: Uint8Array): RgbImage {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG file (bad signature)');
  let at = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = -1;
  let palette: Uint8Array | undefined;
  const idat: Buffer[] = [];
  while (at + 8 <= buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > buf.length) throw new PngError(`truncated ${type} chunk`);
    const body = buf.subarray(at + 8, at + 8 + len);
    if (crc32(buf, at + 4, at + 8 + len) !== buf.readUInt32BE(at + 8 + len)) throw new PngError(`CRC mismatch in ${type} chunk`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8];
      colour = body[9];
      if (body[12] !== 0) throw new PngError('interlaced PNG is not supported');
    } else if (type === 'PLTE') {
      palette = new Uint8Array(body);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + len;
  }
  const channels = CHANNELS[colour];
  if (!width || !height || channels === undefined) throw new PngError('missing or invalid IHDR');
  if (depth !== 8 && depth !== 16) throw new PngError(`bit depth ${depth} is not supported (8 or 16 only)`);
  if (colour === 3 && (!palette || depth !== 8)) throw new PngError('palette image without an 8-bit palette');
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new PngError(`damaged image data: ${(e as Error).message}`);
  }
  const bpp = channels * (depth / 8);
  const stride = width * bpp;
  if (raw.length < (stride + 1) * height) throw new PngError('image data shorter than the image');
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const prev = out - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? pixels[out + i - bpp] : 0;
      const b = y > 0 ? pixels[prev + i] : 0;
      const c = i >= bpp && y > 0 ? pixels[prev + i - bpp] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) v += paeth(a, b, c);
      else if (filter !== 0) throw new PngError(`unknown row filter ${filter}`);
      pixels[out + i] = v & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 3);
  const step = depth / 8; // 16-bit samples: keep the high byte
  for (let p = 0; p < width * height; p++) {
    const base = p * bpp;
    if (colour === 3) {
      const idx = pixels[base] * 3;
      data[p * 3] = palette![idx];
      data[p * 3 + 1] = palette![idx + 1];
      data[p * 3 + 2] = palette![idx + 2];
    } else if (colour === 0 || colour === 4) {
      const g = pixels[base];
      data[p * 3] = g;
      data[p * 3 + 1] = g;
      data[p * 3 + 2] = g;
    } else {
      data[p * 3] = pixels[base];
      data[p * 3 + 1] = pixels[base + step];
      data[p * 3 + 2] = pixels[base + 2 * step];
    }
  }
  return { width, height, data };
}
