-- The event relay (gateway/events/relay.ts): one durable cursor per consumer, the id of the last
-- event it handled. A page of events is handled in the transaction that moves the cursor on,
-- with the row locked (FOR UPDATE), so two processes never handle the same page.
CREATE TABLE event_cursors (
  consumer      text PRIMARY KEY,
  last_id       bigint NOT NULL,
  updated_at_ms bigint NOT NULL
);

-- Webhook subscriptions of the district centre (gateway/subscriptions, docs/subscriptions.md).
-- Deleting one only disables it: its deliveries stay in the outbox, visible. Times are epoch
-- milliseconds from the gateway's clock.
CREATE TABLE subscriptions (
  id             bigserial PRIMARY KEY,
  -- The principal that created it, `{kind}:{id}` (user or API key): a district caller sees only its own.
  owner          text NOT NULL,
  owner_name     text NOT NULL,
  url            text NOT NULL,
  -- HMAC-SHA256 key of the X-CityOps-Signature header; never returned by the API.
  secret         text NOT NULL,
  -- { minGrade?, kinds?, blocks?, types? } (gateway/subscriptions/schema.ts).
  filter         jsonb NOT NULL DEFAULT '{}',
  description    text NOT NULL DEFAULT '',
  enabled        boolean NOT NULL DEFAULT true,
  -- Events with a higher id are delivered: the subscription.changed event of its creation.
  from_event_id  bigint NOT NULL,
  created_at_ms  bigint NOT NULL,
  updated_at_ms  bigint NOT NULL,
  secret_set_at_ms bigint NOT NULL,
  disabled_at_ms bigint
);
CREATE INDEX subscriptions_owner ON subscriptions (owner, id);
CREATE INDEX subscriptions_enabled ON subscriptions (id) WHERE enabled;
