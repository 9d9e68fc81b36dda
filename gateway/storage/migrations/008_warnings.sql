-- Warnings (issue 4, docs/warnings.md): one row per warning, graded in place; a new row only
-- after a clear. Times are epoch milliseconds taken from the caller (the engine's transition
-- time or the clock), never the database's now(). Grades are levels: 1 blue … 4 red.
CREATE TABLE warnings (
  id                      bigserial PRIMARY KEY,
  fingerprint             text NOT NULL,
  rule_id                 text,
  rule_version            integer,
  subject_type            text NOT NULL,
  subject_id              text NOT NULL,
  device_id               text,
  kind                    text,
  block_code              text NOT NULL,
  category                text NOT NULL,
  grade                   smallint NOT NULL CHECK (grade BETWEEN 1 AND 4),
  peak_grade              smallint NOT NULL CHECK (peak_grade BETWEEN 1 AND 4),
  state                   text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'acknowledged', 'cleared')),
  raised_at_ms            bigint NOT NULL,
  -- When this process recorded the raise (nowMs): the storm-control window counts these.
  recorded_at_ms          bigint NOT NULL,
  updated_at_ms           bigint NOT NULL,
  -- The time of the last change from the engine (or a manual clear): older transitions are replays.
  transition_at_ms        bigint NOT NULL,
  cleared_at_ms           bigint,
  acknowledged_at_ms      bigint,
  acknowledged_by         text,
  silenced                boolean NOT NULL DEFAULT false,
  storm_id                bigint REFERENCES warnings (id),
  exercise                boolean NOT NULL DEFAULT false,
  metric                  text,
  last_value              double precision,
  last_state              text,
  reason                  text NOT NULL DEFAULT '',
  case_requested_at_ms    bigint,
  picture_requested_at_ms bigint,
  -- Storm warnings list their members here ({"members": ["12", "13"]}).
  data                    jsonb NOT NULL DEFAULT '{}'
);
-- One open warning per fingerprint; after a clear the next raise is a new warning.
CREATE UNIQUE INDEX warnings_open_fingerprint ON warnings (fingerprint) WHERE state <> 'cleared';
CREATE INDEX warnings_fingerprint ON warnings (fingerprint, id DESC);
CREATE INDEX warnings_block ON warnings (block_code text_pattern_ops);
CREATE INDEX warnings_raised ON warnings (raised_at_ms);
CREATE INDEX warnings_recorded ON warnings (recorded_at_ms);
CREATE INDEX warnings_open_device ON warnings (device_id) WHERE state <> 'cleared';
CREATE INDEX warnings_storm ON warnings (storm_id) WHERE storm_id IS NOT NULL;

-- What happened to a warning, oldest first. The 叫应 call log lives with duty and is merged in by the API.
CREATE TABLE warning_timeline (
  id          bigserial PRIMARY KEY,
  warning_id  bigint NOT NULL REFERENCES warnings (id) ON DELETE CASCADE,
  at_ms       bigint NOT NULL,
  type        text NOT NULL CHECK (type IN ('raised', 'upgraded', 'downgraded', 'cleared', 'acknowledged', 'comment', 'manual_clear', 'silenced',
                                            'storm_grouped', 'case_requested', 'picture_requested', 'late_reading', 'notified')),
  from_grade  smallint,
  to_grade    smallint,
  value       double precision,
  state       text,
  actor       text,
  text        text,
  data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX warning_timeline_warning ON warning_timeline (warning_id, id);

-- Silences (maintenance windows): matching warnings are recorded but nothing goes out.
-- Every non-empty matcher list must match (any of its entries); at least one is non-empty.
CREATE TABLE silences (
  id              bigserial PRIMARY KEY,
  device_ids      text[] NOT NULL DEFAULT '{}',
  kinds           text[] NOT NULL DEFAULT '{}',
  block_prefixes  text[] NOT NULL DEFAULT '{}',
  rule_ids        text[] NOT NULL DEFAULT '{}',
  starts_at_ms    bigint NOT NULL,
  ends_at_ms      bigint NOT NULL CHECK (ends_at_ms > starts_at_ms),
  author          text NOT NULL,
  reason          text NOT NULL CHECK (reason <> ''),
  created_at_ms   bigint NOT NULL,
  deleted         boolean NOT NULL DEFAULT false,
  deleted_at_ms   bigint,
  deleted_by      text
);
CREATE INDEX silences_live ON silences (ends_at_ms) WHERE NOT deleted;
