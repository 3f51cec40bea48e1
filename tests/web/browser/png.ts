// A real PNG image for the media tests (random pixels, so it does not compress and spans
// several chunks), made with node:zlib: signature, IHDR, IDAT, IEND, each with its CRC.
import { deflateSync } from 'node:zlib';

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The RGB bytes of every pixel, row by row (what a decoder must give back). */
export function noisePixels(width: number, height: number, seed = 1): Buffer {
  const raw = noiseRows(width, height, seed);
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) raw.copy(out, y * width * 3, y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1));
  return out;
}

function noiseRows(width: number, height: number, seed: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    if (i % (width * 3 + 1) === 0) continue; // filter byte 0
    x ^= x << 13; // xorshift32: noise that deflate cannot shrink
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    raw[i] = x & 255;
  }
  return raw;
}

/** A width×height RGB PNG of pseudo-random pixels (seeded: the same bytes each run). */
export function noisePng(width: number, height: number, seed = 1): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = noiseRows(width, height, seed);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
