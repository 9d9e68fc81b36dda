import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import { getUnit } from '../duty/units.js';
import type { Emit } from '../warnings/types.js';
import type { CaseActor, CaseStatus, CaseView, TransitionInput } from './types.js';
import { caseEvent, notFound, runHooks, type CaseCore } from './core.js';
import { checkStep, isTimedStatus, timeColumns } from './lifecycle.js';
import { addTransition, getCase, toView, updateCase, type CasePatch, type CaseRow } from './repo.js';

/** One lifecycle step, and the district's acceptance of a case (markReported). */

export const districtActor: CaseActor = { type: 'district', id: 'district' };

export interface StepResult {
  before: CaseView;
  after: CaseView;
}

/** The unit of a dispatch: its tier from the duty unit registry, else the one given (the district's word). */
async function dispatchUnit(tx: Queryable, input: TransitionInput, nowMs: number): Promise<{ id: string; tier: 1 | 2 | 3 }> {
  const unit = input.unit;
  if (!unit || unit.id.trim() === '') {
    throw new GatewayError('GW_ERR_VALIDATION', `case ${input.caseId}: dispatched needs the unit it goes to`, [{ field: '/unit', message: 'is required for dispatched' }]);
  }
  const known = await getUnit(tx, unit.id, nowMs);
  if (known) return { id: known.id, tier: known.tier };
  if (unit.tier === undefined) {
    throw new GatewayError('GW_ERR_VALIDATION', `case ${input.caseId}: unit "${unit.id}" is not in the duty unit registry and no tier was given`, [{ field: '/unit/tier', message: 'is required for a unit the registry does not know' }]);
  }
  return { id: unit.id, tier: unit.tier };
}

/** The columns a step sets besides status. */
async function stepPatch(tx: Queryable, row: CaseRow, input: TransitionInput, atMs: number, nowMs: number): Promise<{ to: CaseStatus; patch: CasePatch }> {
  const patch: CasePatch = { updated_at_ms: nowMs };
  let to: CaseStatus;
  if (input.to === 'resumed') {
    if (row.resume_status === null) throw new Error(`case ${row.id} is suspended without a status to resume`);
    to = row.resume_status;
    patch.resume_status = null;
  } else if (input.to === 'suspended') {
    to = 'suspended';
    patch.resume_status = row.status;
  } else {
    to = input.to;
  }
  if (input.to !== 'resumed' && isTimedStatus(input.to)) patch[timeColumns[input.to]] = atMs;
  if (input.to === 'dispatched') {
    const unit = await dispatchUnit(tx, input, nowMs);
    if (row.status === 'dispatched' && row.unit_id === unit.id) {
      throw new GatewayError('GW_ERR_CASE_TRANSITION', `case ${row.id} is already dispatched to unit ${unit.id}: a re-dispatch goes to another unit`, [{ field: '/unit/id', message: 'is the unit it is dispatched to' }]);
    }
    patch.unit_id = unit.id;
    patch.unit_tier = unit.tier;
    // The later steps belonged to the previous dispatch (the transitions keep them).
    patch.signed_at_ms = null;
    patch.arrived_at_ms = null;
    // Dispatched by the district before its acceptance reached us: it had the case by then.
    if (row.reported_at_ms === null) patch.reported_at_ms = atMs;
  }
  if (input.districtCaseNo && input.districtCaseNo !== row.district_case_no) patch.district_case_no = input.districtCaseNo;
  return { to, patch };
}

/** Checks and writes one step inside the caller's transaction: row, transition, case.status event, hooks. */
export async function applyStep(core: CaseCore, tx: Queryable, emit: Emit, input: TransitionInput, nowMs: number): Promise<StepResult> {
  const row = await getCase(tx, input.caseId, { forUpdate: true });
  if (!row) throw notFound(input.caseId);
  const id = String(row.id);
  checkStep(id, row.status, input.to);
  const atMs = input.atMs ?? nowMs;
  if (!Number.isFinite(atMs)) throw new GatewayError('GW_ERR_VALIDATION', `case ${id}: the step time is not a time`, [{ field: '/at', message: 'is not a time' }]);
  const { to, patch } = await stepPatch(tx, row, input, atMs, nowMs);
  const after = await updateCase(tx, row.id, { ...patch, status: to });
  const note = input.note ?? null;
  const data: Record<string, unknown> = { ...(input.data ?? {}) };
  if (input.to === 'resumed') data['step'] = 'resumed';
  if (input.to === 'dispatched' && after.unit_id !== null) data['unit'] = { id: after.unit_id, tier: after.unit_tier };
  if (input.districtCaseNo) data['districtCaseNo'] = input.districtCaseNo;
  await addTransition(tx, { caseId: row.id, from: row.status, to, atMs, recordedAtMs: nowMs, actor: input.actor, note, data });
  const view = toView(after);
  await emit(caseEvent('case.status', view, { from: row.status, to, ...(input.to === 'resumed' ? { step: 'resumed' } : {}), actor: input.actor, note, at: chinaTime(atMs) }));
  await runHooks(core, tx, emit, { type: 'transition', case: view, from: row.status, to, atMs, actor: input.actor }, nowMs);
  core.log.info({ case: id, from: row.status, to, step: input.to, actor: `${input.actor.type}:${input.actor.id}` }, 'case moved');
  return { before: toView(row), after: view };
}

/**
 * The district accepted the case message: `new` → `reported` once (actor district). Later calls
 * only store the district's case number when it is new (case.updated); a case that left `new`
 * before (dispatched straight away) already has its reported time.
 */
export async function markReportedIn(core: CaseCore, tx: Queryable, emit: Emit, caseId: string, atMs: number, districtCaseNo: string | null, nowMs: number): Promise<void> {
  const row = await getCase(tx, caseId, { forUpdate: true });
  if (!row) throw notFound(caseId);
  if (row.status === 'new') {
    await applyStep(core, tx, emit, { caseId, to: 'reported', actor: districtActor, atMs, note: '区级平台已受理', ...(districtCaseNo ? { districtCaseNo } : {}) }, nowMs);
    return;
  }
  const patch: CasePatch = {};
  if (row.reported_at_ms === null) {
    patch.reported_at_ms = atMs;
    // Suspended before the district had it: it resumes as reported.
    if (row.status === 'suspended' && row.resume_status === 'new') patch.resume_status = 'reported';
  }
  if (districtCaseNo && districtCaseNo !== row.district_case_no) patch.district_case_no = districtCaseNo;
  if (Object.keys(patch).length === 0) return;
  const after = await updateCase(tx, row.id, { ...patch, updated_at_ms: nowMs });
  await emit(caseEvent('case.updated', toView(after)));
}
