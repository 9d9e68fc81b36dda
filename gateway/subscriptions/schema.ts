import { Type, type Static } from 'typebox';
import { grades } from '../../rules/schema.js';

/**
 * The subscriptions API's wire model (docs/subscriptions.md): webhook subscriptions of the
 * district centre to the event feed, delivered through the outbox. The secret goes in, never out.
 */

const TypePattern = Type.String({
  pattern: '^(\\*|[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*(\\.\\*)?)$',
  maxLength: 100,
  description: 'An event type (`warning.raised`) or a prefix (`warning.*`, `case.*`), or `*`.',
});

export const SubscriptionFilter = Type.Object(
  {
    minGrade: Type.Optional(Type.Enum(grades, { description: 'Only events with a grade at or above this one (events without a grade do not pass).' })),
    kinds: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), {
      minItems: 1, maxItems: 50, uniqueItems: true,
      description: 'Only events about these kinds (`waterlogging`, `smoke`, ...: the kind of the warning or case in the event); events without a kind do not pass.',
    })),
    blocks: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{1,24}$' }), {
      minItems: 1, maxItems: 500, uniqueItems: true,
      description: 'Grid-block code prefixes: only events whose blockCode starts with one (events without a block do not pass).',
    })),
    types: Type.Optional(Type.Array(TypePattern, { minItems: 1, maxItems: 50, uniqueItems: true, description: 'Event types or prefixes; default every type.' })),
  },
  { additionalProperties: false, description: 'Every condition given must hold; an empty filter passes every event.' },
);
export type SubscriptionFilter = Static<typeof SubscriptionFilter>;

const Url = Type.String({ minLength: 8, maxLength: 2048, description: 'http or https URL the events are POSTed to; no user:password in it.' });
const secret = (more: string) => Type.String({ pattern: '^\\S{16,256}$', description: `HMAC-SHA256 key for X-CityOps-Signature: 16 to 256 characters, no spaces. Never returned. ${more}` });
const Description = Type.String({ maxLength: 500 });

export const SubscriptionInput = Type.Object(
  {
    url: Url,
    secret: Type.Optional(secret('Omitted: the gateway makes one and returns it once, in this answer.')),
    filter: Type.Optional(SubscriptionFilter),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
export type SubscriptionInput = Static<typeof SubscriptionInput>;

export const SubscriptionPatch = Type.Object(
  {
    url: Type.Optional(Url),
    secret: Type.Optional(secret('A new secret (rotation): deliveries from now on are signed with it.')),
    filter: Type.Optional(SubscriptionFilter),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ description: 'false disables it (as DELETE does); true enables it again.' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type SubscriptionPatch = Static<typeof SubscriptionPatch>;

const Time = Type.String({ description: 'ISO 8601 with +08:00.' });

export const Subscription = Type.Object({
  id: Type.String(),
  url: Type.String(),
  filter: SubscriptionFilter,
  description: Type.String(),
  enabled: Type.Boolean(),
  owner: Type.Object({ id: Type.String({ description: 'The principal that created it: `user:{id}` or `apikey:{id}`.' }), name: Type.String() }),
  fromEventId: Type.String({ description: 'Events with a higher id are delivered (the event of its creation).' }),
  createdAt: Time,
  updatedAt: Time,
  secretSetAt: Time,
  disabledAt: Type.Union([Time, Type.Null()]),
});
export type Subscription = Static<typeof Subscription>;

export const SubscriptionCreated = Type.Object({
  subscription: Subscription,
  secret: Type.Optional(Type.String({ description: 'Only when the gateway made the secret: this once, never again.' })),
});

export const SubscriptionQuery = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Cursor: `next` of the previous page.' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

/** What a subscriber receives: the event envelope, with contacts masked (docs/subscriptions.md). */
export interface DeliveredEvent extends Record<string, unknown> {
  id: string;
  type: string;
  at: string;
  subject: { type: string; id: string };
  blockCode: string | null;
  grade: string | null;
  exercise: boolean;
  data: Record<string, unknown>;
}

/** The outbox payload of a `subscription` message. */
export interface SubscriptionPayload extends Record<string, unknown> {
  subscriptionId: string;
  event: DeliveredEvent;
}

/** The outbox channel of subscription deliveries. */
export const subscriptionChannelName = 'subscription';
