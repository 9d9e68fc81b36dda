-- What goes to the district and comes back (gateway/district, docs/district-link.md). Times
-- are epoch milliseconds from the gateway's clock.

-- Every message the forwarder queued about a warning, oldest first: a warning once forwarded is
-- followed to its clear, keeps the format it started with, and its CAP Update and Cancel
-- reference the earlier messages (CAP 1.2 §3.2.1 `references`).
CREATE TABLE district_warning_messages (
  warning_id     int8 NOT NULL,
  -- The feed event it was built from: the CAP sequence number and part of the outbox key.
  event_id       int8 NOT NULL,
  event          text NOT NULL CHECK (event IN ('raised', 'updated', 'cleared')),
  grade          text NOT NULL CHECK (grade IN ('blue', 'yellow', 'orange', 'red')),
  format         text NOT NULL CHECK (format IN ('json', 'cap')),
  outbox_key     text NOT NULL,
  cap_sender     text,
  cap_identifier text,
  cap_sent       text,
  queued_at_ms   int8 NOT NULL,
  PRIMARY KEY (warning_id, event_id)
);

-- Nonces of district feedback (X-CityOps-Nonce): a nonce is accepted once. The insert runs in
-- the transaction that moves the case, so of two concurrent replays one waits on the key and
-- then loses. Rows are pruned once no timestamp they could be replayed with is still accepted.
CREATE TABLE district_feedback_nonces (
  nonce          text PRIMARY KEY,
  received_at_ms int8 NOT NULL,
  expires_at_ms  int8 NOT NULL,
  case_id        text,
  -- accepted: the case moved; refused: a signed request that failed (validation, unknown case, illegal step).
  outcome        text NOT NULL CHECK (outcome IN ('accepted', 'refused'))
);
CREATE INDEX district_feedback_nonces_expiry ON district_feedback_nonces (expires_at_ms);
