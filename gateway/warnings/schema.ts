import { Type, type Static, type TSchema } from 'typebox';
import { grades } from '../../rules/schema.js';
import { deviceKinds } from '../../adapters/types.js';

/**
 * The warning as the API, the event feed, MQTT and notifiers see it (docs/warnings.md). One
 * schema gives the response validation and the type the service builds.
 */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const GradeName = Type.Enum(grades);
const Time = (description: string) => Type.String({ description: `${description} ISO 8601 (UTC).` });

export const warningStates = ['active', 'acknowledged', 'cleared'] as const;
export type WarningState = (typeof warningStates)[number];

export const WarningView = Type.Object(
  {
    id: Type.String({ description: 'Warning id (decimal string).' }),
    fingerprint: Type.String({ description: '`{ruleId}/{deviceId}`, `{ruleId}/block:{prefix}`, `storm/{block}` or `system/rule/{ruleId}`.' }),
    ruleId: Nullable(Type.String()),
    ruleVersion: Nullable(Type.Integer()),
    subject: Type.Object({ type: Type.String({ description: 'device, block or rule.' }), id: Type.String() }),
    deviceId: Nullable(Type.String()),
    kind: Nullable(Type.String({ description: 'Device kind; null for block, storm and system warnings.' })),
    blockCode: Type.String({ description: 'Grid block (17 digits, or a prefix for block rules; empty for system warnings).' }),
    category: Type.String({ description: 'Rule category: picks the 叫应 call plan.' }),
    grade: GradeName,
    peakGrade: GradeName,
    state: Type.Enum(warningStates),
    raisedAt: Time('When the warning was raised (the transition time).'),
    updatedAt: Time('Last change of any kind.'),
    clearedAt: Nullable(Type.String()),
    acknowledgedAt: Nullable(Type.String()),
    acknowledgedBy: Nullable(Type.String({ description: 'Name of the principal who acknowledged.' })),
    silenced: Type.Boolean({ description: 'The last transition matched a silence: recorded, not notified.' }),
    stormId: Nullable(Type.String({ description: 'The storm warning this one was grouped into.' })),
    exercise: Type.Boolean({ description: 'Raised from drill or simulated data (CAP status Exercise).' }),
    metric: Nullable(Type.String()),
    value: Nullable(Type.Number()),
    valueState: Nullable(Type.String({ description: 'The state reading that triggered the last transition.' })),
    reason: Type.String(),
    caseRequestedAt: Nullable(Type.String()),
    pictureRequestedAt: Nullable(Type.String()),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'Storm warnings: `members`, the grouped warning ids.' }),
  },
  { additionalProperties: false },
);
export type WarningView = Static<typeof WarningView>;

export const timelineTypes = [
  'raised', 'upgraded', 'downgraded', 'cleared', 'acknowledged', 'comment', 'manual_clear', 'silenced',
  'storm_grouped', 'case_requested', 'picture_requested', 'late_reading', 'notified',
] as const;
export type TimelineType = (typeof timelineTypes)[number];

export const TimelineEntry = Type.Object(
  {
    at: Type.String(),
    source: Type.Enum(['warning', 'duty'], { description: 'warning: this table; duty: the 叫应 call log (calls, reminders, escalations).' }),
    type: Type.String({ description: 'A timeline type, or `callout.{type}` for duty entries.' }),
    fromGrade: Nullable(GradeName),
    toGrade: Nullable(GradeName),
    value: Nullable(Type.Number()),
    state: Nullable(Type.String()),
    actor: Nullable(Type.String()),
    text: Nullable(Type.String()),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type TimelineEntry = Static<typeof TimelineEntry>;

export const WarningQuery = Type.Object(
  {
    state: Type.Optional(Type.Enum([...warningStates, 'open'], { description: '`open`: active or acknowledged.' })),
    grade: Type.Optional(GradeName),
    minGrade: Type.Optional(GradeName),
    kind: Type.Optional(Type.String()),
    block: Type.Optional(Type.String({ pattern: '^[0-9-]{1,24}$', description: 'Block code prefix (dashes ignored).' })),
    rule: Type.Optional(Type.String()),
    device: Type.Optional(Type.String()),
    subject: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}$', description: 'Subject type: device, block, rule, external (CAP warnings from outside), case (SLA breaches), district (link alarms), channel (delivery give-ups).' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Raised at or after.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Raised before.' })),
    exercise: Type.Optional(Type.Boolean()),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'The `nextCursor` of the previous page.' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
export type WarningQuery = Static<typeof WarningQuery>;

const matcherProperties = {
  devices: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 1000, description: 'Device ids.' }),
  // The kinds adapters know: a misspelt kind would silently mute nothing.
  kinds: Type.Array(Type.Enum(deviceKinds), { default: [], maxItems: 100, description: 'Device kinds.' }),
  blocks: Type.Array(Type.String({ pattern: '^[0-9-]{1,24}$' }), { default: [], maxItems: 1000, description: 'Grid-block code prefixes (dashes ignored).' }),
  rules: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 1000, description: 'Rule ids.' }),
};
const matchersDescription = 'A warning matches when every non-empty list has an entry that matches it; at least one list must be non-empty.';

export const SilenceMatchers = Type.Object(matcherProperties, { additionalProperties: false, description: matchersDescription });
export type SilenceMatchers = Static<typeof SilenceMatchers>;

export const SilenceInput = Type.Object(
  {
    matchers: SilenceMatchers,
    startsAt: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
    endsAt: Type.String({ format: 'date-time' }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why (maintenance, a known fault): shown on every silenced warning.' }),
  },
  { additionalProperties: false },
);
export type SilenceInput = Static<typeof SilenceInput>;

export const SilenceView = Type.Object(
  {
    id: Type.String(),
    matchers: Type.Object({ ...matcherProperties, kinds: Type.Array(Type.String(), { description: 'Device kinds.' }) }, { additionalProperties: false, description: matchersDescription }),
    startsAt: Type.String(),
    endsAt: Type.String(),
    author: Type.String(),
    reason: Type.String(),
    createdAt: Type.String(),
    state: Type.Enum(['pending', 'active', 'expired', 'deleted']),
    deletedAt: Nullable(Type.String()),
    deletedBy: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type SilenceView = Static<typeof SilenceView>;
