import type { Db } from '../storage/db.js';
import type { Period } from './periods.js';
import type { Availability, DeviceAvailability } from './schema.js';

/**
 * Device availability in a period, per kind, over the time each device was registered in it
 * (up to now for the current period); exercise devices are left out.
 * - onlineShare: time online (device_status_events, with the status at the period's start) over
 *   registered time.
 * - reportShare: reporting slots with at least one reading over the slots expected. A slot is
 *   the device's heartbeat interval (its own, else its kind's from `devices.heartbeatMs`) rounded
 *   up to whole hours, counted from the period's start, so it is read from hourly buckets:
 *   `readings_1h` in TimescaleDB mode, hour bins of the raw readings otherwise. Hours are exact
 *   local hours (+08:00 is a whole-hour offset); the 1-day buckets are UTC days and are not used.
 */
export async function deviceAvailability(
  db: Db, period: Pick<Period, 'fromMs' | 'toMs'>, nowMs: number, heartbeatMs: Readonly<Record<string, number>>,
): Promise<DeviceAvailability> {
  const endMs = Math.min(period.toMs, nowMs);
  const out: DeviceAvailability = { byKind: {}, total: empty() };
  if (endMs <= period.fromMs) return out;
  const params = [new Date(period.fromMs).toISOString(), new Date(endMs).toISOString(), JSON.stringify(heartbeatMs), period.fromMs];
  const devices = `SELECT id, kind, greatest(created_at, $1::timestamptz) AS s, $2::timestamptz AS e,
      greatest(${HOUR}, ceil(coalesce(heartbeat_ms::float8, ($3::jsonb ->> kind)::float8, ($3::jsonb ->> 'default')::float8, ${HOUR}) / ${HOUR}) * ${HOUR}) AS slot
    FROM devices WHERE NOT exercise AND created_at < $2::timestamptz`;

  const online = await db.query<{ kind: string; devices: number; span_ms: number; online_ms: number }>(
    `WITH d AS (${devices}),
     ev AS (
       SELECT d.id, d.s, d.e, x.at, x.status FROM d CROSS JOIN LATERAL (
         (SELECT at, status FROM device_status_events WHERE device_id = d.id AND at <= d.s ORDER BY at DESC LIMIT 1)
         UNION ALL
         (SELECT at, status FROM device_status_events WHERE device_id = d.id AND at > d.s AND at < d.e)
       ) x
     ),
     seg AS (SELECT id, status, greatest(at, s) AS a, coalesce(lead(at) OVER (PARTITION BY id ORDER BY at), e) AS b FROM ev),
     up AS (SELECT id, sum(extract(epoch FROM b - a) * 1000) AS ms FROM seg WHERE status = 'online' GROUP BY id)
     SELECT d.kind, count(*)::int AS devices, sum(extract(epoch FROM d.e - d.s) * 1000)::float8 AS span_ms, coalesce(sum(up.ms), 0)::float8 AS online_ms
     FROM d LEFT JOIN up ON up.id = d.id GROUP BY d.kind`,
    params.slice(0, 3),
  );

  const hours = (await hasHourly(db))
    ? 'SELECT DISTINCT device_id, bucket AS h FROM readings_1h WHERE bucket >= $1::timestamptz AND bucket < $2::timestamptz'
    : `SELECT DISTINCT device_id, date_bin(INTERVAL '1 hour', time, timestamptz 'epoch') AS h FROM readings WHERE time >= $1::timestamptz AND time < $2::timestamptz`;
  const slotOf = (t: string) => `floor((extract(epoch FROM ${t}) * 1000 - $4) / d.slot)`;
  const reports = await db.query<{ kind: string; expected: number; received: number }>(
    `WITH d AS (${devices}),
     got AS (SELECT h.device_id, count(DISTINCT ${slotOf('h.h')}) AS n FROM (${hours}) h JOIN d ON d.id = h.device_id GROUP BY h.device_id)
     SELECT d.kind,
            sum(${slotOf("(d.e - INTERVAL '1 millisecond')")} - ${slotOf('d.s')} + 1)::float8 AS expected,
            coalesce(sum(least(got.n, ${slotOf("(d.e - INTERVAL '1 millisecond')")} - ${slotOf('d.s')} + 1)), 0)::float8 AS received
     FROM d LEFT JOIN got ON got.device_id = d.id GROUP BY d.kind`,
    params,
  );

  let onlineMs = 0;
  let spanMs = 0;
  for (const r of online.rows) {
    const a = (out.byKind[r.kind] ??= empty());
    a.devices = r.devices;
    a.onlineShare = share(r.online_ms, r.span_ms);
    onlineMs += r.online_ms;
    spanMs += r.span_ms;
  }
  for (const r of reports.rows) {
    const a = (out.byKind[r.kind] ??= empty());
    a.expectedReports = r.expected;
    a.receivedReports = r.received;
    a.reportShare = share(r.received, r.expected);
  }
  for (const a of Object.values(out.byKind)) {
    out.total.devices += a.devices;
    out.total.expectedReports += a.expectedReports;
    out.total.receivedReports += a.receivedReports;
  }
  out.total.onlineShare = share(onlineMs, spanMs);
  out.total.reportShare = share(out.total.receivedReports, out.total.expectedReports);
  return out;
}

const HOUR = 3_600_000;
const empty = (): Availability => ({ devices: 0, onlineShare: null, expectedReports: 0, receivedReports: 0, reportShare: null });
/** Rounded to 4 places: a share, not a measurement. */
const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** Whether the hourly continuous aggregate exists (TimescaleDB mode). */
async function hasHourly(db: Db): Promise<boolean> {
  if (db.mode !== 'timescaledb') return false;
  const r = await db.query<{ ok: boolean }>(`SELECT to_regclass('readings_1h') IS NOT NULL AS ok`);
  return r.rows[0]?.ok === true;
}
