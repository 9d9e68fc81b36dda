import { Counter, Gauge, type Registry } from 'prom-client';

/** District link metrics, on the app's registry (several links on one registry share them: tests). */
export interface LinkMetrics {
  /** Calls to an endpoint by what came of them: delivered, refused (answered, not taken), unavailable (no answer, 5xx). */
  readonly deliveries: Counter<'endpoint' | 'result'>;
  /** 1 for the endpoint new deliveries go to, 0 for the other. */
  readonly active: Gauge<'endpoint'>;
  /** 1 while an endpoint is healthy. */
  readonly up: Gauge<'endpoint'>;
  /** Changes of the active endpoint, by the endpoint switched to. */
  readonly switches: Counter<'to'>;
}

export const linkMetricNames = {
  deliveries: 'cityops_district_deliveries_total',
  active: 'cityops_district_active_endpoint',
  up: 'cityops_district_endpoint_up',
  switches: 'cityops_district_switches_total',
} as const;

function existing<M>(registry: Registry, name: string, type: abstract new (...args: never[]) => M): M | undefined {
  const m = registry.getSingleMetric(name);
  return m instanceof type ? m : undefined;
}

export function linkMetrics(registry: Registry): LinkMetrics {
  const registers = [registry];
  return {
    deliveries: existing<Counter<'endpoint' | 'result'>>(registry, linkMetricNames.deliveries, Counter)
      ?? new Counter({ name: linkMetricNames.deliveries, help: 'Calls to a district endpoint by result: delivered, refused (answered but not taken: 4xx, 2xx with ok:false), unavailable (network error, timeout, 5xx).', labelNames: ['endpoint', 'result'] as const, registers }),
    active: existing<Gauge<'endpoint'>>(registry, linkMetricNames.active, Gauge)
      ?? new Gauge({ name: linkMetricNames.active, help: 'The district endpoint new deliveries go to (1) and the other (0).', labelNames: ['endpoint'] as const, registers }),
    up: existing<Gauge<'endpoint'>>(registry, linkMetricNames.up, Gauge)
      ?? new Gauge({ name: linkMetricNames.up, help: 'Whether a district endpoint is taken as healthy (1) or down and being probed (0).', labelNames: ['endpoint'] as const, registers }),
    switches: existing<Counter<'to'>>(registry, linkMetricNames.switches, Counter)
      ?? new Counter({ name: linkMetricNames.switches, help: 'Switches of the active district endpoint, by the endpoint switched to.', labelNames: ['to'] as const, registers }),
  };
}
