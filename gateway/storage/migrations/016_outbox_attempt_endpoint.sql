-- Which endpoint an attempt went to (the district link's primary or backup, gateway/district):
-- delivery state per case and endpoint in the deliveries API. Null for single-endpoint channels.
ALTER TABLE outbox_attempts ADD COLUMN endpoint text;

-- Order keys hold per channel (a receiver that is down delays only its own messages): the
-- claim's "older pending message with this order key" check now also names the channel.
DROP INDEX IF EXISTS outbox_pending_order;
CREATE INDEX outbox_pending_order ON outbox (channel, order_key, id) WHERE state = 'pending' AND order_key IS NOT NULL;
