import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Db, Queryable } from '../storage/db.js';
import { chinaTime, selectByIds } from '../events/store.js';
import { queryReadings } from '../storage/readings-query.js';
import { getUnit } from '../duty/units.js';
import type { Duty } from '../duty/types.js';
import { timeline } from '../warnings/repo.js';
import type { WarningView } from '../warnings/schema.js';
import type { CaseView } from './types.js';
import { getCase, toView, transitions, type CaseRow, type TransitionRecord } from './repo.js';
import { caseWarning, type WrittenReports } from './report.js';
import { caseDeliveries } from './deliveries.js';
import type { CaseFile, FileAuditRecord } from './file-schema.js';
import { listClocks, toClockView } from '../sla/store.js';

/**
 * One event, one file (seed S16): everything recorded about a case, gathered for
 * `GET /cases/{id}/file` (JSON here; file-html.ts prints it).
 */
export interface CaseFileDeps {
  db: Db;
  clock: Clock;
  reports: Pick<WrittenReports, 'versions'>;
  sources: Config['cases']['sources'];
  /** For the 叫应 call log of the warning. */
  duty?: Pick<Duty, 'log'> | undefined;
}

/** Readings from this long before the incident. */
export const readingsBeforeMs = 30 * 60_000;
/** Longer windows are shown as hourly buckets. */
const rawWindowMs = 12 * 3600_000;
const maxRows = 5000;

export const picturesNote = 'Pictures from the scene are not stored yet (issue 6 adds picture tasks); none are attached.';

async function readingsSection(db: Db, c: CaseRow, w: WarningView | null, nowMs: number): Promise<CaseFile['readings']> {
  if (!w?.deviceId) return { deviceId: null, from: null, to: null, bucket: null, rows: [], truncated: false, note: 'The case has no warning device: no readings.' };
  const fromMs = Number(c.incident_at_ms) - readingsBeforeMs;
  const toMs = Math.max(c.closed_at_ms !== null ? Number(c.closed_at_ms) : nowMs, fromMs);
  const raw = toMs - fromMs <= rawWindowMs;
  // The end is inclusive: a reading at the close belongs to the case.
  const q = { deviceId: w.deviceId, from: new Date(fromMs), to: new Date(toMs + 1), limit: maxRows };
  const rows = raw ? await queryReadings(db, q) : await queryReadings(db, { ...q, bucket: '1h' });
  const truncated = rows.length >= maxRows;
  return {
    deviceId: w.deviceId, from: chinaTime(fromMs), to: chinaTime(toMs), bucket: raw ? null : '1h', rows: rows as unknown as Array<Record<string, unknown>>, truncated,
    note: truncated ? `Only the first ${maxRows} rows; read the rest from /api/v1/devices/${w.deviceId}/readings.` : null,
  };
}

async function auditSection(q: Queryable, caseId: string): Promise<FileAuditRecord[]> {
  const r = await q.query<{ id: number; at: Date | string; actor_kind: string; actor_id: string; actor_name: string; actor_role: string; action: string; before: unknown; after: unknown; request_id: string | null }>(
    `SELECT id, at, actor_kind, actor_id, actor_name, actor_role, action, before, after, request_id FROM audit_log WHERE target_type = 'case' AND target_id = $1 ORDER BY id`,
    [caseId],
  );
  return r.rows.map((a) => ({
    id: Number(a.id), at: chinaTime(new Date(a.at).getTime()), actor: { kind: a.actor_kind, id: a.actor_id, name: a.actor_name, role: a.actor_role },
    action: a.action, before: a.before, after: a.after, requestId: a.request_id,
  }));
}

async function caseEvents(q: Queryable, caseId: string): Promise<CaseFile['events']> {
  const ids = await q.query<{ id: number }>(`SELECT id FROM events WHERE subject_type = 'case' AND subject_id = $1 ORDER BY id LIMIT 10000`, [caseId]);
  return (await selectByIds(q, ids.rows.map((r) => Number(r.id)))).map((e) => ({ ...e, grade: e.grade ?? null }));
}

/** Names for the actors of the transitions: usernames and API key names, source names. */
async function actorNames(q: Queryable, ts: readonly TransitionRecord[], sources: CaseFileDeps['sources']): Promise<Record<string, string>> {
  const names: Record<string, string> = { 'system:system': '系统', 'district:district': '区级平台', 'user:bootstrap': 'bootstrap admin' };
  for (const s of sources) names[`source:source:${s.id}`] = s.name || s.id;
  const userIds = [...new Set(ts.filter((t) => t.actor.type === 'user').map((t) => t.actor.id))];
  if (userIds.length > 0) {
    const r = await q.query<{ id: string; name: string }>(
      `SELECT id::text AS id, username AS name FROM users WHERE id::text = ANY($1::text[])
       UNION ALL SELECT id::text, name FROM api_keys WHERE id::text = ANY($1::text[])`,
      [userIds],
    );
    for (const u of r.rows) names[`user:${u.id}`] = u.name;
  }
  return names;
}

function sourceOf(c: CaseView, w: WarningView | null, sources: CaseFileDeps['sources']): CaseFile['source'] {
  if (c.source === 'external') {
    const s = sources.find((x) => x.id === c.sourceName);
    return { type: c.source, name: c.sourceName, label: s?.name || c.sourceName };
  }
  if (c.source === 'warning') return { type: c.source, name: c.sourceName, label: `预警 ${c.warningId ?? ''}（规则 ${w?.ruleId ?? c.sourceName}）` };
  return { type: c.source, name: c.sourceName, label: `人工录入（${c.createdBy}）` };
}

export async function buildCaseFile(deps: CaseFileDeps, id: string): Promise<CaseFile | undefined> {
  const { db } = deps;
  const row = await getCase(db, id);
  if (!row) return undefined;
  const nowMs = deps.clock.now();
  const c = toView(row);
  const w = await caseWarning(db, row);
  const steps = await transitions(db, c.id);
  const unit = c.unit ? await getUnit(db, c.unit.id, nowMs) : null;
  const versions = await deps.reports.versions(c.id);
  const names = await actorNames(db, steps, deps.sources);
  const callouts = w && deps.duty ? await deps.duty.log(w.id) : [];
  return {
    generatedAt: chinaTime(nowMs),
    case: c,
    source: sourceOf(c, w, deps.sources),
    unit: c.unit ? { id: c.unit.id, name: unit?.name ?? null, tier: c.unit.tier } : null,
    transitions: steps,
    actorNames: names,
    warning: w,
    warningTimeline: w ? (await timeline(db, w.id)).map(({ atMs: _atMs, ...e }) => e) : [],
    callouts: callouts.map((e) => ({ at: chinaTime(e.atMs), type: e.type, role: e.role, personId: e.person, channel: e.channel, detail: e.detail })),
    readings: await readingsSection(db, row, w, nowMs),
    pictures: { items: [], note: picturesNote },
    sla: (await listClocks(db, c.id)).map(toClockView),
    deliveries: await caseDeliveries(db, c),
    districtFeedback: steps.filter((t) => t.actor.type === 'district'),
    writtenReport: { versions, confirmedVersion: versions.filter((v) => v.confirmedAt !== null).pop()?.version ?? null },
    audit: await auditSection(db, c.id),
    events: await caseEvents(db, c.id),
  };
}
