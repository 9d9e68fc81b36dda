-- Device registry (issue 3 §5). Locations are stored in WGS-84; what the caller sent (and in
-- which coordinate system) is kept beside it for traceability.
CREATE TABLE devices (
  id              text PRIMARY KEY,
  name            text NOT NULL,
  kind            text NOT NULL,
  adapter         text NOT NULL,
  vendor          text,
  owner_unit      text,
  lon             double precision NOT NULL,
  lat             double precision NOT NULL,
  address         text,
  input_lon       double precision NOT NULL,
  input_lat       double precision NOT NULL,
  input_crs       text NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  block_code      text NOT NULL CHECK (block_code ~ '^[0-9]{17}$'),
  tags            text[] NOT NULL DEFAULT '{}',
  platform        text,
  external_id     text,
  heartbeat_ms    integer,
  exercise        boolean NOT NULL DEFAULT false,
  password_hash   text NOT NULL,
  credentials_rotated_at timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
  status_reason   text,
  status_changed_at timestamptz,
  last_seen       timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX devices_block_code ON devices (block_code text_pattern_ops);
CREATE INDEX devices_vendor ON devices (vendor);
CREATE UNIQUE INDEX devices_platform_external ON devices (platform, external_id) WHERE external_id IS NOT NULL;

-- Every online/offline change, with why (connect, last will, heartbeat timeout, message).
CREATE TABLE device_status_events (
  id         bigserial PRIMARY KEY,
  device_id  text NOT NULL,
  status     text NOT NULL,
  reason     text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX device_status_events_device ON device_status_events (device_id, at DESC);
