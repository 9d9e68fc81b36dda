import type { Clock, ClockTimer } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { chinaTime } from '../events/store.js';
import type { DistrictLinkStatus, EndpointHealth, EndpointName } from './types.js';

/**
 * Health of the district's two links (seed 002 §21: two links that switch over). Deliveries go
 * to the first healthy endpoint, primary before backup; an endpoint that fails to answer (network
 * error, timeout, 5xx) is marked down at once and the attempt moves on to the next, so failover
 * costs no more than the failed call. A down endpoint is probed (`GET {base}/health`) every
 * probeMs and taken back as soon as it answers, or as soon as a delivery to it succeeds.
 */

export interface EndpointTarget {
  name: EndpointName;
  /** Base URL as configured (credentials included: they become HTTP basic auth). */
  base: string;
  /** The same without credentials, for logs and the status API. */
  url: string;
}

export interface SwitchEvent {
  from: EndpointName | null;
  to: EndpointName | null;
  atMs: number;
  reason: string;
}

export interface EndpointsOptions {
  primaryUrl: string;
  backupUrl: string;
  clock: Clock;
  probeMs: number;
  /** One health check: true when the endpoint answers 2xx. */
  probe(target: EndpointTarget): Promise<boolean>;
  /** The active endpoint changed (logs and metrics). */
  onSwitch?(e: SwitchEvent): void;
  /** An endpoint went down or came back. */
  onHealth?(name: EndpointName, healthy: boolean): void;
}

interface State {
  target: EndpointTarget;
  healthy: boolean;
  consecutiveFailures: number;
  lastOkAtMs: number | null;
  lastFailureAtMs: number | null;
  lastError: string | null;
}

export interface Endpoints {
  readonly configured: boolean;
  readonly targets: readonly EndpointTarget[];
  /** Where one attempt goes, in order: healthy endpoints first (primary, backup), then the others. */
  route(): EndpointTarget[];
  /** A 2xx that the body did not refuse. */
  succeeded(name: EndpointName, atMs: number): void;
  /** The endpoint did not answer, or answered 5xx: it is down. */
  unavailable(name: EndpointName, atMs: number, error: string): void;
  /** It answered, but not with a success (4xx, a refusal in the body): up, yet the message failed. */
  refused(name: EndpointName, atMs: number, error: string): void;
  active(): EndpointName | null;
  status(): DistrictLinkStatus;
  start(): void;
  stop(): Promise<void>;
}

/** `https://user:pw@host/base/` → the base without a trailing slash, and a display URL without credentials. */
export function endpointTarget(name: EndpointName, raw: string, field: string): EndpointTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badUrl(field, `district.${field} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badUrl(field, `district.${field} must be http or https, not ${u.protocol}`);
  if (u.search !== '' || u.hash !== '') throw badUrl(field, `district.${field} is a base URL: no query or fragment (paths such as /cases are appended)`);
  const base = raw.replace(/\/+$/, '');
  u.username = '';
  u.password = '';
  return { name, base, url: u.toString().replace(/\/+$/, '') };
}

function badUrl(field: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_BAD_CONFIG', message, [{ field: `district/${field}`, message }]);
}

export function createEndpoints(opts: EndpointsOptions): Endpoints {
  const { clock } = opts;
  const targets: EndpointTarget[] = [];
  if (opts.primaryUrl !== '') {
    targets.push(endpointTarget('primary', opts.primaryUrl, 'primaryUrl'));
    if (opts.backupUrl !== '') targets.push(endpointTarget('backup', opts.backupUrl, 'backupUrl'));
  }
  const states = targets.map<State>((target) => ({ target, healthy: true, consecutiveFailures: 0, lastOkAtMs: null, lastFailureAtMs: null, lastError: null }));
  const byName = new Map(states.map((s) => [s.target.name, s]));
  let current: EndpointName | null = targets[0]?.name ?? null;
  let switchedAtMs: number | null = null;
  let switchReason: string | null = null;
  let running = false;
  let probeTimer: ClockTimer | null = null;
  let probing: Promise<void> | null = null;

  const pick = (): EndpointName | null => (states.find((s) => s.healthy) ?? states[0])?.target.name ?? null;

  /** The active endpoint follows health; a change is a switch. */
  function follow(atMs: number, reason: string): void {
    const next = pick();
    if (next === current) return;
    const from = current;
    current = next;
    switchedAtMs = atMs;
    switchReason = reason;
    opts.onSwitch?.({ from, to: next, atMs, reason });
  }

  function setHealth(s: State, healthy: boolean, atMs: number, reason: string): void {
    if (s.healthy === healthy) return;
    s.healthy = healthy;
    opts.onHealth?.(s.target.name, healthy);
    follow(atMs, reason);
    if (!healthy) armProbe();
  }

  function ok(s: State, atMs: number, reason: string): void {
    s.consecutiveFailures = 0;
    s.lastOkAtMs = atMs;
    setHealth(s, true, atMs, reason);
  }

  function armProbe(): void {
    if (!running || probeTimer !== null || probing !== null || states.every((s) => s.healthy)) return;
    probeTimer = clock.setTimeout(() => {
      probeTimer = null;
      probing = probeDown().finally(() => {
        probing = null;
        armProbe();
      });
    }, Math.max(1, opts.probeMs));
    probeTimer.unref?.();
  }

  async function probeDown(): Promise<void> {
    const down = states.filter((s) => !s.healthy);
    const answers = await Promise.all(down.map((s) => opts.probe(s.target).catch(() => false)));
    down.forEach((s, i) => {
      if (answers[i] === true && running) ok(s, clock.now(), `${s.target.name} answers its health check again`);
    });
  }

  const iso = (ms: number | null) => (ms === null ? null : chinaTime(ms));

  return {
    configured: targets.length > 0,
    targets,
    route() {
      return [...states.filter((s) => s.healthy), ...states.filter((s) => !s.healthy)].map((s) => s.target);
    },
    succeeded(name, atMs) {
      const s = byName.get(name);
      if (s) ok(s, atMs, `a delivery to ${name} succeeded`);
    },
    unavailable(name, atMs, error) {
      const s = byName.get(name);
      if (!s) return;
      s.consecutiveFailures++;
      s.lastFailureAtMs = atMs;
      s.lastError = error;
      setHealth(s, false, atMs, `${name} unavailable: ${error}`);
    },
    refused(name, atMs, error) {
      const s = byName.get(name);
      if (!s) return;
      s.consecutiveFailures++;
      s.lastFailureAtMs = atMs;
      s.lastError = error;
    },
    active: () => current,
    status() {
      const endpoints: EndpointHealth[] = states.map((s) => ({
        name: s.target.name, url: s.target.url, healthy: s.healthy, consecutiveFailures: s.consecutiveFailures,
        lastOkAt: iso(s.lastOkAtMs), lastFailureAt: iso(s.lastFailureAtMs), lastError: s.lastError,
      }));
      return { configured: targets.length > 0, active: current, endpoints, switchedAt: iso(switchedAtMs), switchReason };
    },
    start() {
      running = true;
      armProbe();
    },
    async stop() {
      running = false;
      if (probeTimer !== null) clock.clearTimeout(probeTimer);
      probeTimer = null;
      await probing;
    },
  };
}
