-- The durable outbox (gateway/outbox, docs/notifications.md): every outbound delivery is a row,
-- claimed by workers with FOR UPDATE SKIP LOCKED and a lease, retried with backoff until
-- delivered, refused for good, or older than its maximum age. Times are epoch milliseconds
-- from the gateway's clock, never the database's now().
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  channel         text NOT NULL,
  idem_key        text NOT NULL,
  payload         jsonb NOT NULL,
  order_key       text,
  subject_type    text,
  subject_id      text,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'given_up')),
  -- Attempts since the message was last queued (a manual retry starts again at 0; outbox_attempts keeps them all).
  attempts        integer NOT NULL DEFAULT 0,
  created_at_ms   int8 NOT NULL,
  not_before_ms   int8 NOT NULL,
  max_age_ms      int8 NOT NULL,
  -- When it is given up: due time + max age, moved on a manual retry.
  give_up_at_ms   int8 NOT NULL,
  next_attempt_ms int8 NOT NULL,
  locked_until_ms int8,
  locked_by       text,
  last_error      text,
  last_status     integer,
  receipt         jsonb,
  delivered_at_ms int8,
  UNIQUE (channel, idem_key)
);
-- The claim scans pending rows in id order; a second index serves a table full of messages
-- backing off (most pending rows not yet due).
CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
CREATE INDEX outbox_pending_due ON outbox (next_attempt_ms) WHERE state = 'pending';
-- "Is an older message with this order key still pending?"
CREATE INDEX outbox_pending_order ON outbox (order_key, id) WHERE state = 'pending' AND order_key IS NOT NULL;
CREATE INDEX outbox_subject ON outbox (subject_type, subject_id) WHERE subject_type IS NOT NULL;
CREATE INDEX outbox_state_id ON outbox (state, id);

-- One row per call to a channel, whatever came of it.
CREATE TABLE outbox_attempts (
  id          bigserial PRIMARY KEY,
  message_id  int8 NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
  at_ms       int8 NOT NULL,
  ok          boolean NOT NULL,
  retryable   boolean NOT NULL,
  status      integer,
  error       text,
  duration_ms integer NOT NULL
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, id);
