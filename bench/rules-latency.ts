/**
 * PUBLISH → warning event on SSE, under background load (issue 4 §9): the real gateway in a
 * process of its own on a real PostgreSQL, a child publishing the background readings at a fixed
 * rate (below every threshold), and this process as the probe: a probe device publishes a depth
 * over the probe rule's threshold and the clock runs until the warning.raised event for it
 * arrives on /api/v1/events/stream; then a dry reading clears it for the next round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { forkChild } from './lib/children.js';
import { Cleanup } from './lib/cleanup.js';
import { provisionDevices, startGatewayTarget, type GatewayTarget } from './lib/gateway.js';
import type { BenchDevice } from './lib/payloads.js';
import { readSse } from './lib/sse-reader.js';
import type { SteadyCommand, SteadyReply } from './lib/steady-load-child.js';
import { latencyHistogram, summarize } from './lib/stats.js';

export interface LatencyResult {
  backgroundReadingsPerSec: number;
  backgroundMsgsPerSec: number;
  backgroundErrors: number;
  probes: number;
  received: number;
  /** PUBLISH → SSE, milliseconds. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The gateway's own view (cityops_rules_flush_seconds): commits with warning changes, and state-only ones. */
  flushes: { urgent: FlushStats; full: FlushStats };
}

export interface FlushStats {
  count: number;
  meanMs: number;
  /** Upper bound of the histogram bucket holding the 99th percentile. */
  p99BucketMs: number;
}

/** count, mean and the p99 bucket of one label of a Prometheus histogram in text form. */
export function histogramStats(text: string, name: string, label: string): FlushStats {
  const buckets: Array<[number, number]> = [];
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(label)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith(`${name}_bucket`) && le !== undefined) buckets.push([le === '+Inf' ? Infinity : Number(le), v]);
    else if (line.startsWith(`${name}_sum`)) sum = v;
    else if (line.startsWith(`${name}_count`)) count = v;
  }
  const at = buckets.find(([, n]) => n >= count * 0.99)?.[0] ?? Infinity;
  return { count, meanMs: count > 0 ? (sum / count) * 1000 : 0, p99BucketMs: at * 1000 };
}

export interface LatencyOptions {
  /** Background readings per second (each message carries 2: depth and battery). */
  readingsPerSec?: number;
  probes?: number;
  backgroundDevices?: number;
  /** More gateway configuration (dotted keys), for experiments. */
  overrides?: Record<string, unknown>;
  log?: (s: string) => void;
}

const PROBE_DEVICES = 20;
const READINGS_PER_MESSAGE = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const probeRule = (ids: string[]) => ({
  id: 'bench-probe',
  name: 'Benchmark probe: depth over 100 cm',
  category: 'other',
  scope: { kinds: ['waterlogging'], devices: ids },
  condition: { type: 'threshold', metric: 'depth_cm', thresholds: { yellow: 100 } },
  for: '0s',
  clear: { hysteresis: 0, clearFor: '0s' },
  grades: { yellow: { actions: { notify: ['sse'] } } },
});

async function post(gw: GatewayTarget, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${gw.http}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
}

