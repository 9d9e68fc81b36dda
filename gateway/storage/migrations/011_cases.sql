-- Cases (gateway/cases, docs/cases.md): what goes to the district and comes back, one row per
-- case with every status time, and one transition row per step with its actor (one event, one
-- file: seed S16). Times are epoch milliseconds from the gateway's clock.
CREATE TABLE cases (
  id                bigserial PRIMARY KEY,
  source            text NOT NULL CHECK (source IN ('warning', 'external', 'manual')),
  -- warning: the rule id; external: the source id (12345, 110); manual: the user.
  source_name       text NOT NULL,
  -- The external source's own id for the report (idempotency: one case per report).
  external_id       text,
  warning_id        int8 UNIQUE,
  district_case_no  text,
  category          text NOT NULL,
  kind              text,
  grade             text CHECK (grade IN ('blue', 'yellow', 'orange', 'red')),
  title             text NOT NULL,
  description       text NOT NULL DEFAULT '',
  block_code        text NOT NULL DEFAULT '',
  -- { lon, lat, address } as far as known.
  location          jsonb NOT NULL DEFAULT '{}',
  status            text NOT NULL CHECK (status IN ('new', 'reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed', 'returned', 'suspended')),
  -- Where a suspended case resumes.
  resume_status     text,
  unit_id           text,
  unit_tier         smallint CHECK (unit_tier IN (1, 2, 3)),
  exercise          boolean NOT NULL DEFAULT false,
  incident_at_ms    int8 NOT NULL,
  created_at_ms     int8 NOT NULL,
  updated_at_ms     int8 NOT NULL,
  reported_at_ms    int8,
  dispatched_at_ms  int8,
  signed_at_ms      int8,
  arrived_at_ms     int8,
  handled_at_ms     int8,
  verified_at_ms    int8,
  closed_at_ms      int8,
  created_by        text NOT NULL,
  data              jsonb NOT NULL DEFAULT '{}',
  UNIQUE (source_name, external_id)
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_created ON cases (created_at_ms);
CREATE INDEX cases_unit ON cases (unit_id, dispatched_at_ms) WHERE unit_id IS NOT NULL;

CREATE TABLE case_transitions (
  id          bigserial PRIMARY KEY,
  case_id     int8 NOT NULL REFERENCES cases (id),
  from_status text,
  to_status   text NOT NULL,
  at_ms       int8 NOT NULL,
  recorded_at_ms int8 NOT NULL,
  -- Who: a user id, `district`, `system`, or `source:{id}`.
  actor       text NOT NULL,
  actor_type  text NOT NULL CHECK (actor_type IN ('user', 'district', 'system', 'source')),
  note        text,
  data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_transitions_case ON case_transitions (case_id, id);

-- SLA clocks (gateway/sla): one row per clock a case runs; a re-dispatch starts new sign and
-- arrive clocks (seq). Met and breached are both kept: a late step is met after its breach.
CREATE TABLE case_sla (
  case_id         int8 NOT NULL REFERENCES cases (id),
  clock           text NOT NULL CHECK (clock IN ('first_report', 'written_report', 'sign', 'arrive')),
  seq             integer NOT NULL DEFAULT 0,
  unit_id         text,
  unit_tier       smallint,
  started_at_ms   int8 NOT NULL,
  deadline_ms     int8 NOT NULL,
  met_at_ms       int8,
  breached_at_ms  int8,
  -- Stopped without being met: the case was closed, returned or re-dispatched first.
  stopped_at_ms   int8,
  PRIMARY KEY (case_id, clock, seq)
);
CREATE INDEX case_sla_open ON case_sla (deadline_ms) WHERE met_at_ms IS NULL AND breached_at_ms IS NULL AND stopped_at_ms IS NULL;
CREATE INDEX case_sla_unit ON case_sla (unit_id, started_at_ms) WHERE unit_id IS NOT NULL;
