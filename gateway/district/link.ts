import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import { getStatus } from '../outbox/channels/http-post.js';
import type { Channel, Outbox, OutboxMessage } from '../outbox/types.js';
import { districtChannel } from './channel.js';
import { createEndpoints, type EndpointTarget } from './endpoints.js';
import { linkMetrics } from './link-metrics.js';
import { districtChannelName, type DistrictLink, type DistrictPayload, type EndpointName } from './types.js';

/**
 * The district link (issue 5 §3): the `district` outbox channel over a primary and a backup
 * endpoint with health tracking (endpoints.ts), signed deliveries judged strictly (channel.ts),
 * metrics `cityops_district_*`, and the news that the district accepted a case.
 */

export interface DistrictLinkOptions {
  config: Config['district'];
  clock: Clock;
  logger: Logger;
  /** The app's metrics (only its registry is used). */
  metrics?: { readonly registry: Registry };
  /**
   * The district took a `case` message (2xx, not refused): the case is reported. Called again
   * if the message is sent again (a restart before the outbox recorded it), so it must be idempotent.
   */
  onCaseAccepted?: (caseId: string, atMs: number, districtCaseNo: string | null) => void | Promise<void>;
}

export { districtMaxAge } from './messages.js';

export interface DistrictLinkWithChannel extends DistrictLink {
  /** The channel attach() registers (tests deliver through it directly). */
  readonly channel: Channel;
}

export function createDistrictLink(opts: DistrictLinkOptions): DistrictLinkWithChannel {
  const { config, clock } = opts;
  const log = componentLogger(opts.logger, 'district-link');
  const metrics = opts.metrics ? linkMetrics(opts.metrics.registry) : undefined;
  const pending = new Set<Promise<void>>();

  const probe = async (target: EndpointTarget): Promise<boolean> => {
    try {
      const status = await getStatus(`${target.base}/health`, config.timeoutMs);
      return status >= 200 && status < 300;
    } catch {
      return false;
    }
  };

  const endpoints = createEndpoints({
    primaryUrl: config.primaryUrl, backupUrl: config.backupUrl, clock, probeMs: config.probeMs, probe,
    onSwitch(e) {
      metrics?.switches.inc({ to: e.to ?? 'none' });
      setActive(e.to);
      if (e.to === 'primary') log.info({ from: e.from, to: e.to, reason: e.reason }, 'district traffic back on the primary endpoint');
      else log.warn({ from: e.from, to: e.to, reason: e.reason }, 'district traffic switched to another endpoint');
    },
    onHealth(name, healthy) {
      metrics?.up.set({ endpoint: name }, healthy ? 1 : 0);
      if (!healthy) log.warn({ endpoint: name, probeMs: config.probeMs }, 'district endpoint down; probing it');
      // Back from a total outage: the backlog goes now, not when each message's backoff ends.
      else if (endpoints.status().endpoints.filter((e) => e.healthy).length === 1) expedite(name);
    },
  });

  let attached: Outbox | null = null;

  function expedite(endpoint: EndpointName): void {
    const outbox = attached;
    if (!outbox?.expedite) return;
    const done = outbox.expedite(districtChannelName)
      .then((n) => void (n > 0 && log.info({ endpoint, messages: n }, 'district link back after an outage: the backlog is sent now')))
      .catch((e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not make the district backlog due; it goes as each backoff ends'))
      .finally(() => pending.delete(done));
    pending.add(done);
  }

  function setActive(active: EndpointName | null): void {
    for (const t of endpoints.targets) metrics?.active.set({ endpoint: t.name }, t.name === active ? 1 : 0);
  }

  function caseAccepted(msg: OutboxMessage, payload: DistrictPayload, answer: Record<string, unknown> | null): void {
    if (payload.kind !== 'case' || !opts.onCaseAccepted) return;
    const caseId = caseIdOf(msg, payload);
    if (caseId === null) return;
    const no = answer?.['districtCaseNo'];
    const districtCaseNo = typeof no === 'string' && no !== '' ? no : null;
    const done = Promise.resolve()
      .then(() => opts.onCaseAccepted?.(caseId, clock.now(), districtCaseNo))
      .catch((e: unknown) => log.warn({ caseId, err: e instanceof Error ? e.message : String(e) }, 'the case-accepted callback failed'))
      .finally(() => pending.delete(done));
    pending.add(done);
  }

  const channel = districtChannel({
    endpoints, secret: config.secret, timeoutMs: config.timeoutMs, clock,
    onCall(endpoint, outcome, msg, error) {
      metrics?.deliveries.inc({ endpoint, result: outcome });
      if (error !== null) log.debug({ id: msg.id, key: msg.key, endpoint, outcome, err: error }, 'district delivery failed');
    },
    onDelivered: (msg, payload, _endpoint, answer) => caseAccepted(msg, payload, answer),
  });

  for (const t of endpoints.targets) metrics?.up.set({ endpoint: t.name }, 1);
  setActive(endpoints.active());

  return {
    channel,
    status: () => endpoints.status(),
    attach(outbox) {
      if (!endpoints.configured) {
        log.info('district.primaryUrl is not set: district messages wait in the outbox until it is');
        return;
      }
      outbox.register(channel);
      attached = outbox;
      endpoints.start();
      log.info({ endpoints: endpoints.targets.map((t) => ({ name: t.name, url: t.url })) }, 'district link ready');
    },
    async stop() {
      await endpoints.stop();
      await Promise.all([...pending]);
    },
  };
}

function caseIdOf(msg: OutboxMessage, payload: DistrictPayload): string | null {
  if (payload.caseId !== undefined && payload.caseId !== '') return payload.caseId;
  const body = payload.body;
  if (typeof body !== 'string') {
    const c = body['case'];
    if (typeof c === 'object' && c !== null && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  }
  return msg.subject?.type === 'case' ? msg.subject.id : null;
}
