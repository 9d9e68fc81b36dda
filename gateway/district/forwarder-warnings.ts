import type { Config } from '../config/schema.js';
import { isGatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { PlatformEvent } from '../events/types.js';
import type { EnqueueInput } from '../outbox/types.js';
import type { WarningView } from '../warnings/schema.js';
import type { TransitionView } from '../warnings/change.js';
import { gradeLevel } from '../../rules/schema.js';
import { capReference, warningToCap, type CapInput, type CapOptions, type CapReference } from './cap.js';
import { districtKeys, orderKeys, warningPayload, type WarningEventName, type WarningMessage } from './messages.js';
import { districtChannelName } from './types.js';

/**
 * Which warning changes go to the district, and in what form (docs/district-link.md
 * "Warnings"). A warning is forwarded from the first raise or grade change at or above the
 * threshold that is neither silenced nor grouped into a storm; from then on every grade change
 * and its clear follow, whatever the grade, in the format its first message had.
 */

/** Warnings about the town (sensors, blocks, storms, outside sources); not the gateway's own health (rules, the link, SLA timers). */
export const forwardedSubjects = ['device', 'block', 'external'] as const;

type MinGrade = Config['district']['forwardMinGrade'];

interface SentRow {
  event_id: string;
  format: 'json' | 'cap';
  cap_sender: string | null;
  cap_identifier: string | null;
  cap_sent: string | null;
}

export interface WarningForwardContext {
  config: Pick<Config, 'district' | 'externalWarnings'>;
  log: Logger;
  enqueue(tx: Queryable, m: EnqueueInput): Promise<unknown>;
  maxAgeMs: number;
}

export function capOptions(config: Config['district']): CapOptions {
  const { sender, senderName, agencyCode, areaCode } = config.cap;
  return { sender, senderName, agencyCode, ...(areaCode !== '' ? { areaCode } : {}) };
}

function reaches(grade: TransitionView['to'], min: MinGrade): boolean {
  return grade !== null && min !== 'off' && gradeLevel(grade) >= gradeLevel(min);
}

/** What the district is told of this change, or null when it is not forwarded. */
async function decide(tx: Queryable, ctx: WarningForwardContext, e: PlatformEvent, w: WarningView, t: TransitionView, sent: readonly SentRow[]): Promise<WarningEventName | null> {
  if (sent.length > 0) return e.type === 'warning.cleared' ? 'cleared' : 'updated';
  if (e.type === 'warning.cleared') return null;
  if (!(forwardedSubjects as readonly string[]).includes(w.subject.type)) return null;
  const min = w.subject.type === 'external' ? ctx.config.externalWarnings.forwardMinGrade : ctx.config.district.forwardMinGrade;
  if (!reaches(t.to, min)) return null;
  // Silenced: a known fault or maintenance, recorded but told to no one.
  if (e.data['silence'] !== null && e.data['silence'] !== undefined) return null;
  // Grouped into a storm: the storm warning speaks for it.
  const r = await tx.query<{ storm_id: string | null }>('SELECT storm_id FROM warnings WHERE id = $1', [w.id]);
  if (r.rows[0]?.storm_id != null) return null;
  return 'raised';
}

/** CAP `event`: the title a direct warning carries, else the name of the rule version that raised it (cap.ts falls back to the rule id). */
async function titleOf(tx: Queryable, w: WarningView): Promise<string | undefined> {
  const title = w.data['title'];
  if (typeof title === 'string' && title !== '') return title;
  if (w.ruleId === null || w.ruleVersion === null) return undefined;
  const r = await tx.query<{ name: string | null }>("SELECT body->>'name' AS name FROM rule_versions WHERE rule_id = $1 AND version = $2", [w.ruleId, w.ruleVersion]);
  return r.rows[0]?.name || undefined;
}

interface Built {
  format: 'json' | 'cap';
  body: string | WarningMessage;
  reference: CapReference | null;
}

async function build(tx: Queryable, ctx: WarningForwardContext, e: PlatformEvent, key: string, event: WarningEventName, w: WarningView, t: TransitionView, sent: readonly SentRow[]): Promise<Built> {
  const format = sent[0]?.format ?? ctx.config.district.warningFormat;
  if (format === 'cap') {
    // The district's first message of a warning is an Alert, even when the warning crossed the threshold on a grade change.
    const transition = event === 'raised' ? { ...t, from: null } : t;
    const previous = sent.flatMap((s) => (s.cap_sender && s.cap_identifier && s.cap_sent ? [{ sender: s.cap_sender, identifier: s.cap_identifier, sent: s.cap_sent }] : []));
    const title = await titleOf(tx, w);
    const input: CapInput = { warning: w, transition, sequence: Number(e.id), previous, ...(title !== undefined ? { title } : {}) };
    const opts = capOptions(ctx.config.district);
    try {
      return { format, body: warningToCap(input, opts), reference: capReference(input, opts) };
    } catch (err) {
      // Thrown again, it would stop the feed for everything after this event: the district gets the JSON form instead.
      if (!isGatewayError(err)) throw err;
      ctx.log.warn({ warningId: w.id, err: err.message }, 'warning change cannot be expressed in CAP; it goes to the district as JSON');
    }
  }
  return { format: 'json', body: { kind: 'warning', key, event, warning: w, transition: t }, reference: null };
}

/** One warning.raised / updated / cleared event → at most one district message. */
export async function forwardWarning(tx: Queryable, ctx: WarningForwardContext, e: PlatformEvent): Promise<void> {
  const w = e.data['warning'] as WarningView;
  const t = e.data['transition'] as TransitionView;
  const sent = (await tx.query<SentRow>(
    'SELECT event_id::text AS event_id, format, cap_sender, cap_identifier, cap_sent FROM district_warning_messages WHERE warning_id = $1 ORDER BY event_id',
    [w.id],
  )).rows;
  if (sent.some((s) => s.event_id === e.id)) return;
  const event = await decide(tx, ctx, e, w, t, sent);
  if (event === null) return;
  const key = districtKeys.warning(w.id, e.id);
  const built = await build(tx, ctx, e, key, event, w, t, sent);
  const grade = t.to ?? t.from ?? w.grade;
  await tx.query(
    `INSERT INTO district_warning_messages (warning_id, event_id, event, grade, format, outbox_key, cap_sender, cap_identifier, cap_sent, queued_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
    [w.id, e.id, event, grade, built.format, key, built.reference?.sender ?? null, built.reference?.identifier ?? null, built.reference?.sent ?? null, e.atMs],
  );
  await ctx.enqueue(tx, {
    channel: districtChannelName,
    key,
    payload: warningPayload(built.body),
    orderKey: orderKeys.warning(w.id),
    maxAgeMs: ctx.maxAgeMs,
    subject: { type: 'warning', id: w.id },
  });
}
