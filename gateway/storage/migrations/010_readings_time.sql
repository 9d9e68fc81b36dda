-- Backtests replay stored readings in time order across devices (gateway/rules/backtest-stream.ts):
-- an ordered walk of this index over a time window, instead of one probe of the key per device
-- and metric and a sort. Rows arrive in time order, so the index grows at its right edge and
-- keeps one posting list per instant (deduplication): it is small and cheap to maintain.
CREATE INDEX IF NOT EXISTS readings_time ON readings (time);
