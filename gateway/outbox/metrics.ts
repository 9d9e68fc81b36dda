import { Counter, Histogram, type Registry } from 'prom-client';

/** Outbox metrics, on the app's registry; several outboxes on one registry share them. */
export interface OutboxMetrics {
  /** Finished attempts and give-ups: outcome delivered, retry, failed, given_up, no_channel. */
  readonly outcomes: Counter<'channel' | 'outcome'>;
  /** Time a channel took to answer one delivery. */
  readonly deliverySeconds: Histogram<'channel'>;
}

export const outboxMetricNames = {
  outcomes: 'cityops_outbox_deliveries_total',
  deliverySeconds: 'cityops_outbox_delivery_seconds',
} as const;

export function outboxMetrics(registry: Registry): OutboxMetrics {
  const existingOutcomes = registry.getSingleMetric(outboxMetricNames.outcomes);
  const existingSeconds = registry.getSingleMetric(outboxMetricNames.deliverySeconds);
  const outcomes = existingOutcomes instanceof Counter
    ? (existingOutcomes as Counter<'channel' | 'outcome'>)
    : new Counter({ name: outboxMetricNames.outcomes, help: 'Outbox delivery attempts and give-ups by channel and outcome (delivered, retry, failed, given_up, no_channel).', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  const deliverySeconds = existingSeconds instanceof Histogram
    ? (existingSeconds as Histogram<'channel'>)
    : new Histogram({ name: outboxMetricNames.deliverySeconds, help: 'Time a notifier channel took to answer one delivery, in seconds.', labelNames: ['channel'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  return { outcomes, deliverySeconds };
}
