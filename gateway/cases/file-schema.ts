import { Type, type Static, type TSchema } from 'typebox';
import { PlatformEventSchema } from '../events/schema.js';
import { TimelineEntry, WarningView } from '../warnings/schema.js';
import { CaseDeliveries } from './deliveries.js';
import { CaseViewSchema, ReportVersion, TransitionRecordSchema } from './schema.js';
import { SlaClockView } from '../sla/schema.js';

/** One event, one file (seed S16): the whole record of a case, `GET /cases/{id}/file` (docs/cases.md "Case file"). */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const CalloutLogEntry = Type.Object(
  { at: Type.String(), type: Type.String(), role: Nullable(Type.String()), personId: Nullable(Type.String()), channel: Nullable(Type.String()), detail: Type.String() },
  { additionalProperties: false },
);

export const FileAuditRecord = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String(),
    actor: Type.Object({ kind: Type.String(), id: Type.String(), name: Type.String(), role: Type.String() }, { additionalProperties: false }),
    action: Type.String(),
    before: Type.Unknown(),
    after: Type.Unknown(),
    requestId: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type FileAuditRecord = Static<typeof FileAuditRecord>;

export const CaseFile = Type.Object(
  {
    generatedAt: Type.String({ description: 'When this file was put together, +08:00.' }),
    case: CaseViewSchema,
    source: Type.Object({ type: Type.String(), name: Type.String(), label: Type.String({ description: 'For people: the rule, the external source\'s name, or the user.' }) }, { additionalProperties: false }),
    unit: Nullable(Type.Object({ id: Type.String(), name: Nullable(Type.String()), tier: Type.Integer() }, { additionalProperties: false })),
    transitions: Type.Array(TransitionRecordSchema, { description: 'Every step, oldest first, with its actor.' }),
    actorNames: Type.Record(Type.String(), Type.String(), { description: '`{type}:{id}` → a name people read (usernames, source names).' }),
    warning: Nullable(WarningView),
    warningTimeline: Type.Array(TimelineEntry),
    callouts: Type.Array(CalloutLogEntry, { description: 'The 叫应 call log of the warning.' }),
    readings: Type.Object(
      {
        deviceId: Nullable(Type.String()),
        from: Nullable(Type.String()),
        to: Nullable(Type.String()),
        bucket: Nullable(Type.Enum(['1h'])),
        rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
        truncated: Type.Boolean(),
        note: Nullable(Type.String()),
      },
      { additionalProperties: false, description: "The warning device's readings from 30 minutes before the incident to the close (or now)." },
    ),
    pictures: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())), note: Type.String() }, { additionalProperties: false }),
    sla: Type.Array(SlaClockView),
    deliveries: CaseDeliveries,
    districtFeedback: Type.Array(TransitionRecordSchema, { description: 'The steps the district reported.' }),
    writtenReport: Type.Object({ versions: Type.Array(ReportVersion), confirmedVersion: Nullable(Type.Integer()) }, { additionalProperties: false }),
    audit: Type.Array(FileAuditRecord, { description: 'Audit rows whose target is this case.' }),
    events: Type.Array(PlatformEventSchema, { description: 'The case.* events, oldest first.' }),
  },
  { additionalProperties: false },
);
export type CaseFile = Static<typeof CaseFile>;
