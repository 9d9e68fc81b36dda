/**
 * A fleet of simulated devices: one real MQTT client per device (its own client id,
 * credentials and last will), each publishing its adapter's real payload on its own `up` topic
 * with its own sequence numbers and timestamps.
 *
 * Light enough for 500 devices beside the gateway on two cores: one scheduler tick walks the
 * devices and publishes those that are due (no timer per device), reports are spread by a
 * random phase and ±10 % jitter, and connections come up a few at a time because every first
 * CONNECT costs the broker a password hash.
 */
import { pino } from 'pino';
import type { DeviceKind } from '../../adapters/types.js';
import { systemClock, type Clock, type ClockTimer } from '../../gateway/core/clock.js';
import type { Logger } from '../../gateway/core/log.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { uniform } from './prng.js';
import { assignSites, createScenario, type Scenario, type ScenarioName } from './scenarios.js';
import { buildPayload, payloadSource, type PayloadSource } from './payloads.js';
import { DeviceClient, type FleetCounters } from './device-client.js';

export interface FleetDevice {
  id: string;
  kind: DeviceKind;
  adapter: string;
  password: string;
}

export interface FleetOptions {
  mqttUrl: string;
  devices: readonly FleetDevice[];
  scenario: ScenarioName | string | Scenario;
  /** How often each device reports, ms (a format that carries only minutes reports once a minute). */
  intervalMs: number;
  seed: number;
  logger?: Logger;
  qos?: 0 | 1;
  clock?: Clock;
  /** Start this far into the scenario (e.g. straight into the storm's peak). */
  scenarioOffsetMs?: number;
  /** Connection attempts in flight at once while the fleet comes up. */
  connectConcurrency?: number;
  keepaliveS?: number;
  /** Mean wait before a lost device reconnects (each device waits 0.6–1.4 × this), default 5 s. */
  reconnectPeriodMs?: number;
}

export interface FleetStats extends FleetCounters {
  devices: number;
  connected: number;
}

export interface Fleet {
  readonly scenario: Scenario;
  stats(): FleetStats;
  /** Stops reporting and disconnects every device cleanly (no last will is published). */
  stop(): Promise<void>;
}

interface Member {
  source: PayloadSource;
  client: DeviceClient | undefined;
  periodMs: number;
  nextAt: number;
  seq: number;
  /** Per-device jitter stream position. */
  reports: number;
}

const jitterShare = 0.1;

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!(opts.intervalMs >= 100)) throw new GatewayError('GW_ERR_VALIDATION', `intervalMs must be at least 100 (got ${opts.intervalMs})`);
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const scenario = typeof opts.scenario === 'object' ? opts.scenario : createScenario(opts.scenario, { seed: opts.seed });
  const seed = opts.seed >>> 0;
  const qos = opts.qos ?? 1;
  const startedAt = clock.now();
  const offset = opts.scenarioOffsetMs ?? 0;
  const counters: FleetCounters = { published: 0, acknowledged: 0, errors: 0, skipped: 0, connects: 0, lastError: null };

  const sites = assignSites(opts.devices);
  const members: Member[] = opts.devices.map((d, i) => {
    const source = payloadSource(d, (sites[i] as { ordinal: number }).ordinal);
    const periodMs = Math.max(opts.intervalMs, source.resolutionMs);
    // The first report comes within one base interval, whatever the device's own period.
    const firstAt = startedAt + uniform(seed, `${d.id}/phase`) * Math.min(opts.intervalMs, periodMs);
    return { source, client: undefined, periodMs, nextAt: firstAt, seq: 0, reports: 0 };
  });

  let stopped = false;
  let timer: ClockTimer | undefined;
  const warned = { errors: 0, at: -Infinity };
  const tickMs = Math.min(250, Math.max(20, Math.floor(opts.intervalMs / 20)));

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const now = clock.now();
    for (const m of members) {
      // An offline device keeps its report due: it goes out as soon as the device is back.
      if (!m.client?.connected || now < m.nextAt) continue;
      report(m, now);
      const jitter = 1 + (uniform(seed, `${m.source.site.id}/jitter`, m.reports) * 2 - 1) * jitterShare;
      // Never closer than the wire's time step, or two reports would carry the same reading time.
      const gap = Math.max(m.periodMs * jitter, m.source.resolutionMs);
      m.nextAt += gap;
      // A device that fell behind (the process stalled) reports once, not in a burst.
      if (m.nextAt < now) m.nextAt = now + gap;
    }
    if (counters.errors > warned.errors && now - warned.at >= 30_000) {
      logger.warn({ errors: counters.errors - warned.errors, last: counters.lastError, connected: members.filter((m) => m.client?.connected).length, devices: members.length }, 'simulated devices report errors');
      warned.errors = counters.errors;
      warned.at = now;
    }
    timer = clock.setTimeout(tick, tickMs);
    timer.unref?.();
  };

  const report = (m: Member, now: number) => {
    m.reports++;
    let payload: Uint8Array;
    try {
      payload = buildPayload(m.source, scenario, { elapsedMs: now - startedAt + offset, time: now, seq: m.seq });
    } catch (e) {
      // An encoder refusing a scenario value is a simulator bug: count it and say which.
      counters.errors++;
      counters.lastError = `${m.source.site.id}: cannot encode: ${(e as Error).message}`;
      logger.error({ device: m.source.site.id, err: (e as Error).message }, 'simulated payload could not be encoded');
      return;
    }
    if ((m.client as DeviceClient).publish(payload) === 'sent') m.seq = (m.seq + 1) % 65536;
  };

  const connectAll = async () => {
    let next = 0;
    const worker = async () => {
      while (!stopped && next < members.length) {
        const i = next++;
        const m = members[i] as Member;
        const d = opts.devices[i] as FleetDevice;
        const client = new DeviceClient({
          mqttUrl: opts.mqttUrl, id: d.id, password: d.password, qos, logger, counters,
          keepaliveS: opts.keepaliveS ?? 60,
          // Spread reconnects so a broker restart is not met by every device at once.
          reconnectPeriodMs: Math.round((opts.reconnectPeriodMs ?? 5000) * (0.6 + 0.8 * uniform(seed, `${d.id}/reconnect`))),
        });
        m.client = client;
        await client.firstAttempt(15_000);
      }
    };
    const n = Math.max(1, Math.min(opts.connectConcurrency ?? 16, members.length));
    await Promise.all(Array.from({ length: n }, worker));
  };

  tick();
  await connectAll();
  const connected = members.filter((m) => m.client?.connected).length;
  logger.info({ devices: members.length, connected, scenario: scenario.name, intervalMs: opts.intervalMs }, 'sensor fleet started');

  return {
    scenario,
    stats: () => ({ ...counters, devices: members.length, connected: members.filter((m) => m.client?.connected).length }),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await Promise.all(members.map((m) => m.client?.end(3000)));
      logger.info({ published: counters.published, acknowledged: counters.acknowledged, errors: counters.errors }, 'sensor fleet stopped');
    },
  };
}
