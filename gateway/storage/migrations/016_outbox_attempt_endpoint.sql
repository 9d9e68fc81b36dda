-- Which endpoint an attempt went to (the district link's primary or backup, gateway/district):
-- delivery state per case and endpoint in the deliveries API. Null for single-endpoint channels.
ALTER TABLE outbox_attempts ADD COLUMN endpoint text;
