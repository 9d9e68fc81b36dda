import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every gateway metric is created here, once per app instance, and handed to the modules that
 * update it (no global registry: parallel test apps each get their own). Names follow the
 * Prometheus conventions: `_total` for counters, base units (seconds, bytes) in the name.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Readings accepted into the pipeline, by where they came from and the adapter that decoded them. */
  readonly readingsIn: Counter<'source' | 'adapter'>;
  /** Payloads an adapter could not decode; `reason` is a short stable word (json, checksum, short_frame, range, ...). */
  readonly decodeFailures: Counter<'adapter' | 'reason'>;
  /** Payloads parked in the dead-letter table. */
  readonly deadLetters: Counter<'reason'>;
  /** Time to write one batch of readings to the database. */
  readonly batchWriteSeconds: Histogram;
  /** Rows per batch written. */
  readonly batchSize: Histogram;
  readonly spoolBytes: Gauge;
  readonly spoolRecords: Gauge;
  /** 1 while the spool is at its quota (new readings refused), else 0. */
  readonly spoolFull: Gauge;
  readonly connectedDevices: Gauge;
  /** MQTT CONNECTs refused, by reason (bad_credentials, unknown_device, disabled, protocol, ...). */
  readonly mqttRefusedConnections: Counter<'reason'>;
  /** MQTT publishes or subscriptions refused by the topic ACL. */
  readonly mqttAclDenials: Counter<'action'>;
  /** MQTT packets over the configured maximum size. */
  readonly mqttOversizePackets: Counter;
  /** HTTP requests by route pattern (not the raw URL, to bound cardinality). */
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** One commit of rule states and warnings: `urgent` carries warning changes, `full` the states that only moved on. */
  readonly rulesFlushSeconds: Histogram<'kind'>;
  /** (rule, reading) pairs the live engine evaluated. */
  readonly ruleEvaluations: Counter;
  /** Warning grade changes the live engine produced, by the grade reached (`none` for a clear). */
  readonly ruleTransitions: Counter<'to'>;
  /** Stops the event-loop monitor; call when the app instance is discarded. */
  close(): void;
}

export const metricNames = {
  readingsIn: 'cityops_readings_total',
  decodeFailures: 'cityops_decode_failures_total',
  deadLetters: 'cityops_dead_letters_total',
  batchWriteSeconds: 'cityops_batch_write_seconds',
  batchSize: 'cityops_batch_size_rows',
  spoolBytes: 'cityops_spool_bytes',
  spoolRecords: 'cityops_spool_records',
  spoolFull: 'cityops_spool_full',
  connectedDevices: 'cityops_connected_devices',
  mqttRefusedConnections: 'cityops_mqtt_refused_connections_total',
  mqttAclDenials: 'cityops_mqtt_acl_denials_total',
  mqttOversizePackets: 'cityops_mqtt_oversize_packets_total',
  httpRequestSeconds: 'cityops_http_request_duration_seconds',
  eventLoopLag: 'cityops_event_loop_lag_seconds',
  rulesFlushSeconds: 'cityops_rules_flush_seconds',
  ruleEvaluations: 'cityops_rule_evaluations_total',
  ruleTransitions: 'cityops_rule_transitions_total',
} as const;

export interface MetricsOptions {
  /** Process default metrics (CPU, memory, GC, nodejs_eventloop_lag_seconds, ...); default on. */
  defaultMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  // A clear p99 of event-loop delay since the previous scrape: a stalled loop stalls MQTT acks.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: metricNames.eventLoopLag,
    help: 'Event-loop delay, 99th percentile since the previous scrape, in seconds.',
    registers,
    collect() {
      const p99 = loop.count > 0 ? loop.percentile(99) / 1e9 : 0;
      this.set(p99);
      loop.reset();
    },
  });

  return {
    registry,
    readingsIn: new Counter({ name: metricNames.readingsIn, help: 'Readings accepted, by source (mqtt, http) and adapter.', labelNames: ['source', 'adapter'] as const, registers }),
    decodeFailures: new Counter({ name: metricNames.decodeFailures, help: 'Payloads an adapter could not decode, by adapter and reason.', labelNames: ['adapter', 'reason'] as const, registers }),
    deadLetters: new Counter({ name: metricNames.deadLetters, help: 'Payloads parked as dead letters, by reason.', labelNames: ['reason'] as const, registers }),
    batchWriteSeconds: new Histogram({
      name: metricNames.batchWriteSeconds,
      help: 'Time to write one batch of readings to the database, in seconds.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchSize: new Histogram({
      name: metricNames.batchSize,
      help: 'Rows per batch written to the database.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000],
      registers,
    }),
    rulesFlushSeconds: new Histogram({
      name: metricNames.rulesFlushSeconds,
      help: 'Time to commit rule states and warnings, by kind (urgent: with warning changes; full: states only).',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    ruleEvaluations: new Counter({ name: metricNames.ruleEvaluations, help: '(rule, reading) pairs evaluated by the live rule engine.', registers }),
    ruleTransitions: new Counter({ name: metricNames.ruleTransitions, help: 'Warning grade changes from the live rule engine, by the grade reached (none = cleared).', labelNames: ['to'] as const, registers }),
    spoolBytes: new Gauge({ name: metricNames.spoolBytes, help: 'Bytes waiting in the on-disk ingest spool.', registers }),
    spoolRecords: new Gauge({ name: metricNames.spoolRecords, help: 'Records waiting in the on-disk ingest spool.', registers }),
    spoolFull: new Gauge({ name: metricNames.spoolFull, help: '1 while the spool is at its quota and new readings are refused, else 0.', registers }),
    connectedDevices: new Gauge({ name: metricNames.connectedDevices, help: 'Devices with an open MQTT connection.', registers }),
    mqttRefusedConnections: new Counter({ name: metricNames.mqttRefusedConnections, help: 'MQTT connections refused, by reason.', labelNames: ['reason'] as const, registers }),
    mqttAclDenials: new Counter({ name: metricNames.mqttAclDenials, help: 'MQTT publishes or subscriptions refused by the topic ACL, by action.', labelNames: ['action'] as const, registers }),
    mqttOversizePackets: new Counter({ name: metricNames.mqttOversizePackets, help: 'MQTT packets over the configured maximum size.', registers }),
    httpRequestSeconds: new Histogram({
      name: metricNames.httpRequestSeconds,
      help: 'HTTP request duration by method, route pattern and status, in seconds.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    close: () => loop.disable(),
  };
}
