import { mkdir } from 'node:fs/promises';
import type { Clock } from './core/clock.js';
import { systemClock } from './core/clock.js';
import { componentLogger, type Logger } from './core/log.js';
import type { Config } from './config/schema.js';
import type { Db } from './storage/db.js';
import { openStorage } from './storage/open.js';
import { createMetrics, type GatewayMetrics } from './metrics/registry.js';
import { ensureAdminToken } from './auth/admin-token.js';
import { createAuthenticator } from './auth/authenticate.js';
import { buildApp, type GatewayApp } from './http/app.js';
import { createBroker, deviceTopic, statusPayload, type Broker } from './broker/index.js';
import { DeviceRegistry } from './devices/registry.js';
import { deviceRoutes } from './devices/routes.js';
import { adapterRoutes } from './adapters/routes.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { ingestRoutes } from './ingest/routes.js';
import { databaseSink } from './ingest/sink.js';
import { readingRoutes, deadLetterRoutes } from './readings/routes.js';
import { adapterLookup } from './adapters/lookup.js';
import { bridgeBrokerMetrics } from './metrics/broker-bridge.js';
import { subscriberTopics } from './broker/subscribers.js';
import { createEventFeed } from './events/feed.js';
import { eventRoutes } from './events/routes.js';
import type { EventFeed } from './events/types.js';
import { createOutbox } from './outbox/outbox.js';
import { channelsFromConfig } from './outbox/channels/index.js';
import { outboxRoutes } from './outbox/routes.js';
import type { Outbox, OutboxMessage } from './outbox/types.js';
import { giveUpAlarm } from './outbox/give-up-alarm.js';
import { createDuty, type DutyService } from './duty/callouts.js';
import { dutyRoutes } from './duty/routes.js';
import { createWarningService, type Warnings } from './warnings/service.js';
import { warningRoutes } from './warnings/routes.js';
import { silenceRoutes } from './warnings/silence-routes.js';
import { RuleStore } from './rules/store.js';
import { createRulesRuntime, type RulesRuntime } from './rules/runtime.js';
import { ruleRoutes } from './rules/routes.js';
import { createCases, type Cases } from './cases/service.js';
import { createLinkage, type Linkage } from './linkage.js';
import { defaultRules } from '../rules/load.js';
import { sensorAdapters } from '../adapters/index.js';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
}

export interface RunningGateway {
  config: Config;
  db: Db;
  app: GatewayApp;
  broker: Broker;
  registry: DeviceRegistry;
  pipeline: IngestPipeline;
  metrics: GatewayMetrics;
  feed: EventFeed;
  outbox: Outbox;
  duty: DutyService;
  warnings: Warnings;
  rules: RulesRuntime;
  ruleStore: RuleStore;
  cases: Cases;
  linkage: Linkage;
  adminToken: string;
  /** Where to reach it (ports resolved when the configuration said 0). */
  urls: { http: string; mqtt: string; ws: string | null; mqtts: string | null };
  close(): Promise<void>;
}

