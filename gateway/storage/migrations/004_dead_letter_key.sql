-- Dead letters travel through the ingest spool like readings, so a replay after a crash may
-- offer one twice. Its receive time in microseconds (unique per source) makes the insert
-- idempotent.
ALTER TABLE dead_letters ADD COLUMN received_us bigint;
CREATE UNIQUE INDEX dead_letters_replay_key ON dead_letters (source, received_us) WHERE received_us IS NOT NULL;
