/**
 * Starting the CityOps target from the benchmark: fork the gateway child, provision one device
 * per connection through the HTTP API (each with its own credentials), scrape /metrics.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { forkChild, type Child } from './children.js';
import type { Cleanup } from './cleanup.js';
import type { GatewayChildConfig } from './gateway-child.js';
import type { BenchDevice } from './payloads.js';
import type { Credentials, GatewayCommand, GatewayReply } from './protocol.js';

export interface GatewayTarget {
  child: Child<GatewayCommand, GatewayReply>;
  http: string;
  mqtt: string;
  storage: string;
  adminToken: string;
}

export interface GatewayTargetOptions {
  name: string;
  databaseUrl: string;
  dataDir: string;
  logDir: string;
  overrides: Record<string, unknown>;
  cleanup: Cleanup;
  nodeArgs: string[];
  /** Where to write a V8 CPU profile of the gateway over the measured window; none when undefined. */
  cpuProfile?: string;
}

export async function startGatewayTarget(o: GatewayTargetOptions): Promise<GatewayTarget> {
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const spec: GatewayChildConfig = { dataDir: o.dataDir, databaseUrl: o.databaseUrl, adminToken, logLevel: 'warn', overrides: o.overrides };
  const child = forkChild<GatewayCommand, GatewayReply>({
    name: o.name,
    script: 'gateway-child.ts',
    logFile: join(o.logDir, `${o.name}.log`),
    cleanup: o.cleanup,
    env: { BENCH_GATEWAY: JSON.stringify(spec) },
    nodeArgs: o.nodeArgs,
  });
  const ready = await child.next(180_000);
  if (ready.type !== 'ready') throw new Error(`${o.name}: unexpected ${ready.type}`);
  return { child, http: ready.http, mqtt: ready.mqtt, storage: ready.storage, adminToken: ready.adminToken };
}

/** POST /api/v1/devices for each device; the answer carries its MQTT password. */
export async function provisionDevices(gw: GatewayTarget, devices: readonly BenchDevice[]): Promise<Credentials[]> {
  const out: Credentials[] = [];
  for (const d of devices) {
    const res = await fetch(`${gw.http}/api/v1/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: d.id,
        name: `Bench ${d.id}`,
        kind: d.kind,
        adapter: d.adapter,
        location: { lon: 121.225, lat: 31.03 },
        blockCode: '310117006-01-003-012',
        tags: ['benchmark'],
      }),
    });
    const body = (await res.json()) as { credentials?: { password?: string } };
    const password = body.credentials?.password;
    if (res.status !== 201 || password === undefined) throw new Error(`provisioning ${d.id} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
    out.push({ clientId: d.id, username: d.id, password });
  }
  return out;
}

/** Sum of every series of one metric in a Prometheus text exposition (labels ignored). */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

export interface MetricsSample {
  /** Rows the batch writer has written so far (readings + dead letters). */
  rowsWritten: number;
  /** Batches written, and seconds spent in their database writes, so far. */
  batches: number;
  batchWriteSeconds: number;
  /** p99 event-loop delay since the previous scrape, seconds. */
  loopLagP99: number;
  /** prom-client's own p99 event-loop lag, seconds. */
  nodeLagP99: number;
  spoolRecords: number;
}

export async function scrapeMetrics(http: string): Promise<MetricsSample> {
  const res = await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return {
    rowsWritten: metricSum(text, 'cityops_batch_size_rows_sum') ?? 0,
    batches: metricSum(text, 'cityops_batch_write_seconds_count') ?? 0,
    batchWriteSeconds: metricSum(text, 'cityops_batch_write_seconds_sum') ?? 0,
    loopLagP99: metricSum(text, 'cityops_event_loop_lag_seconds') ?? 0,
    nodeLagP99: metricSum(text, 'nodejs_eventloop_lag_p99_seconds') ?? 0,
    spoolRecords: metricSum(text, 'cityops_spool_records') ?? 0,
  };
}
