/**
 * CTV: a compact binary frame of channel/type/value records, as many LoRaWAN and NB-IoT sensors
 * send (docs/adapters.md has the byte-by-byte spec and an annotated example).
 *
 *   off  size  field
 *   0    1     magic 0xC7
 *   1    1     version 0x01
 *   2    2     seq, uint16 big-endian
 *   4    4     device time, uint32 big-endian seconds since epoch (0 = the device has no clock)
 *   8    1     N, record count
 *   9    ...   N records: channel u8, type u8, value (size by type, big-endian)
 *   end-2 2    CRC-16/MODBUS of every byte before it, little-endian (low byte first, as Modbus RTU)
 */
import type { DecodeError } from '../types.js';
import { crc16Modbus } from './crc16.js';

export const ctvMagic = 0xc7;
export const ctvVersion = 0x01;
const headerSize = 9;
const crcSize = 2;

interface CtvTypeSpec {
  name: string;
  size: number;
  read(v: DataView, off: number): number;
  /** Writes `value`; throws RangeError when the type cannot hold it (an encoder bug). */
  write(v: DataView, off: number, value: number): void;
}

function intType(name: string, size: 1 | 2 | 4, signed: boolean, scale: number): CtvTypeSpec {
  const bits = size * 8;
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return {
    name,
    size,
    read(v, off) {
      const raw = size === 1 ? (signed ? v.getInt8(off) : v.getUint8(off))
        : size === 2 ? (signed ? v.getInt16(off) : v.getUint16(off))
        : signed ? v.getInt32(off) : v.getUint32(off);
      // Dividing by the power of ten (not multiplying by 0.01) gives the nearest double: 1234/100 = 12.34.
      return scale === 1 ? raw : raw / scale;
    },
    write(v, off, value) {
      const raw = Math.round(value * scale);
      if (!Number.isFinite(raw) || raw < lo || raw > hi) throw new RangeError(`${value} does not fit CTV type ${name}`);
      if (size === 1) v.setUint8(off, raw & 0xff);
      else if (size === 2) v.setUint16(off, raw & 0xffff);
      else v.setUint32(off, raw >>> 0);
    },
  };
}

/** The type table. Codes are stable: a new type gets a new code, never a changed size. */
export const ctvTypes = {
  0x01: intType('int16 ×0.01', 2, true, 100),
  0x02: intType('flag (0/1)', 1, false, 1),
  0x03: intType('uint16', 2, false, 1),
  0x04: intType('int32', 4, true, 1),
  0x05: {
    name: 'float32',
    size: 4,
    // float32 → the shortest decimal that round-trips through float32 (23.6, not 23.600000381...).
    read: (v: DataView, off: number) => Number(v.getFloat32(off).toPrecision(7)),
    write: (v: DataView, off: number, value: number) => v.setFloat32(off, value),
  },
  0x06: intType('uint8', 1, false, 1),
  0x07: intType('int16 ×0.1', 2, true, 10),
  0x08: intType('uint32', 4, false, 1),
} as const satisfies Record<number, CtvTypeSpec>;

export type CtvTypeCode = keyof typeof ctvTypes;

export function isCtvType(code: number): code is CtvTypeCode {
  return Object.hasOwn(ctvTypes, code);
}

export interface CtvRecord {
  channel: number;
  type: CtvTypeCode;
  value: number;
}

export interface CtvFrame {
  seq: number;
  /** Device time, seconds since epoch; 0 when the device has no clock. */
  time: number;
  records: CtvRecord[];
}

