import { Counter, Gauge, type Registry } from 'prom-client';

/** Event feed metrics, on the app's registry (shared by the feed and its routes). */
export interface EventMetrics {
  /** Events committed, by type. */
  readonly emitted: Counter<'type'>;
  /** Open SSE streams. */
  readonly streams: Gauge;
  /** SSE streams closed because the client did not keep up. */
  readonly slowDrops: Counter;
}

export const eventMetricNames = {
  emitted: 'cityops_events_total',
  streams: 'cityops_event_streams',
  slowDrops: 'cityops_event_streams_dropped_total',
} as const;

export function eventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  const existing = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    emitted: existing(eventMetricNames.emitted, () => new Counter({ name: eventMetricNames.emitted, help: 'Platform events committed to the feed, by type.', labelNames: ['type'] as const, registers })),
    streams: existing(eventMetricNames.streams, () => new Gauge({ name: eventMetricNames.streams, help: 'Open server-sent event streams of the event feed.', registers })),
    slowDrops: existing(eventMetricNames.slowDrops, () => new Counter({ name: eventMetricNames.slowDrops, help: 'Event streams closed because the client read too slowly (it resumes with Last-Event-ID).', registers })),
  };
}
