import { Type, type Static, type TSchema } from 'typebox';
import { grades } from '../../rules/schema.js';
import { capValues } from '../district/cap-spec.js';
import { WarningView } from '../warnings/schema.js';

/**
 * An accepted CAP 1.2 alert as JSON (what the parser gives, what is stored and served), and the
 * API's views of stored alerts (docs/external-warnings.md). Element names are CAP's own.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Text = Type.String();
const CapTime = Type.String({ description: 'CAP 1.2 dateTime as sent, with its offset (2024-07-01T08:30:00+08:00).' });

export const CapPair = Type.Object({ valueName: Text, value: Text }, { additionalProperties: false });
export const CapReference = Type.Object({ sender: Text, identifier: Text, sent: CapTime }, { additionalProperties: false });

export const CapResource = Type.Object(
  { resourceDesc: Text, mimeType: Text, size: Opt(Type.Integer({ minimum: 0 })), uri: Opt(Text), derefUri: Opt(Text), digest: Opt(Text) },
  { additionalProperties: false },
);

export const CapArea = Type.Object(
  {
    areaDesc: Text,
    polygon: Type.Array(Text),
    circle: Type.Array(Text),
    geocode: Type.Array(CapPair),
    altitude: Opt(Type.Number()),
    ceiling: Opt(Type.Number()),
  },
  { additionalProperties: false },
);

export const CapInfo = Type.Object(
  {
    language: Type.String({ description: 'Default en-US (CAP 1.2 §3.2.2).' }),
    category: Type.Array(Type.Enum(capValues.category)),
    event: Text,
    responseType: Type.Array(Type.Enum(capValues.responseType)),
    urgency: Type.Enum(capValues.urgency),
    severity: Type.Enum(capValues.severity),
    certainty: Type.Enum(capValues.certainty),
    audience: Opt(Text),
    eventCode: Type.Array(CapPair),
    effective: Opt(CapTime),
    onset: Opt(CapTime),
    expires: Opt(CapTime),
    senderName: Opt(Text),
    headline: Opt(Text),
    description: Opt(Text),
    instruction: Opt(Text),
    web: Opt(Text),
    contact: Opt(Text),
    parameter: Type.Array(CapPair),
    resource: Type.Array(CapResource),
    area: Type.Array(CapArea),
  },
  { additionalProperties: false },
);

export const CapAlert = Type.Object(
  {
    identifier: Text,
    sender: Text,
    sent: CapTime,
    status: Type.Enum(capValues.status),
    msgType: Type.Enum(capValues.msgType),
    source: Opt(Text),
    scope: Type.Enum(capValues.scope),
    restriction: Opt(Text),
    addresses: Opt(Text),
    code: Type.Array(Text),
    note: Opt(Text),
    references: Type.Array(CapReference, { description: 'The `references` element split into its sender,identifier,sent triples.' }),
    incidents: Opt(Text),
    info: Type.Array(CapInfo),
  },
  { additionalProperties: false },
);
export type CapAlert = Static<typeof CapAlert>;
export type CapInfo = Static<typeof CapInfo>;
export type CapArea = Static<typeof CapArea>;
export type CapPair = Static<typeof CapPair>;
export type CapReference = Static<typeof CapReference>;

/** What the gateway did with an alert. */
export const externalActions = ['raised', 'regraded', 'unchanged', 'cleared', 'stored', 'expired', 'superseded'] as const;
export type ExternalAction = (typeof externalActions)[number];

export const ExternalWarningView = Type.Object(
  {
    id: Type.String({ description: 'Our id of the received alert (decimal string).' }),
    sender: Text,
    identifier: Text,
    sent: CapTime,
    status: Type.Enum(capValues.status),
    msgType: Type.Enum(capValues.msgType),
    references: Type.Array(CapReference),
    chain: Type.Object({ sender: Text, identifier: Text }, { additionalProperties: false, description: 'The first alert of its Alert → Update → Cancel chain: the warning fingerprint is `external/{sender}/{identifier}` of it.' }),
    event: Nullable(Text),
    headline: Nullable(Text),
    severity: Nullable(Type.Enum(capValues.severity)),
    grade: Nullable(Type.Enum(grades, { description: 'The grade it mapped to (the deciding info); null for Cancel, Ack and Error.' })),
    category: Nullable(Type.String({ description: 'The call-plan category it mapped to.' })),
    blockCode: Type.String({ description: 'From the area geocodes (docs/external-warnings.md); empty when none names a place.' }),
    expiresAt: Nullable(Type.String({ description: 'When the alert stops being in force (latest info `expires`), ISO 8601; null: never.' })),
    action: Type.Enum(externalActions, { description: 'raised, regraded, unchanged (same grade), cleared: what it did to its warning; stored: kept only (Test, System, Draft, Ack, Error, a Cancel of nothing open); expired: already expired when received; superseded: older than a message of the same chain already applied.' }),
    warningId: Nullable(Type.String({ description: 'The warning it maps to (beside our own in /api/v1/warnings, subject type `external`).' })),
    receivedAt: Type.String({ description: 'ISO 8601 (UTC).' }),
    receivedBy: Type.String({ description: 'The principal that posted it.' }),
  },
  { additionalProperties: false },
);
export type ExternalWarningView = Static<typeof ExternalWarningView>;

export const ExternalWarningDetail = Type.Object(
  { externalWarning: ExternalWarningView, alert: CapAlert, xml: Type.String({ description: 'The alert as received (decoded to UTF-8).' }) },
  { additionalProperties: false },
);
export type ExternalWarningDetail = Static<typeof ExternalWarningDetail>;

export const ReceiveResult = Type.Object(
  {
    duplicate: Type.Boolean({ description: 'The same alert (sender and identifier) was received before; nothing changed.' }),
    externalWarning: ExternalWarningView,
    warning: Nullable(WarningView),
  },
  { additionalProperties: false },
);
export type ReceiveResult = Static<typeof ReceiveResult>;

export const ExternalWarningQuery = Type.Object(
  {
    sender: Opt(Type.String({ minLength: 1, maxLength: 500 })),
    status: Opt(Type.Enum(capValues.status)),
    msgType: Opt(Type.Enum(capValues.msgType)),
    action: Opt(Type.Enum(externalActions)),
    warning: Opt(Type.String({ pattern: '^[0-9]{1,19}$', description: 'Only alerts mapped to this warning.' })),
    from: Opt(Type.String({ format: 'date-time', description: 'Received at or after.' })),
    to: Opt(Type.String({ format: 'date-time', description: 'Received before.' })),
    cursor: Opt(Type.String({ pattern: '^[0-9]{1,19}$', description: 'The `nextCursor` of the previous page.' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
export type ExternalWarningQuery = Static<typeof ExternalWarningQuery>;
