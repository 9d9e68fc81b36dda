/**
 * What one spool record holds: the readings accepted from one message (or one platform push),
 * and any dead letters it produced. Compact JSON: arrays, not objects, because it is written
 * and read once per message on the hot path.
 */
import type { ReadingRow } from '../storage/readings-writer.js';

export type { ReadingRow };

export interface DeadLetterRow {
  /** Receive time, epoch microseconds (with `source`, the row's identity on replay). */
  atUs: number;
  source: string;
  deviceId: string | null;
  adapter: string | null;
  reasonCode: string;
  reason: string;
  payload: Uint8Array;
}

export interface IngestRecord {
  rows: ReadingRow[];
  dead: DeadLetterRow[];
}

type WireRow = [string, string, number, number | null, string | null, number | null];
type WireDead = [number, string, string | null, string | null, string, string, string];

export function encodeRecord(r: IngestRecord): Uint8Array {
  const rows: WireRow[] = r.rows.map((x) => [x.deviceId, x.metric, x.timeUs, x.value, x.state, x.seq]);
  const wire: { r: WireRow[]; d?: WireDead[] } = { r: rows };
  if (r.dead.length > 0) {
    wire.d = r.dead.map((d) => [d.atUs, d.source, d.deviceId, d.adapter, d.reasonCode, d.reason, Buffer.from(d.payload).toString('base64')]);
  }
  return Buffer.from(JSON.stringify(wire));
}

export function decodeRecord(body: Uint8Array): IngestRecord {
  const wire = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as { r: WireRow[]; d?: WireDead[] };
  return {
    rows: wire.r.map(([deviceId, metric, timeUs, value, state, seq]) => ({ deviceId, metric, timeUs, value, state, seq })),
    dead: (wire.d ?? []).map(([atUs, source, deviceId, adapter, reasonCode, reason, payload]) => ({ atUs, source, deviceId, adapter, reasonCode, reason, payload: Buffer.from(payload, 'base64') })),
  };
}
