-- Readings: one narrow row per device, metric and time (DESIGN.md "Reading").
-- The key makes a replay after a crash harmless (INSERT ... ON CONFLICT DO NOTHING): readings
-- without a device timestamp get a receive time in microseconds, strictly increasing per
-- device, so distinct readings never share a key.
CREATE TABLE IF NOT EXISTS readings (
  time timestamptz NOT NULL,
  device_id text NOT NULL,
  metric text NOT NULL,
  value double precision,
  state text,
  seq bigint,
  CONSTRAINT readings_key PRIMARY KEY (device_id, metric, time)
);

-- Newest reading per device and metric, kept by the batch writer (newest time wins).
CREATE TABLE IF NOT EXISTS device_latest (
  device_id text NOT NULL,
  metric text NOT NULL,
  time timestamptz NOT NULL,
  value double precision,
  state text,
  seq bigint,
  PRIMARY KEY (device_id, metric)
);

-- Messages we could not turn into readings, kept with the reason so a vendor can fix them.
-- source: the MQTT topic, or `http:{platform}` for platform pushes.
CREATE TABLE IF NOT EXISTS dead_letters (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  source text NOT NULL,
  device_id text,
  adapter text,
  reason_code text NOT NULL,
  reason text NOT NULL,
  payload bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_received_at ON dead_letters (received_at);
CREATE INDEX IF NOT EXISTS dead_letters_device ON dead_letters (device_id, id) WHERE device_id IS NOT NULL;
