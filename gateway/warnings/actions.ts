import type { Config } from '../config/schema.js';
import type { Queryable } from '../storage/db.js';
import type { NewEvent } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import type { ChainRole, Duty } from '../duty/types.js';
import { isTopicLevel, warningTopic } from '../broker/topics.js';
import { parseDuration } from '../../rules/duration.js';
import type { GradeActions } from '../../rules/schema.js';
import type { VersionedRule } from '../../rules/engine/types.js';
import type { CaseOpener, Emit } from './types.js';
import { changeEvent, transitionView, type Change } from './change.js';
import { addTimeline, gradeName, toView, updateWarning, type WarningRow } from './repo.js';

/**
 * What a warning change sets in motion outside the warning itself: outbox messages (MQTT and
 * the rule's notifiers), 叫应 callouts, and the case / picture requests. All inside the
 * caller's transaction, so they exist iff the warning change commits.
 */
export interface ActionDeps {
  outbox: Outbox;
  duty: Duty;
  warnings: Config['warnings'];
  /** Opens the case a warning asks for, in the warning's transaction (gateway/cases). */
  cases?: CaseOpener | undefined;
  /** Warnings at or above this level open a case even when the rule's actions do not say so; 0: only rule actions. */
  caseAtLevel?: number;
}

/** MQTT topic level for warnings without a (usable) device kind: block, storm and system warnings. */
export const NO_KIND = 'none';

export function warningEvent(type: string, w: WarningRow, data: Record<string, unknown>): NewEvent {
  return { type, subject: { type: 'warning', id: String(w.id) }, blockCode: w.block_code || null, grade: gradeName(w.grade), exercise: w.exercise, data };
}

export function gradeActions(rule: VersionedRule | undefined, level: number): GradeActions | undefined {
  if (level === 0 || !rule) return undefined;
  return rule.rule.grades[gradeName(level)]?.actions;
}

export function warningTopicOf(w: WarningRow, level: number): string {
  return warningTopic(gradeName(level), w.kind !== null && isTopicLevel(w.kind) ? w.kind : NO_KIND);
}

const gradeLabels = { blue: '蓝色', yellow: '黄色', orange: '橙色', red: '红色' } as const;

/** What people read of a warning: its rule's name (the rule id when the rule is not at hand), or the storm's block. */
export function warningTitle(w: WarningRow, rule?: VersionedRule): string {
  const title = w.data['title'];
  if (typeof title === 'string' && title !== '') return title;
  if (w.rule_id === null) return `storm in block ${w.block_code}`;
  return rule?.rule.name ?? w.rule_id;
}

/** One line for calls and notifications: `Orange warning "道路积水" at wl-1: depth_cm 42 ≥ 40 (orange)`. */
export function warningSummary(w: WarningRow, level: number, title: string, reason: string, lifted = false): string {
  const grade = gradeName(level);
  const where = w.device_id ?? (w.block_code ? `block ${w.block_code}` : w.subject_id);
  return `${grade[0]?.toUpperCase()}${grade.slice(1)} warning "${title}" at ${where}${lifted ? ' lifted' : ''}: ${reason}`;
}

/**
 * The notification payload (docs/warnings.md): `warningId`, `blockCode`, `kind`, `deviceId`,
 * `text` and `exercise` on top, where the channels read them (a broadcast controller plays
 * `text` in `blockCode`; the `sse` channel marks drills), then the warning and the transition.
 */
export function notificationPayload(w: WarningRow, c: Change, title: string): Record<string, unknown> {
  const level = c.to || c.from;
  const grade = gradeName(level);
  const lifted = c.to === 0;
  const text = `${gradeLabels[grade]}预警${lifted ? '解除' : ''}：${warningSummary(w, level, title, c.reason, lifted)}`;
  // `grade` on top as well: notifier topic templates (`cityops/v1/notifications/{grade}`) read it.
  return {
    event: changeEvent(c), grade, warningId: String(w.id), blockCode: w.block_code, kind: w.kind, deviceId: w.device_id, text, exercise: w.exercise,
    warning: toView(w), transition: transitionView(c),
  };
}

/**
 * One outbox message per channel for this change: always `mqtt` (the subscriber topic
 * `cityops/v1/warnings/{grade}/{kind}`), plus the given notifiers. Keys are per warning, grade,
 * change time and channel, so replaying a change enqueues nothing new.
 */
