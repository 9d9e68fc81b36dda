/**
 * SL 651-2014 (水文监测数据通信规约) HEX/BCD-mode frames: the subset a town gateway needs to read
 * river and tide stations — uplink link-keep (2FH), test (30H), timed (32H), extra (33H) and
 * hourly (34H) reports — and to build them for simulators and tests.
 *
 *   7E 7E | center u8 | station 5 B | password 2 B | function u8 | dir+len 2 B | STX 02
 *   | serial u16 | send time BCD YYMMDDhhmmss | elements ... | ETX 03 | CRC-16 2 B (high byte first)
 *
 * dir+len: high 4 bits 0000 = uplink, 1000 = downlink; low 12 bits = bytes between STX and ETX.
 * The CRC is CRC-16/MODBUS over everything from the first 7E to the end character.
 * Times are Beijing time (UTC+8).
 */
import type { DecodeError } from '../types.js';
import { beijingToMs, msToBeijing } from '../lib/time.js';
import { crc16Modbus } from './crc16.js';

export const sl651Function = { linkKeep: 0x2f, test: 0x30, timed: 0x32, extra: 0x33, hourly: 0x34 } as const;

const SOH = 0x7e;
const STX = 0x02;
const SYN = 0x16; // multi-packet start
const ETX = 0x03;
const ETB = 0x17; // end of block, more follow
const headerSize = 14; // 7E7E .. STX
const reportFunctions: ReadonlySet<number> = new Set([0x30, 0x32, 0x33, 0x34]);

/**
 * Element identifiers this gateway reads (SL 651-2014 appendix tables of element identifiers),
 * with the data-definition byte a station normally sends: high 5 bits = byte count, low 3 bits =
 * decimal places. Other elements are skipped by their own data-definition byte.
 */
export const sl651Elements = {
  0x20: { code: 'PJ', def: 0x19, name: 'current precipitation (当前降水量), mm' },
  0x26: { code: 'PT', def: 0x19, name: 'accumulated precipitation (降水量累计值), mm' },
  0x38: { code: 'VT', def: 0x12, name: 'supply voltage (电源电压), V' },
  0x39: { code: 'Z', def: 0x23, name: 'instantaneous river / tide level (瞬时河道水位、潮位), m' },
} as const;

export interface Sl651Element {
  id: number;
  /** null when the station sent the "invalid data" marker (all AAH or all FFH). */
  value: number | null;
}

export interface Sl651Frame {
  center: number;
  /** 5 address bytes as 10 hex digits (BCD for hydrological stations, e.g. `0012345678`). */
  station: string;
  password: number;
  functionCode: number;
  serial: number;
  /** Send time, ms since epoch. */
  sendTime: number;
  /** Station class from the F1F1 group (e.g. 0x48 'H' river, 0x54 'T' tide), when present. */
  stationType?: number;
  /** Elements by observation time (F0F0 group); elements before any F0F0 take the send time. */
  groups: { time: number; elements: Sl651Element[] }[];
}

export type Sl651DecodeResult = { ok: true; frame: Sl651Frame } | { ok: false; error: DecodeError };

function err(code: DecodeError['code'], message: string, at?: number): { ok: false; error: DecodeError } {
  return { ok: false, error: at === undefined ? { code, message } : { code, message, field: `byte ${at}` } };
}

/** Packed BCD → integer, or undefined when a nibble is not a decimal digit. */
function bcd(bytes: Uint8Array, start: number, len: number): number | undefined {
  let n = 0;
  for (let i = start; i < start + len; i++) {
    const b = bytes[i] ?? 0xff;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    n = n * 100 + hi * 10 + lo;
  }
  return n;
}

