import { Type, type Static } from 'typebox';

/** The deliveries API's view of outbox rows (`/api/v1/deliveries`). Times are ISO 8601 (UTC). */
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const DeliveryStateSchema = Type.Enum(['pending', 'delivered', 'failed', 'given_up']);

export const Delivery = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  key: Type.String({ description: 'Idempotency key; receivers get it as the Idempotency-Key header.' }),
  state: DeliveryStateSchema,
  attempts: Type.Integer({ description: 'Attempts since the message was last queued (a manual retry starts again at 0).' }),
  orderKey: NullableString,
  subject: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
  payload: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  notBefore: Type.String(),
  nextAttemptAt: Type.String(),
  giveUpAt: Type.String(),
  lastError: NullableString,
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last answer, where the channel has one.' }),
  receipt: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: "The receiver's delivery receipt (broadcast controllers), or its JSON answer." }),
  deliveredAt: NullableString,
});
export type Delivery = Static<typeof Delivery>;

export const DeliveryAttempt = Type.Object({
  at: Type.String(),
  ok: Type.Boolean(),
  retryable: Type.Boolean(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  error: NullableString,
  durationMs: Type.Integer(),
  endpoint: Type.Union([Type.String(), Type.Null()], { description: 'Which endpoint took the call, for channels with several (the district link: primary or backup); null otherwise.' }),
});
export type DeliveryAttempt = Static<typeof DeliveryAttempt>;

export const DeliveryWithAttempts = Type.Object({ ...Delivery.properties, attemptLog: Type.Array(DeliveryAttempt, { description: 'Every call to the channel, oldest first.' }) });
export type DeliveryWithAttempts = Static<typeof DeliveryWithAttempts>;

export const DeliveryQuery = Type.Object({
  state: Type.Optional(DeliveryStateSchema),
  channel: Type.Optional(Type.String()),
  subjectType: Type.Optional(Type.String()),
  subjectId: Type.Optional(Type.String({ description: 'Only with subjectType.' })),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Cursor: `next` of the previous page.' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type DeliveryQuery = Static<typeof DeliveryQuery>;