export async function announce(tx: Queryable, deps: ActionDeps, w: WarningRow, c: Change, channels: readonly string[], nowMs: number, title = warningTitle(w)): Promise<void> {
  const label = c.to === 0 ? 'cleared' : gradeName(c.to);
  const topic = warningTopicOf(w, c.to || c.from);
  const body = notificationPayload(w, c, title);
  const all = ['mqtt', ...new Set(channels.filter((ch) => ch !== 'mqtt'))];
  let fresh = false;
  for (const channel of all) {
    const out = await deps.outbox.enqueue(tx, {
      channel,
      key: `warning:${w.id}:${label}:${c.atMs}:${channel}`,
      payload: channel === 'mqtt' ? { ...body, topic } : body,
      orderKey: `warning:${w.id}`,
      subject: { type: 'warning', id: String(w.id) },
    });
    fresh ||= !out.duplicate;
  }
  if (fresh) await addTimeline(tx, w.id, { type: 'notified', atMs: nowMs, toGrade: c.to, data: { channels: all, topic } });
}

/** Every channel this warning was ever notified on: they all hear that it is lifted. */
export async function notifiedChannels(tx: Queryable, warningId: number): Promise<string[]> {
  const r = await tx.query<{ channel: string }>(
    `SELECT DISTINCT jsonb_array_elements_text(data->'channels') AS channel FROM warning_timeline WHERE warning_id = $1 AND type = 'notified'`,
    [warningId],
  );
  return r.rows.map((row) => row.channel);
}

/** 叫应 settings for a grade: the rule's `acknowledge` action, or the grade is in warnings.acknowledgeGrades (policy wins over `acknowledge: false`). */
export function ackSettings(level: number, actions: GradeActions | undefined, cfg: Config['warnings']): { deadlineMs: number; remindEveryMs: number; chain: ChainRole[] } | null {
  if (level === 0) return null;
  const a = actions?.acknowledge;
  if (!(a === true || typeof a === 'object' || cfg.acknowledgeGrades.includes(gradeName(level)))) return null;
  const o = typeof a === 'object' ? a : {};
  return {
    deadlineMs: o.deadline !== undefined ? parseDuration(o.deadline) : cfg.acknowledgeDeadlineMs,
    remindEveryMs: o.remindEvery !== undefined ? parseDuration(o.remindEvery) : cfg.remindEveryMs,
    chain: o.chain ?? [],
  };
}

/**
 * Starts (or moves to the new grade) the 叫应 callout when the warning's grade needs one. Returns
 * whether it did. The callout.* events go out with the warning change (`emit`).
 */
export async function callout(tx: Queryable, emit: Emit, deps: ActionDeps, w: WarningRow, actions: GradeActions | undefined, title: string, nowMs: number): Promise<boolean> {
  const s = ackSettings(w.grade, actions, deps.warnings);
  if (!s) {
    // Down below the grades that need 叫应 (seed 003 §四: orange and above): stop calling people.
    if (w.peak_grade > w.grade) await deps.duty.cancel(tx, String(w.id), `the warning came down to ${gradeName(w.grade)}, which needs no acknowledgement`, nowMs, emit);
    return false;
  }
  await deps.duty.startCallout(tx, {
    warningId: String(w.id),
    fingerprint: w.fingerprint,
    grade: gradeName(w.grade),
    kind: w.kind,
    blockCode: w.block_code,
    category: w.category,
    ...s,
    exercise: w.exercise,
    summary: warningSummary(w, w.grade, title, w.reason),
  }, nowMs, emit);
  return true;
}

/**
 * Marks the case and picture requests of the grade's actions (or of the `cases.openAtGrade`
 * policy), once per warning, and opens the case in the same transaction.
 */
export async function recordRequests(tx: Queryable, emit: Emit, deps: ActionDeps, w: WarningRow, actions: GradeActions | undefined, nowMs: number): Promise<WarningRow> {
  let row = w;
  const byPolicy = (deps.caseAtLevel ?? 0) > 0 && row.grade >= (deps.caseAtLevel ?? 0) && row.rule_id !== null;
  if ((actions?.openCase || byPolicy) && row.case_requested_at_ms === null) {
    row = await updateWarning(tx, row.id, { case_requested_at_ms: nowMs });
    await addTimeline(tx, row.id, { type: 'case_requested', atMs: nowMs, toGrade: row.grade });
    await emit(warningEvent('warning.case_requested', row, { warning: toView(row) }));
    if (deps.cases) await deps.cases.openForWarning(tx, emit, toView(row), nowMs);
  }
  if (actions?.picture && row.picture_requested_at_ms === null) {
    row = await updateWarning(tx, row.id, { picture_requested_at_ms: nowMs });
    await addTimeline(tx, row.id, { type: 'picture_requested', atMs: nowMs, toGrade: row.grade });
    await emit(warningEvent('warning.picture_requested', row, { warning: toView(row) }));
  }
  return row;
}
