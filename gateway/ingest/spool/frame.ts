import { crc32 } from './crc32.js';

/**
 * On-disk record frame (little-endian), 20-byte header then the body:
 *
 *   0  magic+version  'S' 'P' 'L' 0x01
 *   4  crc32          over bytes [8, 20 + length): length, LSN and body
 *   8  length u32     body bytes
 *  12  lsn low u32
 *  16  lsn high u32   (LSN < 2^53, a safe JS integer)
 *  20  body
 *
 * The CRC sits before the fields it covers so that one crc32 call runs over one contiguous
 * range; covering length and LSN (not only the body) means a flipped length or LSN is caught.
 */
export const HEADER_BYTES = 20;
export const MAGIC = Buffer.from([0x53, 0x50, 0x4c, 0x01]);
/** Largest body accepted; a header claiming more is treated as corruption. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const TWO_32 = 2 ** 32;

export function frameBytes(bodyLength: number): number {
  return HEADER_BYTES + bodyLength;
}

/** Writes one framed record at `offset` of `buf`; returns the offset after it. */
export function encodeFrame(buf: Buffer, offset: number, lsn: number, body: Uint8Array): number {
  MAGIC.copy(buf, offset);
  buf.writeUInt32LE(body.length, offset + 8);
  buf.writeUInt32LE(lsn % TWO_32, offset + 12);
  buf.writeUInt32LE(Math.floor(lsn / TWO_32), offset + 16);
  buf.set(body, offset + HEADER_BYTES);
  const end = offset + HEADER_BYTES + body.length;
  buf.writeUInt32LE(crc32(buf.subarray(offset + 8, end)), offset + 4);
  return end;
}

export type Parsed =
  | { kind: 'record'; lsn: number; body: Buffer; end: number }
  /** The buffer ends inside this record; `need` is its full framed size. */
  | { kind: 'short'; need: number }
  | { kind: 'bad'; reason: string };

/** Parses the record at `offset`; its LSN must be at least `minLsn` (LSNs only grow). */
export function parseFrame(buf: Buffer, offset: number, minLsn: number): Parsed {
  if (buf.length - offset < HEADER_BYTES) {
    // A short header still has to start with the magic, or it is not a torn record.
    const avail = buf.subarray(offset, offset + MAGIC.length);
    return MAGIC.subarray(0, avail.length).equals(avail) ? { kind: 'short', need: HEADER_BYTES } : { kind: 'bad', reason: 'magic' };
  }
  if (buf.compare(MAGIC, 0, MAGIC.length, offset, offset + MAGIC.length) !== 0) return { kind: 'bad', reason: 'magic' };
  const length = buf.readUInt32LE(offset + 8);
  if (length > MAX_BODY_BYTES) return { kind: 'bad', reason: 'length' };
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'short', need: HEADER_BYTES + length };
  if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32LE(offset + 4)) return { kind: 'bad', reason: 'crc' };
  const lsn = buf.readUInt32LE(offset + 16) * TWO_32 + buf.readUInt32LE(offset + 12);
  if (lsn < minLsn) return { kind: 'bad', reason: 'lsn order' };
  return { kind: 'record', lsn, body: buf.subarray(offset + HEADER_BYTES, end), end };
}

/**
 * After a bad record: the offset of the next whole, valid record in `buf` at or after `from`,
 * or -1. A false match needs the magic, a CRC match and a rising LSN by chance.
 */
export function resync(buf: Buffer, from: number, minLsn: number): number {
  for (let at = buf.indexOf(MAGIC, from); at !== -1; at = buf.indexOf(MAGIC, at + 1)) {
    if (parseFrame(buf, at, minLsn).kind === 'record') return at;
  }
  return -1;
}
