/**
 * Just enough MQTT 3.1.1 for the load generator and the counting subscriber: CONNECT,
 * SUBSCRIBE, QoS 1 PUBLISH with a patchable packet id, PUBACK, DISCONNECT, and a streaming
 * parser. Written out by hand so a PUBLISH costs one buffer write and a PUBACK four bytes of
 * parsing: the generator must not be what limits the broker under test.
 */

/** Packet types, [MQTT-2.2.1] table 2.1. */
export const PacketType = { connack: 2, publish: 3, puback: 4, suback: 9, pingresp: 13 } as const;

/** Remaining Length as a variable byte integer, [MQTT-2.2.3]. */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, off: number, n: number): number {
  let v = n;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    buf[off++] = byte;
  } while (v > 0);
  return off;
}

function writeString(buf: Buffer, off: number, s: Buffer): number {
  buf.writeUInt16BE(s.length, off);
  s.copy(buf, off + 2);
  return off + 2 + s.length;
}

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** Seconds; 0 turns keep-alive off [MQTT-3.1.2-23]. */
  keepalive?: number;
}

export function encodeConnect(o: ConnectOptions): Buffer {
  const id = Buffer.from(o.clientId);
  const user = o.username !== undefined ? Buffer.from(o.username) : undefined;
  const pass = o.password !== undefined ? Buffer.from(o.password) : undefined;
  // Protocol name "MQTT", level 4, flags, keep-alive [MQTT-3.1.2].
  const bodyLen = 10 + 2 + id.length + (user ? 2 + user.length : 0) + (pass ? 2 + pass.length : 0);
  const buf = Buffer.alloc(1 + varintLength(bodyLen) + bodyLen);
  let off = 0;
  buf[off++] = 0x10;
  off = writeVarint(buf, off, bodyLen);
  off = writeString(buf, off, Buffer.from('MQTT'));
  buf[off++] = 4;
  buf[off++] = (user ? 0x80 : 0) | (pass ? 0x40 : 0) | 0x02; // clean session
  buf.writeUInt16BE(o.keepalive ?? 0, off);
  off += 2;
  off = writeString(buf, off, id);
  if (user) off = writeString(buf, off, user);
  if (pass) writeString(buf, off, pass);
  return buf;
}

/** SUBSCRIBE to one filter at QoS 1 [MQTT-3.8]; fixed-header flags must be 0010 [MQTT-3.8.1-1]. */
export function encodeSubscribe(packetId: number, filter: string): Buffer {
  const f = Buffer.from(filter);
  const bodyLen = 2 + 2 + f.length + 1;
  const buf = Buffer.alloc(1 + varintLength(bodyLen) + bodyLen);
  let off = writeVarint(buf, 1, bodyLen);
  buf[0] = 0x82;
  buf.writeUInt16BE(packetId, off);
  off = writeString(buf, off + 2, f);
  buf[off] = 1;
  return buf;
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export function encodePuback(packetId: number): Buffer {
  return Buffer.from([0x40, 0x02, packetId >> 8, packetId & 0xff]);
}

/** Bytes of a QoS 1 PUBLISH, and where its packet id sits inside them. */
export function publishLayout(topicLen: number, payloadLen: number): { bytes: number; idOffset: number } {
  const bodyLen = 2 + topicLen + 2 + payloadLen;
  const header = 1 + varintLength(bodyLen);
  return { bytes: header + bodyLen, idOffset: header + 2 + topicLen };
}

/**
 * Writes a QoS 1 PUBLISH [MQTT-3.3] into `buf` at `off` with packet id 0 (to be patched per
 * send: ids must be non-zero [MQTT-2.3.1-1]); returns the offset past it.
 */
export function writePublish(buf: Buffer, off: number, topic: Buffer, payload: Uint8Array): number {
  const bodyLen = 2 + topic.length + 2 + payload.length;
  buf[off] = 0x32; // PUBLISH, QoS 1, no DUP, no RETAIN
  let o = writeVarint(buf, off + 1, bodyLen);
  o = writeString(buf, o, topic);
  buf.writeUInt16BE(0, o);
  o += 2;
  buf.set(payload, o);
  return o + payload.length;
}

/** One parsed packet: its type, fixed-header flags and body (a view into the read buffer). */
export interface Packet {
  type: number;
  flags: number;
  body: Buffer;
}

/**
 * Splits a byte stream into packets. `push` takes each chunk as the socket delivers it and
 * calls `onPacket` for every complete packet; a partial one waits for the next chunk.
 */
export class PacketReader {
  private pending: Buffer | undefined;

  constructor(private readonly onPacket: (p: Packet) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let off = 0;
    while (off < buf.length) {
      const start = off;
      if (buf.length - off < 2) break;
      const first = buf[off] as number;
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (; i < buf.length && i < off + 5; i++) {
        const b = buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || buf.length - i < len) {
        off = start;
        break;
      }
      this.onPacket({ type: first >> 4, flags: first & 0x0f, body: buf.subarray(i, i + len) });
      off = i + len;
    }
    // A copy of the tail only, so the rest of the chunk is not kept alive.
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }
}

/** The packet id of a QoS 1 PUBLISH body, and where its topic ends [MQTT-3.3.2]. */
export function publishPacketId(body: Buffer): number {
  const topicLen = body.readUInt16BE(0);
  return body.readUInt16BE(2 + topicLen);
}
