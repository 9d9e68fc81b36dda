import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Node ≥ 20.15 / 22.2 ships a native
 * `zlib.crc32`; the table version below keeps Node 20.10–20.14 (package.json engines) working.
 */
export type Crc32 = (data: Uint8Array, initial?: number) => number;

function tableCrc32(): Crc32 {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data, initial = 0) => {
    let crc = (initial ^ 0xffffffff) >>> 0;
    for (let i = 0; i < data.length; i++) crc = (table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
    return (crc ^ 0xffffffff) >>> 0;
  };
}

const native: unknown = (zlib as Record<string, unknown>)['crc32'];

export const crc32: Crc32 =
  typeof native === 'function' ? (data, initial = 0) => (native as Crc32)(data, initial) : tableCrc32();

/** Exposed for the test that checks both implementations agree. */
export const crc32Portable: Crc32 = tableCrc32();