export async function benchLatency(opts: LatencyOptions = {}): Promise<LatencyResult> {
  const log = opts.log ?? (() => undefined);
  const readingsPerSec = opts.readingsPerSec ?? 10_000;
  const probes = opts.probes ?? 400;
  const cleanup = new Cleanup();
  const work = mkdtempSync(join(tmpdir(), 'cityops-rules-latency-'));
  cleanup.onExit('work dir', () => rmSync(work, { recursive: true, force: true }));
  try {
    log('latency: starting PostgreSQL');
    const cluster = await startPostgres();
    cleanup.defer('postgres', () => cluster.stop());
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE cityops_rules_bench');
    await admin.end();
    const gw = await startGatewayTarget({
      name: 'gateway', databaseUrl: cluster.adminUrl.replace(/\/postgres$/, '/cityops_rules_bench'), dataDir: join(work, 'data'), logDir: work, cleanup,
      nodeArgs: ['--max-semi-space-size=64'],
      // The probe raises a warning every round in one block: storm control would (rightly) fold them into one.
      overrides: { 'warnings.stormPerBlockPerMinute': 1_000_000, ...opts.overrides },
    });
    cleanup.defer('gateway', () => gw.child.stop(20_000));
    log(`latency: gateway up (${gw.storage}); provisioning`);
    const plan = (n: number, stem: string): BenchDevice[] => Array.from({ length: n }, (_, i) => ({ id: `${stem}-${i}`, adapter: 'waterlogging-json', kind: 'waterlogging' }));
    const background = await provisionDevices(gw, plan(opts.backgroundDevices ?? 200, 'bg'));
    const probeCreds = await provisionDevices(gw, plan(PROBE_DEVICES, 'probe'));
    await post(gw, '/rules', { rule: probeRule(probeCreds.map((c) => c.clientId)), reason: 'latency benchmark probe', activate: true });

    const histogram = latencyHistogram();
    const waiting = new Map<string, { t0: number; done: () => void }>();
    const sse = await readSse(`${gw.http}/api/v1/events/stream?types=warning.raised,warning.cleared`, gw.adminToken, (e, at) => {
      const data = JSON.parse(e.data) as { data?: { warning?: { deviceId?: string; ruleId?: string } } };
      const w = data.data?.warning;
      if (w?.ruleId !== 'bench-probe' || !w.deviceId) return;
      const key = `${e.event}/${w.deviceId}`;
      const hit = waiting.get(key);
      if (!hit) return;
      waiting.delete(key);
      if (e.event === 'warning.raised') histogram.record(Math.max(1, Math.round((at - hit.t0) * 1000)));
      hit.done();
    });
    cleanup.defer('sse', async () => sse.close());

    const load = forkChild<SteadyCommand, SteadyReply>({ name: 'load', script: 'steady-load-child.ts', logFile: join(work, 'load.log'), cleanup });
    cleanup.defer('load', () => load.stop());
    await load.next(30_000);
    const msgsPerSec = readingsPerSec / READINGS_PER_MESSAGE;
    const started = await load.request({ type: 'start', url: gw.mqtt, devices: background.map((c) => ({ id: c.clientId, password: c.password ?? '' })), msgsPerSec, depthCm: 2 }, 60_000);
    if (started.type !== 'started') throw new Error(`load: ${started.type}`);
    log(`latency: background ${readingsPerSec} readings/s running; warming up 5 s`);
    await sleep(5000);

    const clients = await Promise.all(probeCreds.map((c) => mqtt.connectAsync(gw.mqtt, { username: c.clientId, password: c.password ?? '', clientId: c.clientId, reconnectPeriod: 0 })));
    const seq = new Array<number>(clients.length).fill(0);
    const send = (i: number, depth: number) => {
      const id = (probeCreds[i] as { clientId: string }).clientId;
      seq[i] = ((seq[i] as number) + 1) % 65536;
      return (clients[i] as mqtt.MqttClient).publishAsync(`cityops/v1/devices/${id}/up`, JSON.stringify({ ts: Date.now(), seq: seq[i], depth, battery: 80 }), { qos: 1 });
    };
    const expect = (event: string, i: number, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        const key = `${event}/${(probeCreds[i] as { clientId: string }).clientId}`;
        const timer = setTimeout(() => {
          waiting.delete(key);
          resolve(false);
        }, timeoutMs);
        waiting.set(key, { t0: performance.now(), done: () => (clearTimeout(timer), resolve(true)) });
      });
    let received = 0;
    for (let n = 0; n < probes; n++) {
      const i = n % clients.length;
      const raised = expect('warning.raised', i, 10_000);
      void send(i, 150);
      if (await raised) received++;
      const cleared = expect('warning.cleared', i, 10_000);
      void send(i, 0);
      await cleared;
      await sleep(20);
      if ((n + 1) % 100 === 0) log(`latency: ${n + 1}/${probes} probes`);
    }
    const metrics = await (await fetch(`${gw.http}/metrics`)).text();
    const flushes = {
      urgent: histogramStats(metrics, 'cityops_rules_flush_seconds', 'kind="urgent"'),
      full: histogramStats(metrics, 'cityops_rules_flush_seconds', 'kind="full"'),
    };
    const stopped = await load.request({ type: 'stop' }, 60_000);
    await Promise.all(clients.map((c) => c.endAsync()));
    if (stopped.type !== 'stopped') throw new Error(`load: ${stopped.type}`);
    const s = summarize(histogram);
    return {
      backgroundReadingsPerSec: Math.round((stopped.acked * READINGS_PER_MESSAGE) / stopped.seconds),
      backgroundMsgsPerSec: Math.round(stopped.acked / stopped.seconds),
      backgroundErrors: stopped.errors,
      probes,
      received,
      p50Ms: s.p50 / 1000,
      p90Ms: s.p90 / 1000,
      p99Ms: s.p99 / 1000,
      maxMs: s.max / 1000,
      flushes,
    };
  } finally {
    await cleanup.runAll(log);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--probes');
  const probes = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  benchLatency({ log: (s) => void process.stderr.write(`${s}\n`), ...(probes !== undefined && Number.isInteger(probes) && probes > 0 ? { probes } : {}) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}
