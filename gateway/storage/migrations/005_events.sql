-- The platform event feed (docs/events.md): one row per event, the id is the readers' cursor.
-- Retention: rows are kept for now; a retention job will prune by at_ms later.
--
-- Ids come from a sequence and concurrent transactions commit out of order, so a reader that
-- saw id 7 must not skip an id 6 that commits later. Readers in this process use the feed's own
-- bookkeeping; readers anywhere use the advisory locks taken below: before drawing an id, a
-- transaction takes a shared lock keyed by the last id drawn so far, held until it ends. Every
-- id it draws is above that key, so no id at or below the smallest key held can still appear.
-- That is why the id is drawn in a trigger (after the lock) rather than by a column default.
CREATE SEQUENCE events_id_seq;

CREATE TABLE events (
  id           bigint PRIMARY KEY,
  type         text NOT NULL,
  subject_type text NOT NULL,
  subject_id   text NOT NULL,
  block_code   text,
  grade        text CHECK (grade IN ('blue', 'yellow', 'orange', 'red')),
  exercise     boolean NOT NULL DEFAULT false,
  at_ms        bigint NOT NULL,
  data         jsonb NOT NULL
);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_type_id ON events (type, id);

-- 1702260340 is "evnt" in ASCII: the advisory-lock namespace of the feed (two-key form, so it
-- cannot collide with single-key locks such as the migration lock). Keys past the int4 range
-- are capped, which only makes readers more cautious.
-- One lock per transaction is enough (its first key is below all its ids) and keeps a
-- transaction that emits thousands of events from filling the lock table; a transaction-local
-- setting remembers it.
CREATE FUNCTION events_assign_id() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  drawn bigint;
BEGIN
  IF current_setting('cityops.events_lock', true) IS DISTINCT FROM 'held' THEN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO drawn FROM events_id_seq;
    PERFORM pg_advisory_xact_lock_shared(1702260340, least(drawn, 2147483647)::int4);
    PERFORM set_config('cityops.events_lock', 'held', true);
  END IF;
  NEW.id := nextval('events_id_seq');
  RETURN NEW;
END
$$;

CREATE TRIGGER events_assign_id BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_assign_id();

-- The highest id below which nothing can still commit: read the sequence first, then the locks
-- (in that order: an id drawn after the sequence read is above it; one drawn before it was
-- locked before it was drawn). Run it as its own statement before reading rows, so the rows'
-- snapshot is taken after the locks were read.
CREATE FUNCTION events_settled_id() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  drawn bigint;
  held bigint;
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO drawn FROM events_id_seq;
  SELECT min(objid::bigint) INTO held FROM pg_locks
    WHERE locktype = 'advisory' AND classid = 1702260340 AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
  RETURN least(drawn, held);
END
$$;
