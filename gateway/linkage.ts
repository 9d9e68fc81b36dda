import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { componentLogger, type Logger } from './core/log.js';
import type { Db } from './storage/db.js';
import type { GatewayMetrics } from './metrics/registry.js';
import type { AreaPlugin } from './http/app.js';
import type { Authenticator } from './auth/authenticate.js';
import type { EventFeed, EventRelay } from './events/types.js';
import { createEventRelay } from './events/relay.js';
import type { Outbox } from './outbox/types.js';
import type { Warnings } from './warnings/service.js';
import type { Cases } from './cases/service.js';
import { caseRoutes } from './cases/routes.js';
import { createSla, type Sla } from './sla/service.js';
import { reportRoutes } from './reports/routes.js';
import { createSubscriptions } from './subscriptions/index.js';
import { createExternalWarnings, type ExternalWarnings } from './external-warnings/service.js';
import { externalWarningRoutes } from './external-warnings/routes.js';
import { createDistrictLink } from './district/link.js';
import { createDistrictForwarder } from './district/forwarder.js';
import { createDistrictShare } from './district/share.js';
import { districtRoutes } from './district/routes.js';
import type { DistrictLink } from './district/types.js';

export interface LinkageDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config;
  metrics: GatewayMetrics;
  feed: EventFeed;
  outbox: Outbox;
  warnings: Warnings;
  cases: Cases;
  authenticate: Authenticator;
}

export interface Linkage {
  sla: Sla;
  relay: EventRelay;
  link: DistrictLink;
  externalWarnings: ExternalWarnings;
  /** The HTTP areas of issue 5's capabilities, for buildApp. */
  areas: Array<{ prefix: string; plugin: AreaPlugin }>;
  /** After the outbox has started: the relay, the tickers and the scheduled share. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Cases to the district and back (issue 5): SLA clocks on the case hooks, the district link as
 * an outbox channel with failover, the relay that turns events into district forwards and
 * subscription deliveries, external CAP warnings, data sharing, reports. Built after the
 * warnings service (which opens cases) and before anything can change a case.
 */
export function createLinkage(deps: LinkageDeps): Linkage {
  const { db, clock, logger, config, feed, outbox, warnings, cases } = deps;
  const sla = createSla({ db, clock, logger, feed, warnings, config });
  cases.addHook(sla.hook);
  const log = componentLogger(logger, 'district');
  const link = createDistrictLink({
    config: config.district, clock, logger, metrics: deps.metrics,
    onCaseAccepted: (caseId, atMs, districtCaseNo) => cases.markReported(caseId, atMs, districtCaseNo ?? null)
      .catch((e: Error) => log.warn({ caseId, err: e.message }, 'could not mark the case as reported (the next delivery answer will)')),
  });
  link.attach(outbox);
  const subscriptions = createSubscriptions({ db, clock, logger, feed, outbox });
  outbox.register(subscriptions.channel);
  const relay = createEventRelay({ db, feed, clock, logger, afterCommit: () => outbox.poke() });
  relay.add(createDistrictForwarder({ outbox, config, logger }));
  relay.add(subscriptions.consumer);
  const share = createDistrictShare({ db, outbox, clock, logger, config });
  const externalWarnings = createExternalWarnings({ db, clock, logger, events: feed, warnings, outbox, config });

  return {
    sla, relay, link, externalWarnings,
    areas: [
      { prefix: '/cases', plugin: caseRoutes(cases, { authenticate: deps.authenticate }) },
      { prefix: '/reports', plugin: reportRoutes() },
      { prefix: '/subscriptions', plugin: subscriptions.routes },
      { prefix: '/external-warnings', plugin: externalWarningRoutes(externalWarnings) },
      { prefix: '/district', plugin: districtRoutes({ feed, cases, linkStatus: () => link.status() }) },
    ],
    async start() {
      await relay.start();
      sla.start();
      externalWarnings.start(config.rules.tickMs);
      share.start();
    },
    async stop() {
      await share.stop();
      await externalWarnings.stop();
      await sla.stop();
      await relay.stop();
      await link.stop();
    },
  };
}
