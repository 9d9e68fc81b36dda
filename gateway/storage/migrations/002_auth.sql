-- Users, API keys, sessions and the audit log (gateway/auth, gateway/audit).
-- Timestamps are written by the gateway from its Clock, never defaulted to now() here.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
  display_name  text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'ops', 'vendor', 'district', 'viewer')),
  vendor        text,
  -- scrypt$N=..,r=..,p=..$salt$hash (gateway/auth/secrets.ts)
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CHECK ((role = 'vendor') = (vendor IS NOT NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  name         text NOT NULL,
  -- first characters of the key, shown in lists; the key itself is never stored
  prefix       text NOT NULL,
  key_hash     text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  role         text NOT NULL CHECK (role IN ('admin', 'ops', 'vendor', 'district', 'viewer', 'platform')),
  vendor       text,
  platform     text,
  owner_user   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  CHECK ((role = 'vendor') = (vendor IS NOT NULL)),
  CHECK ((role = 'platform') = (platform IS NOT NULL))
);

CREATE TABLE sessions (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  source_ip  text
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor_kind  text NOT NULL,
  actor_id    text NOT NULL,
  actor_name  text NOT NULL,
  actor_role  text NOT NULL,
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   text,
  before      jsonb,
  after       jsonb,
  request_id  text,
  source_ip   text
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at);
