import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { Emit } from '../warnings/types.js';
import type { WarningView } from '../warnings/schema.js';
import type { CaseActor, CaseLocation, CaseView, NewCaseInput } from './types.js';
import { caseEvent, runHooks, type CaseCore } from './core.js';
import { gradeLabels } from './labels.js';
import { addTransition, caseOfExternal, insertCase, toView, type CaseRow, type NewCaseRow } from './repo.js';

/** Opening a case: from a warning (inside the warning's transaction), from an external report, or by hand. */

export const systemActor: CaseActor = { type: 'system', id: 'system' };

/** Writes what every new case gets: its first transition row (null → new), case.opened, and the hooks. */
async function opened(core: CaseCore, tx: Queryable, emit: Emit, row: CaseRow, actor: CaseActor, note: string, nowMs: number): Promise<CaseView> {
  await addTransition(tx, { caseId: row.id, from: null, to: 'new', atMs: nowMs, recordedAtMs: nowMs, actor, note, data: {} });
  const view = toView(row);
  await emit(caseEvent('case.opened', view));
  await runHooks(core, tx, emit, { type: 'opened', case: view }, nowMs);
  core.log.info({ case: view.id, source: view.source, sourceName: view.sourceName, grade: view.grade, block: view.blockCode }, 'case opened');
  return view;
}

/** What people call the warning's rule: the direct warning's title, the rule version's name, or the rule id. */
async function warningTitle(tx: Queryable, w: WarningView): Promise<string> {
  const title = w.data['title'];
  if (typeof title === 'string' && title !== '') return title;
  if (w.ruleId !== null && w.ruleVersion !== null) {
    const r = await tx.query<{ name: unknown }>(`SELECT body->>'name' AS name FROM rule_versions WHERE rule_id = $1 AND version = $2`, [w.ruleId, w.ruleVersion]);
    const name = r.rows[0]?.name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return w.ruleId ?? `warning ${w.id}`;
}

/** The warning's device position, as the registry has it (WGS-84). */
async function deviceLocation(tx: Queryable, deviceId: string | null): Promise<CaseLocation> {
  if (deviceId === null) return {};
  const r = await tx.query<{ lon: number; lat: number; address: string | null }>('SELECT lon, lat, address FROM devices WHERE id = $1', [deviceId]);
  const d = r.rows[0];
  if (!d) return {};
  return { lon: d.lon, lat: d.lat, ...(d.address ? { address: d.address } : {}) };
}

/** Idempotent per warning (UNIQUE warning_id): a second call opens nothing and emits nothing. */
export async function openForWarning(core: CaseCore, tx: Queryable, emit: Emit, w: WarningView, nowMs: number): Promise<void> {
  const row = await insertCase(tx, {
    source: 'warning',
    source_name: w.ruleId ?? w.subject.type,
    external_id: null,
    warning_id: Number(w.id),
    category: w.category,
    kind: w.kind,
    grade: w.grade,
    title: await warningTitle(tx, w),
    description: [w.deviceId !== null ? `${w.deviceId}: ` : '', w.reason].join(''),
    block_code: w.blockCode,
    location: await deviceLocation(tx, w.deviceId),
    status: 'new',
    exercise: w.exercise,
    // The incident is the first breach: when the warning was raised, not when it reached the case grade.
    incident_at_ms: Date.parse(w.raisedAt),
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
    created_by: systemActor.id,
    data: { fingerprint: w.fingerprint, deviceId: w.deviceId, ruleVersion: w.ruleVersion },
  });
  if (row) await opened(core, tx, emit, row, systemActor, `由${gradeLabels[w.grade]}预警 ${w.id} 生成`, nowMs);
}

/** A report from an external source or a case by hand; a repeated (source, externalId) returns the first case. */
export async function createCase(core: CaseCore, tx: Queryable, emit: Emit, input: NewCaseInput, actor: CaseActor, nowMs: number): Promise<{ case: CaseView; duplicate: boolean }> {
  const external = input.source === 'external';
  const sourceName = external ? input.sourceName : actor.id;
  if (!sourceName) throw new GatewayError('GW_ERR_VALIDATION', 'an external case needs its source', [{ field: '/sourceName', message: 'is required' }]);
  if (external && !input.externalId) throw new GatewayError('GW_ERR_VALIDATION', `a case from source ${sourceName} needs its externalId (the source's own report id)`, [{ field: '/externalId', message: 'is required' }]);
  if (input.category.trim() === '') throw new GatewayError('GW_ERR_VALIDATION', 'a case needs a category', [{ field: '/category', message: 'must not be empty' }]);
  if (input.title.trim() === '') throw new GatewayError('GW_ERR_VALIDATION', 'a case needs a title', [{ field: '/title', message: 'must not be empty' }]);
  const row: NewCaseRow = {
    source: input.source,
    source_name: sourceName,
    external_id: input.externalId ?? null,
    warning_id: null,
    category: input.category,
    kind: input.kind ?? null,
    grade: input.grade ?? null,
    title: input.title,
    description: input.description ?? '',
    block_code: (input.blockCode ?? '').replace(/-/g, ''),
    location: input.location ?? {},
    status: 'new',
    exercise: input.exercise ?? false,
    incident_at_ms: input.incidentAtMs ?? nowMs,
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
    created_by: actor.id,
    data: input.data ?? {},
  };
  const inserted = await insertCase(tx, row);
  if (inserted) return { case: await opened(core, tx, emit, inserted, actor, external ? `${sourceName} 报送（${input.externalId}）` : '人工录入', nowMs), duplicate: false };
  const first = input.externalId ? await caseOfExternal(tx, sourceName, input.externalId) : undefined;
  if (!first) throw new Error(`case insert for ${sourceName}/${input.externalId ?? ''} conflicted but no case holds that key`);
  return { case: toView(first), duplicate: true };
}