function bcdTime(bytes: Uint8Array, start: number, withSeconds: boolean): number | undefined {
  const f: number[] = [];
  for (let i = 0; i < (withSeconds ? 6 : 5); i++) {
    const v = bcd(bytes, start + i, 1);
    if (v === undefined) return undefined;
    f.push(v);
  }
  const [yy = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = f;
  return beijingToMs(2000 + yy, mo, d, h, mi, s);
}

/** One element value: BCD, first byte FFH = negative (SL 651-2014 data format), all AAH/FFH = invalid. */
function elementValue(bytes: Uint8Array, start: number, len: number, decimals: number): number | null | undefined {
  const slice = bytes.subarray(start, start + len);
  if (slice.every((b) => b === 0xaa) || slice.every((b) => b === 0xff)) return null;
  const negative = slice[0] === 0xff;
  const n = negative ? bcd(bytes, start + 1, len - 1) : bcd(bytes, start, len);
  if (n === undefined) return undefined;
  const v = decimals === 0 ? n : n / 10 ** decimals;
  return negative ? -v : v;
}

/** Decodes one uplink frame. Never throws: every problem is a DecodeError with a byte offset. */
export function decodeSl651(bytes: Uint8Array): Sl651DecodeResult {
  if (bytes[0] === 0x01) return err('UNSUPPORTED', 'ASCII-mode SL 651 frame (SOH 01H); configure the station for HEX/BCD mode (7E7EH)', 0);
  if ((bytes.length > 0 && bytes[0] !== SOH) || (bytes.length > 1 && bytes[1] !== SOH)) {
    return err('MALFORMED', 'not an SL 651 HEX frame: it must start with 7E7EH', 0);
  }
  if (bytes.length < headerSize) return err('SHORT_FRAME', `${bytes.length} bytes; the header alone is ${headerSize}`);
  const dirLen = ((bytes[11] ?? 0) << 8) | (bytes[12] ?? 0);
  const bodyLen = dirLen & 0x0fff;
  const total = headerSize + bodyLen + 3;
  if (bytes.length < total) return err('SHORT_FRAME', `${bytes.length} bytes; the length field announces ${total}`);
  const crcAt = (end: number) => crc16Modbus(bytes, 0, end - 2) === (((bytes[end - 2] ?? 0) << 8) | (bytes[end - 1] ?? 0));
  if (bytes.length > total) {
    if (crcAt(total)) return err('MALFORMED', `${bytes.length - total} trailing bytes after the frame`, total);
    return err('BAD_CHECKSUM', 'CRC-16 does not match (the frame or its length field is corrupt)');
  }
  if (!crcAt(total)) {
    const got = ((bytes[total - 2] ?? 0) << 8) | (bytes[total - 1] ?? 0);
    const want = crc16Modbus(bytes, 0, total - 2);
    return err('BAD_CHECKSUM', `CRC-16 is ${hex4(got)}, computed ${hex4(want)}`, total - 2);
  }
  if (dirLen >> 12 !== 0) return err('UNSUPPORTED', 'downlink frame (direction 8); the gateway reads uplink frames only', 11);
  if (bytes[13] === SYN) return err('UNSUPPORTED', 'multi-packet frame (SYN 16H) is not supported', 13);
  if (bytes[13] !== STX) return err('MALFORMED', 'expected STX 02H after the length', 13);
  const end = bytes[total - 3];
  if (end !== ETX && end !== ETB) return err('MALFORMED', 'expected ETX 03H or ETB 17H before the CRC', total - 3);
  if (bodyLen < 8) return err('MALFORMED', `body is ${bodyLen} bytes; serial number and send time need 8`, 12);
  const sendTime = bcdTime(bytes, 16, true);
  if (sendTime === undefined) return err('MALFORMED', 'send time is not a valid BCD YYMMDDhhmmss', 16);
  const frame: Sl651Frame = {
    center: bytes[2] ?? 0,
    station: hexOf(bytes.subarray(3, 8)),
    password: ((bytes[8] ?? 0) << 8) | (bytes[9] ?? 0),
    functionCode: bytes[10] ?? 0,
    serial: ((bytes[14] ?? 0) << 8) | (bytes[15] ?? 0),
    sendTime,
    groups: [],
  };
  if (frame.functionCode === sl651Function.linkKeep) return { ok: true, frame };
  if (!reportFunctions.has(frame.functionCode)) {
    return err('UNSUPPORTED', `function code ${frame.functionCode.toString(16).toUpperCase()}H is not a report this gateway reads`, 10);
  }
  const body = parseElements(bytes, 22, headerSize + bodyLen, frame);
  return body ?? { ok: true, frame };
}

/** Walks the element area [start, end); fills `frame`; returns an error or undefined. */
function parseElements(bytes: Uint8Array, start: number, end: number, frame: Sl651Frame): { ok: false; error: DecodeError } | undefined {
  let group = { time: frame.sendTime, elements: [] as Sl651Element[] };
  let off = start;
  while (off < end) {
    const id = bytes[off] ?? 0;
    const def = bytes[off + 1] ?? 0;
    if (off + 2 > end) return err('MALFORMED', 'element area ends inside an identifier', off);
    if (id === 0xf1 && def === 0xf1) {
      if (off + 8 > end) return err('MALFORMED', 'F1F1 station group is cut short', off);
      frame.stationType = bytes[off + 7] ?? 0;
      off += 8;
    } else if (id === 0xf0 && def === 0xf0) {
      const t = off + 7 <= end ? bcdTime(bytes, off + 2, false) : undefined;
      if (t === undefined) return err('MALFORMED', 'F0F0 observation time is not a valid BCD YYMMDDhhmm', off + 2);
      if (group.elements.length > 0) frame.groups.push(group);
      group = { time: t, elements: [] };
      off += 7;
    } else if (id === 0xf2 || id === 0xf3) {
      return err('UNSUPPORTED', `element group ${hex2(id)}${hex2(def)} (manual data / picture) is not supported`, off);
    } else {
      const len = def >> 3;
      if (len === 0 || off + 2 + len > end) return err('MALFORMED', `element ${hex2(id)} announces ${len} bytes that are not there`, off + 1);
      if (id in sl651Elements) {
        const v = elementValue(bytes, off + 2, len, def & 0x07);
        if (v === undefined) return err('MALFORMED', `element ${hex2(id)} is not valid BCD`, off + 2);
        group.elements.push({ id, value: v });
      }
      off += 2 + len;
    }
  }
  if (group.elements.length > 0) frame.groups.push(group);
  return undefined;
}

export interface Sl651Encode {
  functionCode: number;
  center?: number;
  /** 10 hex digits. */
  station: string;
  password?: number;
  serial: number;
  sendTime: number;
  /** 'H' (0x48) river by default; 'T' (0x54) for a tide station. */
  stationType?: number;
  observationTime?: number;
  /** Element id → value, written with the id's usual data definition (`sl651Elements`). */
  elements?: { id: keyof typeof sl651Elements; value: number }[];
}

/** Builds an uplink frame; throws RangeError on values the format cannot carry (an encoder bug). */
export function encodeSl651(m: Sl651Encode): Uint8Array {
  if (!/^[0-9a-fA-F]{10}$/.test(m.station)) throw new RangeError('station address must be 10 hex digits');
  const body: number[] = [(m.serial >> 8) & 0xff, m.serial & 0xff, ...bcdTimeBytes(m.sendTime, true)];
  if (m.functionCode !== sl651Function.linkKeep) {
    body.push(0xf1, 0xf1, ...hexBytes(m.station), m.stationType ?? 0x48);
    body.push(0xf0, 0xf0, ...bcdTimeBytes(m.observationTime ?? m.sendTime, false));
    for (const e of m.elements ?? []) {
      const def = sl651Elements[e.id].def;
      body.push(e.id, def, ...elementBytes(e.value, def >> 3, def & 0x07));
    }
  }
  if (body.length > 0x0fff) throw new RangeError('SL 651 body longer than 4095 bytes');
  const pw = m.password ?? 0;
  const head = [SOH, SOH, m.center ?? 0x01, ...hexBytes(m.station), (pw >> 8) & 0xff, pw & 0xff, m.functionCode, (body.length >> 8) & 0x0f, body.length & 0xff, STX];
  const out = new Uint8Array(head.length + body.length + 3);
  out.set(head, 0);
  out.set(body, head.length);
  out[head.length + body.length] = ETX;
  const crc = crc16Modbus(out, 0, out.length - 2);
  out[out.length - 2] = crc >> 8;
  out[out.length - 1] = crc & 0xff;
  return out;
}

function elementBytes(value: number, len: number, decimals: number): number[] {
  const n = Math.round(Math.abs(value) * 10 ** decimals);
  const negative = value < 0 && n !== 0;
  const digits = (negative ? len - 1 : len) * 2;
  const text = String(n);
  if (!Number.isFinite(n) || text.length > digits) throw new RangeError(`${value} does not fit ${len} BCD bytes with ${decimals} decimals`);
  const out = hexBytes(text.padStart(digits, '0'));
  return negative ? [0xff, ...out] : out;
}

function bcdTimeBytes(ms: number, withSeconds: boolean): number[] {
  const b = msToBeijing(ms);
  const f = [b.year % 100, b.month, b.day, b.hour, b.minute, ...(withSeconds ? [b.second] : [])];
  return f.map((n) => Math.floor(n / 10) * 16 + (n % 10));
}

function hexBytes(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function hexOf(b: Uint8Array): string {
  return [...b].map(hex2).join('');
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function hex4(n: number): string {
  return `${n.toString(16).toUpperCase().padStart(4, '0')}H`;
}
