import type { Queryable } from '../storage/db.js';
import { GatewayError } from '../core/errors.js';
import { checkCalendar, defaultCalendar, onDuty, type DutyCalendar, type Tier } from './calendar.js';
import { matchLength } from './match.js';
import type { Unit, UnitBody, UnitInput } from './schema.js';

/** Disposal units (联动单位): storage of the registry. */

interface UnitRow {
  id: string;
  name: string;
  tier: number;
  calendar: DutyCalendar;
  contacts: Unit['contacts'];
  blocks: string[];
  kinds: string[];
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function toUnit(r: UnitRow, nowMs: number): Unit {
  const unit = { id: r.id, name: r.name, tier: r.tier as Tier, calendar: r.calendar, contacts: r.contacts, blocks: r.blocks, kinds: r.kinds };
  return { ...unit, onDutyNow: onDuty(unit, nowMs), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) };
}

/** The calendar to store: the one given (checked) or the tier's default. */
function calendarOf(body: UnitBody): DutyCalendar {
  const cal = body.calendar ?? defaultCalendar(body.tier);
  checkCalendar(cal);
  return cal;
}

export async function createUnit(tx: Queryable, input: UnitInput, nowMs: number): Promise<Unit> {
  const at = new Date(nowMs).toISOString();
  const r = await tx.query<UnitRow>(
    `INSERT INTO duty_units (id, name, tier, calendar, contacts, blocks, kinds, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING RETURNING *`,
    [input.id, input.name, input.tier, JSON.stringify(calendarOf(input)), JSON.stringify(input.contacts), input.blocks, input.kinds, at],
  );
  const row = r.rows[0];
  if (!row) throw new GatewayError('GW_ERR_CONFLICT', `unit "${input.id}" already exists`);
  return toUnit(row, nowMs);
}

export async function replaceUnit(tx: Queryable, id: string, body: UnitBody, nowMs: number): Promise<{ before: Unit; after: Unit }> {
  const before = await getUnit(tx, id, nowMs, true);
  if (!before) throw new GatewayError('GW_ERR_NOT_FOUND', `unit "${id}" does not exist`);
  const r = await tx.query<UnitRow>(
    `UPDATE duty_units SET name = $2, tier = $3, calendar = $4, contacts = $5, blocks = $6, kinds = $7, updated_at = $8 WHERE id = $1 RETURNING *`,
    [id, body.name, body.tier, JSON.stringify(calendarOf(body)), JSON.stringify(body.contacts), body.blocks, body.kinds, new Date(nowMs).toISOString()],
  );
  const row = r.rows[0];
  if (!row) throw new GatewayError('GW_ERR_NOT_FOUND', `unit "${id}" does not exist`);
  return { before, after: toUnit(row, nowMs) };
}

export async function deleteUnit(tx: Queryable, id: string, nowMs: number): Promise<Unit> {
  const r = await tx.query<UnitRow>('DELETE FROM duty_units WHERE id = $1 RETURNING *', [id]);
  const row = r.rows[0];
  if (!row) throw new GatewayError('GW_ERR_NOT_FOUND', `unit "${id}" does not exist`);
  return toUnit(row, nowMs);
}

export async function getUnit(q: Queryable, id: string, nowMs: number, forUpdate = false): Promise<Unit | null> {
  const r = await q.query<UnitRow>(`SELECT * FROM duty_units WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  const row = r.rows[0];
  return row ? toUnit(row, nowMs) : null;
}

/** All units, or those answering for a block and kind (most specific block first), by tier then id. */
export async function listUnits(q: Queryable, nowMs: number, filter: { block?: string; kind?: string; tier?: Tier } = {}): Promise<Unit[]> {
  const r = await q.query<UnitRow>('SELECT * FROM duty_units WHERE ($1::smallint IS NULL OR tier = $1) ORDER BY tier, id', [filter.tier ?? null]);
  const units = r.rows.map((row) => toUnit(row, nowMs));
  const { block, kind } = filter;
  if (block === undefined && kind === undefined) return units;
  const ranked = units
    .map((u) => ({ u, len: block === undefined ? 0 : matchLength(u.blocks, block) }))
    .filter(({ u, len }) => len >= 0 && (kind === undefined || u.kinds.length === 0 || u.kinds.includes(kind)));
  return ranked.sort((a, b) => b.len - a.len).map(({ u }) => u);
}
