import type { Queryable } from '../storage/db.js';
import { formatBlockCode } from './block-code.js';
import type { DeviceFields } from './normalize.js';
import type { Device, DeviceInput, DeviceQuery, DeviceStatus } from './schema.js';
import type { DeviceKind } from '../../adapters/types.js';

/** SQL for the device registry. Times are passed in (the Clock), never the database's now(). */
interface DeviceRow {
  id: string;
  name: string;
  kind: DeviceKind;
  adapter: string;
  vendor: string | null;
  owner_unit: string | null;
  lon: number;
  lat: number;
  address: string | null;
  input_lon: number;
  input_lat: number;
  input_crs: 'wgs84' | 'gcj02' | 'bd09';
  block_code: string;
  tags: string[];
  platform: string | null;
  external_id: string | null;
  heartbeat_ms: number | null;
  exercise: boolean;
  password_hash: string;
  status: DeviceStatus;
  status_reason: string | null;
  status_changed_at: Date | string | null;
  last_seen: Date | string | null;
  credentials_rotated_at: Date | string;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface DeviceRecord {
  device: Omit<Device, 'heartbeatMs'> & { heartbeatMs: number | null };
  passwordHash: string;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function toRecord(r: DeviceRow): DeviceRecord {
  return {
    passwordHash: r.password_hash,
    device: {
      id: r.id,
      name: r.name,
      kind: r.kind,
      adapter: r.adapter,
      vendor: r.vendor,
      ownerUnit: r.owner_unit,
      location: { lon: r.lon, lat: r.lat, address: r.address, input: { lon: r.input_lon, lat: r.input_lat, crs: r.input_crs } },
      blockCode: formatBlockCode(r.block_code),
      tags: r.tags,
      platform: r.platform,
      externalId: r.external_id,
      heartbeatMs: r.heartbeat_ms,
      exercise: r.exercise,
      status: r.status,
      statusReason: r.status_reason,
      statusChangedAt: iso(r.status_changed_at),
      lastSeen: iso(r.last_seen),
      credentialsRotatedAt: iso(r.credentials_rotated_at) as string,
      createdAt: iso(r.created_at) as string,
      updatedAt: iso(r.updated_at) as string,
    },
  };
}

/** The input form of a stored device (as it was given), for PATCH merges. */
export function inputOf(d: DeviceRecord['device']): Omit<DeviceInput, 'id'> {
  return {
    name: d.name,
    kind: d.kind,
    adapter: d.adapter,
    location: { lon: d.location.input.lon, lat: d.location.input.lat, crs: d.location.input.crs as 'wgs84', ...(d.location.address !== null ? { address: d.location.address } : {}) },
    blockCode: d.blockCode,
    tags: d.tags,
    exercise: d.exercise,
    ...(d.ownerUnit !== null ? { ownerUnit: d.ownerUnit } : {}),
    ...(d.vendor !== null ? { vendor: d.vendor } : {}),
    ...(d.platform !== null ? { platform: d.platform } : {}),
    ...(d.externalId !== null ? { externalId: d.externalId } : {}),
    ...(d.heartbeatMs !== null ? { heartbeatMs: d.heartbeatMs } : {}),
  };
}

const FIELD_COLUMNS: Array<[keyof DeviceFields, string]> = [
  ['name', 'name'], ['kind', 'kind'], ['adapter', 'adapter'], ['vendor', 'vendor'], ['ownerUnit', 'owner_unit'],
  ['lon', 'lon'], ['lat', 'lat'], ['address', 'address'], ['inputLon', 'input_lon'], ['inputLat', 'input_lat'],
  ['inputCrs', 'input_crs'], ['blockCode', 'block_code'], ['tags', 'tags'], ['platform', 'platform'],
  ['externalId', 'external_id'], ['heartbeatMs', 'heartbeat_ms'], ['exercise', 'exercise'],
];

export async function insertDevice(q: Queryable, id: string, f: DeviceFields, extra: { passwordHash: string; at: number }): Promise<DeviceRecord> {
  const cols = ['id', ...FIELD_COLUMNS.map(([, c]) => c), 'password_hash', 'credentials_rotated_at', 'created_at', 'updated_at'];
  const at = new Date(extra.at).toISOString();
  const values = [id, ...FIELD_COLUMNS.map(([k]) => f[k]), extra.passwordHash, at, at, at];
  const r = await q.query<DeviceRow>(`INSERT INTO devices (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`, values);
  return toRecord(r.rows[0] as DeviceRow);
}

export async function updateDevice(q: Queryable, id: string, f: DeviceFields, at: number): Promise<DeviceRecord | undefined> {
  const sets = FIELD_COLUMNS.map(([, c], i) => `${c} = $${i + 2}`);
  const r = await q.query<DeviceRow>(
    `UPDATE devices SET ${sets.join(', ')}, updated_at = $${FIELD_COLUMNS.length + 2} WHERE id = $1 RETURNING *`,
    [id, ...FIELD_COLUMNS.map(([k]) => f[k]), new Date(at).toISOString()],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : undefined;
}

export async function getDevice(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<DeviceRecord | undefined> {
  const r = await q.query<DeviceRow>(`SELECT * FROM devices WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : undefined;
}

export async function allDevices(q: Queryable): Promise<DeviceRecord[]> {
  const r = await q.query<DeviceRow>('SELECT * FROM devices ORDER BY id');
  return r.rows.map(toRecord);
}

export async function listDevices(q: Queryable, f: DeviceQuery & { scopeVendor?: string }): Promise<DeviceRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.scopeVendor !== undefined) add('vendor = ?', f.scopeVendor);
  if (f.vendor !== undefined) add('vendor = ?', f.vendor);
  if (f.kind !== undefined) add('kind = ?', f.kind);
  if (f.status !== undefined) add('status = ?', f.status);
  if (f.block !== undefined) add("block_code LIKE ? || '%'", f.block.replace(/-/g, ''));
  if (f.tag !== undefined) add('? = ANY(tags)', f.tag);
  if (f.after !== undefined) add('id > ?', f.after);
  params.push(f.limit);
  const r = await q.query<DeviceRow>(`SELECT * FROM devices ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`, params);
  return r.rows.map(toRecord);
}

export async function deleteDevice(q: Queryable, id: string): Promise<boolean> {
  const r = await q.query('DELETE FROM devices WHERE id = $1', [id]);
  return r.rowCount > 0;
}

export async function setPasswordHash(q: Queryable, id: string, hash: string, at: number): Promise<DeviceRecord | undefined> {
  const ts = new Date(at).toISOString();
  const r = await q.query<DeviceRow>('UPDATE devices SET password_hash = $2, credentials_rotated_at = $3, updated_at = $3 WHERE id = $1 RETURNING *', [id, hash, ts]);
  return r.rows[0] ? toRecord(r.rows[0]) : undefined;
}

/** Records a status change and its reason; a no-op when the status is unchanged. */
export async function recordStatus(q: Queryable, id: string, status: DeviceStatus, reason: string, at: number): Promise<boolean> {
  const ts = new Date(at).toISOString();
  const r = await q.query(
    `WITH changed AS (
       UPDATE devices SET status = $2, status_reason = $3, status_changed_at = $4 WHERE id = $1 AND status <> $2 RETURNING id
     )
     INSERT INTO device_status_events (device_id, status, reason, at) SELECT id, $2, $3, $4 FROM changed`,
    [id, status, reason, ts],
  );
  return r.rowCount > 0;
}

/** Persists last-seen times in one statement (the registry keeps them in memory between flushes). */
export async function saveLastSeen(q: Queryable, seen: ReadonlyMap<string, number>): Promise<void> {
  if (seen.size === 0) return;
  const ids = [...seen.keys()];
  const times = ids.map((id) => new Date(seen.get(id) as number).toISOString());
  await q.query(
    `UPDATE devices d SET last_seen = s.at FROM unnest($1::text[], $2::timestamptz[]) AS s(id, at)
      WHERE d.id = s.id AND (d.last_seen IS NULL OR d.last_seen < s.at)`,
    [ids, times],
  );
}

export async function statusHistory(q: Queryable, id: string, limit: number): Promise<Array<{ status: string; reason: string; at: string }>> {
  const r = await q.query<{ status: string; reason: string; at: Date | string }>(
    'SELECT status, reason, at FROM device_status_events WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
    [id, limit],
  );
  return r.rows.map((x) => ({ status: x.status, reason: x.reason, at: new Date(x.at).toISOString() }));
}
