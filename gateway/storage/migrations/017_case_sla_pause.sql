-- SLA clocks (gateway/sla, docs/sla.md), added to case_sla of migration 011:
-- duration_ms: the time the clock allows (duty time for a unit's sign and arrive clocks), as
--   configured when it started, so reports and the case file show it after a config change.
-- paused_at_ms / remaining_ms: a unit's clocks pause while its case is suspended (延期 / 挂账)
--   and run on after `resumed` with the duty time that was left.
ALTER TABLE case_sla ADD COLUMN duration_ms int8;
ALTER TABLE case_sla ADD COLUMN paused_at_ms int8;
ALTER TABLE case_sla ADD COLUMN remaining_ms int8;

-- The reports select clocks by when they started (first and written report clocks have no unit).
CREATE INDEX case_sla_started ON case_sla (started_at_ms);
