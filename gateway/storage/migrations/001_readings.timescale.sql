-- TimescaleDB (>= 2.13) for readings. Run statement by statement outside a transaction, so
-- every statement here must be re-runnable. Chunk interval, compression and retention
-- policies come from the configuration and are applied by code at every start
-- (timescale-policies.ts), so a config change takes effect without a migration.

-- No default time index: the key (device_id, metric, time) serves every query we make, and
-- each extra index costs ingest throughput. migrate_data: a database that started in plain
-- PostgreSQL mode keeps its rows.
SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'), create_default_indexes => false, if_not_exists => true, migrate_data => true);

-- Compressed chunks keep one segment per device and metric, newest first (how we read them).
ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id, metric', timescaledb.compress_orderby = 'time DESC');

-- Continuous aggregates for bucketed queries and Grafana. sum and value_count let coarser
-- buckets be rebuilt exactly (avg of avgs would be wrong); count is every reading, with or
-- without a numeric value. materialized_only = false: queries add the not yet materialized
-- recent rows (real-time aggregation; off by default since TimescaleDB 2.13).
CREATE MATERIALIZED VIEW IF NOT EXISTS readings_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, device_id, metric,
       sum(value) AS sum, count(value) AS value_count, count(*) AS count,
       min(value) AS min, max(value) AS max,
       last(value, time) AS last, last(state, time) AS last_state
FROM readings
GROUP BY bucket, device_id, metric
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS readings_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, device_id, metric,
       sum(value) AS sum, count(value) AS value_count, count(*) AS count,
       min(value) AS min, max(value) AS max,
       last(value, time) AS last, last(state, time) AS last_state
FROM readings
GROUP BY bucket, device_id, metric
WITH NO DATA;

-- Refresh windows reach back far enough to pick up a spool replayed after a long outage.
SELECT add_continuous_aggregate_policy('readings_1m', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => true);
SELECT add_continuous_aggregate_policy('readings_1h', start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes', if_not_exists => true);