export function encodeCtvFrame(frame: CtvFrame): Uint8Array {
  if (frame.records.length > 255) throw new RangeError('a CTV frame holds at most 255 records');
  const size = headerSize + frame.records.reduce((n, r) => n + 2 + ctvTypes[r.type].size, 0) + crcSize;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, ctvMagic);
  v.setUint8(1, ctvVersion);
  v.setUint16(2, frame.seq & 0xffff);
  v.setUint32(4, frame.time >>> 0);
  v.setUint8(8, frame.records.length);
  let off = headerSize;
  for (const r of frame.records) {
    v.setUint8(off, r.channel & 0xff);
    v.setUint8(off + 1, r.type);
    ctvTypes[r.type].write(v, off + 2, r.value);
    off += 2 + ctvTypes[r.type].size;
  }
  v.setUint16(off, crc16Modbus(out, 0, off), true);
  return out;
}

export type CtvDecodeResult = { ok: true; frame: CtvFrame } | { ok: false; error: DecodeError };

function err(code: DecodeError['code'], message: string, at?: number): { ok: false; error: DecodeError } {
  return { ok: false, error: at === undefined ? { code, message } : { code, message, field: `byte ${at}` } };
}

function crcMatches(bytes: Uint8Array, end: number): boolean {
  if (end < crcSize) return false;
  const want = (bytes[end - 2] ?? 0) | ((bytes[end - 1] ?? 0) << 8);
  return crc16Modbus(bytes, 0, end - 2) === want;
}

/** Decodes one CTV frame. Never throws: every problem is a DecodeError with a byte offset. */
export function decodeCtvFrame(bytes: Uint8Array): CtvDecodeResult {
  if (bytes.length > 0 && bytes[0] !== ctvMagic) {
    return err('MALFORMED', `not a CTV frame: first byte is 0x${(bytes[0] ?? 0).toString(16)}, expected 0xc7`, 0);
  }
  if (bytes.length < headerSize + crcSize) return err('SHORT_FRAME', `${bytes.length} bytes; a CTV frame has at least ${headerSize + crcSize}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint8(8);
  // Walk the records to learn the frame's length before trusting any value.
  let off = headerSize;
  for (let i = 0; i < count; i++) {
    if (off + 2 > bytes.length - crcSize) return err('SHORT_FRAME', `frame ends inside record ${i + 1} of ${count}`, off);
    const type = v.getUint8(off + 1);
    if (!isCtvType(type)) {
      if (!crcMatches(bytes, bytes.length)) return err('BAD_CHECKSUM', 'CRC-16 does not match (the frame is corrupt)');
      return err('UNSUPPORTED', `record ${i + 1} has unknown type 0x${type.toString(16)}`, off + 1);
    }
    off += 2 + ctvTypes[type].size;
  }
  const end = off + crcSize;
  if (end > bytes.length) return err('SHORT_FRAME', `${bytes.length} bytes; the records announce ${end}`);
  if (end < bytes.length) {
    if (crcMatches(bytes, end)) return err('MALFORMED', `${bytes.length - end} trailing bytes after the frame`, end);
    return err('BAD_CHECKSUM', 'CRC-16 does not match (the frame is corrupt)');
  }
  if (!crcMatches(bytes, end)) {
    const got = v.getUint16(end - 2, true);
    const want = crc16Modbus(bytes, 0, end - 2);
    return err('BAD_CHECKSUM', `CRC-16 is 0x${got.toString(16).padStart(4, '0')}, computed 0x${want.toString(16).padStart(4, '0')}`, end - 2);
  }
  if (v.getUint8(1) !== ctvVersion) return err('UNSUPPORTED', `CTV version ${v.getUint8(1)}; this gateway reads version 1`, 1);
  const records: CtvRecord[] = [];
  off = headerSize;
  for (let i = 0; i < count; i++) {
    const type = v.getUint8(off + 1) as CtvTypeCode;
    const value = ctvTypes[type].read(v, off + 2);
    if (!Number.isFinite(value)) return err('WRONG_TYPE', `record ${i + 1} is not a finite number`, off + 2);
    records.push({ channel: v.getUint8(off), type, value });
    off += 2 + ctvTypes[type].size;
  }
  return { ok: true, frame: { seq: v.getUint16(2), time: v.getUint32(4), records } };
}
