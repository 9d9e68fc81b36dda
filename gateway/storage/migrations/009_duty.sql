-- Disposal units, duty roster, call plans and 叫应 callouts (issue 4, docs/duty.md).

-- 联动单位 (seed 004 第十条): tier 1/2/3, the duty calendar it keeps, contacts, and the blocks
-- and device kinds it answers for (empty: all).
CREATE TABLE duty_units (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  tier        smallint NOT NULL CHECK (tier IN (1, 2, 3)),
  calendar    jsonb NOT NULL,
  contacts    jsonb NOT NULL DEFAULT '[]',
  blocks      text[] NOT NULL DEFAULT '{}',
  kinds       text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- 值班表: who is on post, by role, for which blocks and kinds (empty: all) and when.
CREATE TABLE duty_shifts (
  id          bigserial PRIMARY KEY,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
  blocks      text[] NOT NULL DEFAULT '{}',
  kinds       text[] NOT NULL DEFAULT '{}',
  people      jsonb NOT NULL,
  note        text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX duty_shifts_time ON duty_shifts (starts_at, ends_at);

-- Call plans edited by ops; a category without a row uses the built-in plan.
CREATE TABLE duty_call_plans (
  category    text PRIMARY KEY,
  plan        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- One callout per warning. `steps` is the chain resolved when it started, so editing a plan
-- does not move a running callout. `next_at` is when tick() must look at it next.
CREATE TABLE callouts (
  warning_id       text PRIMARY KEY,
  fingerprint      text NOT NULL,
  grade            text NOT NULL CHECK (grade IN ('blue', 'yellow', 'orange', 'red')),
  kind             text,
  block_code       text NOT NULL,
  category         text NOT NULL,
  summary          text NOT NULL,
  exercise         boolean NOT NULL DEFAULT false,
  steps            jsonb NOT NULL,
  remind_every_ms  integer NOT NULL CHECK (remind_every_ms >= 0),
  state            text NOT NULL CHECK (state IN ('calling', 'acknowledged', 'cancelled', 'exhausted')),
  step             integer NOT NULL,
  person           jsonb,
  calls            integer NOT NULL DEFAULT 0,
  deadline_at      timestamptz NOT NULL,
  next_at          timestamptz,
  acknowledged_by  text,
  acknowledged_person text,
  acknowledged_at  timestamptz,
  closed_reason    text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX callouts_due ON callouts (next_at) WHERE state IN ('calling', 'exhausted');

-- Every call, reminder, escalation, acknowledgement (一事一档). `pending_event` holds the event
-- still to emit when the writer had no event transaction; tick() emits and clears it.
CREATE TABLE callout_log (
  id             bigserial PRIMARY KEY,
  warning_id     text NOT NULL,
  at             timestamptz NOT NULL,
  type           text NOT NULL,
  step           integer,
  role           text,
  person_id      text,
  person_name    text,
  channel        text,
  detail         text NOT NULL,
  pending_event  jsonb
);
CREATE INDEX callout_log_warning ON callout_log (warning_id, id);
CREATE INDEX callout_log_pending ON callout_log (id) WHERE pending_event IS NOT NULL;
