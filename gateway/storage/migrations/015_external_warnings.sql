-- CAP 1.2 alerts received from outside sources (weather, natural resources, water, agriculture,
-- transport, construction; seed 003 §四1), gateway/external-warnings, docs/external-warnings.md.
-- Every accepted alert is kept, whatever it did. Times are epoch milliseconds from the gateway's
-- clock, except `sent`, kept as the sender wrote it (CAP dateTime with its offset).
CREATE TABLE external_warnings (
  id                bigserial PRIMARY KEY,
  sender            text NOT NULL,
  identifier        text NOT NULL,
  sent              text NOT NULL,
  sent_at_ms        int8 NOT NULL,
  status            text NOT NULL CHECK (status IN ('Actual', 'Exercise', 'System', 'Test', 'Draft')),
  msg_type          text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel', 'Ack', 'Error')),
  -- CAP `references` as [{sender, identifier, sent}].
  refs              jsonb NOT NULL DEFAULT '[]',
  -- The first alert of its Alert → Update → Cancel chain: the warning fingerprint is
  -- external/{chain_sender}/{chain_identifier}.
  chain_sender      text NOT NULL,
  chain_identifier  text NOT NULL,
  -- From the deciding info (null without one).
  event             text,
  headline          text,
  severity          text,
  grade             text CHECK (grade IN ('blue', 'yellow', 'orange', 'red')),
  category          text,
  block_code        text NOT NULL DEFAULT '',
  expires_at_ms     int8,
  action            text NOT NULL CHECK (action IN ('raised', 'regraded', 'unchanged', 'cleared', 'stored', 'expired', 'superseded')),
  warning_id        int8 REFERENCES warnings (id),
  -- sha256 of the parsed alert: a repeat with other content under the same identifier is refused.
  digest            text NOT NULL,
  alert             jsonb NOT NULL,
  raw_xml           text NOT NULL,
  received_at_ms    int8 NOT NULL,
  received_by       text NOT NULL,
  UNIQUE (sender, identifier)
);
CREATE INDEX external_warnings_chain ON external_warnings (chain_sender, chain_identifier, sent_at_ms);
CREATE INDEX external_warnings_warning ON external_warnings (warning_id) WHERE warning_id IS NOT NULL;
CREATE INDEX external_warnings_expiry ON external_warnings (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
