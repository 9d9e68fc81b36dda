import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { SilenceInput, SilenceMatchers, SilenceView } from './schema.js';

/**
 * Silences (maintenance windows, Alertmanager-style): label matchers with a time range. A
 * warning that matches one is recorded as usual, but nothing goes out for it.
 */

export interface SilenceRow {
  id: number;
  device_ids: string[];
  kinds: string[];
  block_prefixes: string[];
  rule_ids: string[];
  starts_at_ms: number;
  ends_at_ms: number;
  author: string;
  reason: string;
  created_at_ms: number;
  deleted: boolean;
  deleted_at_ms: number | null;
  deleted_by: string | null;
}

/** What a silence is matched against. */
export interface Silenceable {
  deviceId: string | null;
  kind: string | null;
  blockCode: string;
  ruleId: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const digits = (block: string): string => block.replace(/-/g, '');

/** Every non-empty matcher list must have an entry matching the warning. */
export function silenceMatches(s: SilenceRow, w: Silenceable): boolean {
  const within = (list: readonly string[], value: string | null) => list.length === 0 || (value !== null && list.includes(value));
  return (
    within(s.device_ids, w.deviceId) &&
    within(s.kinds, w.kind) &&
    within(s.rule_ids, w.ruleId) &&
    (s.block_prefixes.length === 0 || (w.blockCode !== '' && s.block_prefixes.some((p) => w.blockCode.startsWith(p))))
  );
}

/** Silences in force at nowMs. */
export async function liveSilences(q: Queryable, nowMs: number): Promise<SilenceRow[]> {
  const r = await q.query<SilenceRow>('SELECT * FROM silences WHERE NOT deleted AND starts_at_ms <= $1 AND ends_at_ms > $1 ORDER BY id', [nowMs]);
  return r.rows;
}

export function silenceState(s: SilenceRow, nowMs: number): SilenceView['state'] {
  if (s.deleted) return 'deleted';
  if (nowMs < s.starts_at_ms) return 'pending';
  return nowMs < s.ends_at_ms ? 'active' : 'expired';
}

export function silenceView(s: SilenceRow, nowMs: number): SilenceView {
  return {
    id: String(s.id),
    matchers: { devices: s.device_ids, kinds: s.kinds, blocks: s.block_prefixes, rules: s.rule_ids },
    startsAt: iso(s.starts_at_ms),
    endsAt: iso(s.ends_at_ms),
    author: s.author,
    reason: s.reason,
    createdAt: iso(s.created_at_ms),
    state: silenceState(s, nowMs),
    deletedAt: s.deleted_at_ms === null ? null : iso(s.deleted_at_ms),
    deletedBy: s.deleted_by,
  };
}

function checkMatchers(m: SilenceMatchers): void {
  if (m.devices.length + m.kinds.length + m.blocks.length + m.rules.length === 0) {
    throw new GatewayError('GW_ERR_VALIDATION', 'a silence needs at least one matcher (devices, kinds, blocks or rules): it must not mute everything', [{ field: '/matchers', message: 'needs at least one non-empty list' }]);
  }
}

export async function createSilence(q: Queryable, input: SilenceInput, author: string, nowMs: number): Promise<SilenceRow> {
  checkMatchers(input.matchers);
  const starts = input.startsAt !== undefined ? Date.parse(input.startsAt) : nowMs;
  const ends = Date.parse(input.endsAt);
  if (ends <= nowMs) throw new GatewayError('GW_ERR_VALIDATION', '`endsAt` is in the past: the silence would never apply', [{ field: '/endsAt', message: 'must be in the future' }]);
  if (!(ends > starts)) throw new GatewayError('GW_ERR_VALIDATION', '`endsAt` must be after `startsAt`', [{ field: '/endsAt', message: 'must be after startsAt' }]);
  const m = input.matchers;
  const r = await q.query<SilenceRow>(
    `INSERT INTO silences (device_ids, kinds, block_prefixes, rule_ids, starts_at_ms, ends_at_ms, author, reason, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [m.devices, m.kinds, m.blocks.map(digits), m.rules, starts, ends, author, input.reason, nowMs],
  );
  return r.rows[0] as SilenceRow;
}

export async function getSilence(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<SilenceRow | undefined> {
  const r = await q.query<SilenceRow>(`SELECT * FROM silences WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

/** Newest first; without `all`, only those not yet over (pending or active). */
export async function listSilences(q: Queryable, f: { all: boolean; cursor?: string; limit: number }, nowMs: number): Promise<SilenceRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (!f.all) add('NOT deleted AND ends_at_ms > ?', nowMs);
  if (f.cursor !== undefined) add('id < ?', f.cursor);
  params.push(f.limit);
  const r = await q.query<SilenceRow>(`SELECT * FROM silences ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`, params);
  return r.rows;
}

/** Expires a silence now; it stays listed (with `all`) for the record. */
export async function deleteSilence(q: Queryable, id: string, by: string, nowMs: number): Promise<SilenceRow | undefined> {
  const r = await q.query<SilenceRow>('UPDATE silences SET deleted = true, deleted_at_ms = $2, deleted_by = $3 WHERE id = $1 AND NOT deleted RETURNING *', [id, nowMs, by]);
  return r.rows[0];
}
