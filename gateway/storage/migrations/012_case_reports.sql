-- Written reports of cases (gateway/cases/report.ts, docs/cases.md "Written report"): seeds
-- 000 and 004 ask for a structured report in writing within 60 minutes of the incident. Every
-- edit is a new version; the duty officer confirms one, and only a confirmed version counts
-- (it stops the written_report SLA clock and goes to the district). Times are epoch
-- milliseconds from the gateway's clock.
CREATE TABLE case_reports (
  case_id            int8 NOT NULL REFERENCES cases (id),
  version            integer NOT NULL CHECK (version >= 1),
  -- { what, where, when, grade, areaAffected, casualties, losses, measuresTaken, pictures, nextSteps }
  body               jsonb NOT NULL,
  edited_by          text NOT NULL,
  edited_by_name     text NOT NULL,
  edited_at_ms       int8 NOT NULL,
  note               text,
  confirmed_by       text,
  confirmed_by_name  text,
  confirmed_at_ms    int8,
  PRIMARY KEY (case_id, version)
);

-- One event, one file (seed S16): a case's events are read by subject.
CREATE INDEX IF NOT EXISTS events_subject ON events (subject_type, subject_id, id);
