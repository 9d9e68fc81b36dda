import type { Broker } from '../broker/index.js';
import type { GatewayMetrics } from './registry.js';

/** Copies the broker's counters into Prometheus metrics once a second (the broker has no prom-client). */
export function bridgeBrokerMetrics(broker: Broker, metrics: GatewayMetrics, everyMs = 1000): () => void {
  let prev = broker.stats();
  const tick = () => {
    const s = broker.stats();
    metrics.connectedDevices.set(s.connectedDevices);
    for (const [reason, n] of Object.entries(s.refusedConnections)) {
      const d = n - (prev.refusedConnections[reason] ?? 0);
      if (d > 0) metrics.mqttRefusedConnections.inc({ reason }, d);
    }
    for (const action of ['publish', 'subscribe', 'will'] as const) {
      const d = s.aclDenials[action] - prev.aclDenials[action];
      if (d > 0) metrics.mqttAclDenials.inc({ action }, d);
    }
    const over = s.oversizePackets - prev.oversizePackets;
    if (over > 0) metrics.mqttOversizePackets.inc(over);
    prev = s;
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