/**
 * The composition root: storage, registry, ingest, HTTP API and broker, started in dependency
 * order and closed in reverse. Nothing else wires modules together.
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = opts;
  const clock = opts.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((e: Error) => logger.error({ err: e.message }, 'error while stopping'));
  };
  try {
    const db = await openStorage({ config, logger, clock });
    closers.push(() => db.close());
    const metrics = createMetrics();
    closers.push(async () => metrics.close());
    const adminToken = await ensureAdminToken({ config, logger: componentLogger(logger, 'auth') });
    // The registry is built before the broker but publishes status through it once it exists.
    const brokerRef: { current?: Broker } = {};
    const registry = await DeviceRegistry.open({
      db, clock, devices: config.devices, adapters: adapterLookup,
      logger: componentLogger(logger, 'devices'),
      onStatus: (id, status, reason) => {
        if (status === 'unknown') return;
        brokerRef.current?.publishPlatform(deviceTopic(id, 'status'), statusPayload(status, clock.now(), reason), { qos: 1, retain: true })
          .catch((e: Error) => logger.warn({ device: id, err: e.message }, 'could not publish device status'));
      },
    });
    closers.push(() => registry.stop());
    // Warnings and their deliveries: one event feed, one durable outbox, 叫应 on top of both.
    const feed = createEventFeed({ db, clock, logger: componentLogger(logger, 'events'), metrics });
    closers.push(() => feed.close());
    // A given-up delivery raises a warning; the warnings service exists only later, so bound late.
    const alarms: { raise?: (messages: OutboxMessage[]) => Promise<void> } = {};
    const outbox = createOutbox({ db, clock, logger: componentLogger(logger, 'outbox'), config: config.outbox, metrics, onGivenUp: (m) => alarms.raise?.(m) });
    closers.push(() => outbox.stop());
    // Whatever emits an event may have queued a delivery in the same commit: wake the workers.
    const stopPoking = feed.subscribe({}, () => outbox.poke());
    closers.push(async () => stopPoking());
    const duty = createDuty({ db, clock, logger, outbox, feed, config, publicUrl: config.http.publicUrl });
    closers.push(() => duty.stop());
    const cases = createCases({ db, clock, logger, feed, config, duty });
    const warnings = createWarningService({ db, clock, logger: componentLogger(logger, 'warnings'), outbox, duty, config, events: feed, cases });
    duty.onAcknowledged(warnings.acknowledgedByDuty);
    alarms.raise = async (messages) => {
      for (const m of messages) await warnings.setDirectNow(giveUpAlarm(m, clock.now()));
    };
    const authenticate = createAuthenticator({ db, clock, logger: componentLogger(logger, 'auth'), adminToken });
    // Cases to the district and back; its hooks are in place before the rules can open a case.
    const linkage = createLinkage({ db, clock, logger, config, metrics, feed, outbox, warnings, cases, authenticate });
    closers.push(() => linkage.stop());
    const notifierNames = ['sse', 'mqtt', ...config.notifiers.map((n) => n.name)];
    const ruleStore = new RuleStore({ db, clock, validation: { adapters: sensorAdapters, notifiers: notifierNames } });
    const rules = createRulesRuntime({
      db, clock, logger, metrics, registry, feed, warnings, store: ruleStore, config,
      defaults: () => ({ rules: defaultRules() }),
    });
    await rules.start();
    closers.push(() => rules.stop());
    // The rules see a message's readings as their spool record is written and commit what
    // follows once it is durable (live path), and again through the drain (replays after a
    // crash); the spool checkpoint waits for both.
    const pipeline = await IngestPipeline.open({
      config, logger: componentLogger(logger, 'ingest'), clock, metrics, registry,
      sink: rules.sink(databaseSink(db)),
      onAccepted: (rows, durable) => rules.onAccepted(rows, durable),
    });
    closers.push(() => pipeline.close());

    const app = buildApp({
      config, logger, db, clock, metrics, adminToken,
      readiness: { database: () => db.ping(), broker: () => brokerRef.current !== undefined },
      areas: [
        { prefix: '/devices', plugin: deviceRoutes(registry) },
        { prefix: '/devices', plugin: readingRoutes(registry) },
        { prefix: '/adapters', plugin: adapterRoutes },
        { prefix: '/ingest', plugin: ingestRoutes(pipeline) },
        { prefix: '/dead-letters', plugin: deadLetterRoutes },
        { prefix: '/events', plugin: eventRoutes(feed) },
        { prefix: '/warnings', plugin: warningRoutes(warnings) },
        { prefix: '/silences', plugin: silenceRoutes },
        { prefix: '/rules', plugin: ruleRoutes({ store: ruleStore, runtime: rules, devices: () => registry.all() }) },
        { prefix: '/duty', plugin: dutyRoutes(duty) },
        { prefix: '/deliveries', plugin: outboxRoutes({ outbox }) },
        ...linkage.areas,
      ],
    });
    closers.push(() => app.close());
    await app.listen({ host: config.http.host, port: config.http.port });

    const broker = await createBroker({
      mqtt: config.mqtt,
      logger: componentLogger(logger, 'broker'),
      clock,
      httpServer: app.server,
      publishStatus: false,
      policy: {
        authenticateDevice: (username, password) => registry.authenticate(username, password),
        authenticateSubscriber: async (_username, password) => {
          const principal = await authenticate({ authorization: `Bearer ${password.toString('utf8')}` }).catch(() => undefined);
          const topics = principal ? subscriberTopics(principal.role) : [];
          return principal && topics.length > 0 ? { id: `${principal.kind}:${principal.id}`, readTopics: topics } : null;
        },
        onDevicePublish: async (msg) => {
          if (msg.suffix === 'status') return registry.noteActivity(msg.deviceId, 'status message');
          await pipeline.ingestMqtt(msg.deviceId, msg.topic, msg.payload);
        },
        onDeviceStatus: (deviceId, status, reason) => {
          if (status === 'online') registry.noteActivity(deviceId, reason);
          // A clean DISCONNECT is how sleepy (NB-IoT style) devices end a report: they stay
          // online until their heartbeat runs out. A dead connection (its last will fires) is
          // offline at once; a takeover or our own shutdown says nothing about the device.
          else if (reason === 'keepalive_timeout' || reason === 'connection_lost' || reason.startsWith('error')) registry.noteLost(deviceId, `connection lost (${reason})`);
        },
      },
    });
    brokerRef.current = broker;
    closers.push(() => broker.close()); // closers run in reverse: MQTT stops first, then HTTP, ingest, storage
    const stopBridge = bridgeBrokerMetrics(broker, metrics);
    closers.push(async () => stopBridge());
    for (const channel of channelsFromConfig(config.notifiers, { clock, feed, publish: (topic, payload, opts) => broker.publishPlatform(topic, payload, opts) })) outbox.register(channel);
    outbox.start();
    await linkage.start();
    duty.start(config.rules.tickMs);
    registry.start();

    const httpAddr = app.server.address();
    const httpPort = typeof httpAddr === 'object' && httpAddr ? httpAddr.port : config.http.port;
    const a = broker.addresses();
    const host = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
    const urls = {
      http: `http://${host(config.http.host)}:${httpPort}`,
      mqtt: `mqtt://${host(a.tcp.host)}:${a.tcp.port}`,
      ws: a.ws ? `ws://${host(config.http.host)}:${httpPort}${a.ws.path}` : null,
      mqtts: a.tls ? `mqtts://${host(a.tls.host)}:${a.tls.port}` : null,
    };
    logger.info({ ...urls, storage: `${db.mode} (${db.driver})`, devices: registry.size }, 'CityOps Gateway is running');
    return { config, db, app, broker, registry, pipeline, metrics, feed, outbox, duty, warnings, rules, ruleStore, cases, linkage, adminToken, urls, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
