/**
 * A real gateway for end-to-end tests: real HTTP and MQTT on 127.0.0.1 free ports, a real
 * database (a fresh PostgreSQL database, or the embedded PGlite-TimescaleDB in a temp dir).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { loadConfig } from '../../gateway/config/load.js';
import type { Config } from '../../gateway/config/schema.js';
import { startGateway, type RunningGateway } from '../../gateway/service.js';
import type { Logger } from '../../gateway/core/log.js';
import type { Clock } from '../../gateway/core/clock.js';
import type { Test } from 'tap';
import { freshDatabase } from './postgres.js';

export const ADMIN = 'test-admin-token-0123456789abcdef';

export interface TestGatewayOptions {
  /** A postgres:// URL; empty = embedded PGlite under the data dir. */
  databaseUrl?: string;
  dataDir?: string;
  overrides?: Record<string, unknown>;
  logger?: Logger;
  clock?: Clock;
}

export function testEnv(dataDir: string, databaseUrl = ''): Record<string, string> {
  return {
    CITYOPS_HTTP_HOST: '127.0.0.1', CITYOPS_HTTP_PORT: '0', CITYOPS_MQTT_HOST: '127.0.0.1', CITYOPS_MQTT_PORT: '0',
    CITYOPS_DATA_DIR: dataDir, CITYOPS_ADMIN_TOKEN: ADMIN, DATABASE_URL: databaseUrl, CITYOPS_LOG_LEVEL: 'warn',
  };
}

export function tempDir(prefix = 'cityops-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testGatewayConfig(dataDir: string, opts: TestGatewayOptions = {}): Config {
  return loadConfig({ env: testEnv(dataDir, opts.databaseUrl ?? ''), overrides: opts.overrides ?? {} }).config;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<RunningGateway & { api: Api }> {
  const dataDir = opts.dataDir ?? tempDir().dir;
  const config = testGatewayConfig(dataDir, opts);
  const gw = await startGateway({ config, logger: opts.logger ?? pino({ level: 'silent' }), ...(opts.clock ? { clock: opts.clock } : {}) });
  return Object.assign(gw, { api: api(gw.urls.http) });
}

export type Api = (method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string }) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: response bodies are asserted field by field

export function api(base: string): Api {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? ADMIN}`, ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as never };
  };
}

let seq = 0;
/** Provisions a device and returns its MQTT password. */
export async function provision(call: Api, device: Partial<{ id: string; kind: string; adapter: string; vendor: string; blockCode: string }> = {}, token?: string): Promise<{ id: string; password: string }> {
  const id = device.id ?? `dev-${process.pid}-${++seq}`;
  const res = await call('POST', '/devices', {
    ...(token !== undefined ? { token } : {}),
    body: {
      id, name: `Test ${id}`, kind: device.kind ?? 'waterlogging', adapter: device.adapter ?? 'waterlogging-json',
      location: { lon: 121.23, lat: 31.03 }, blockCode: device.blockCode ?? '310117006-01-003-012',
      ...(device.vendor !== undefined ? { vendor: device.vendor } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`provisioning ${id} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id, password: res.body.credentials.password };
}

export function connectDevice(url: string, id: string, password: string, extra: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, { username: id, password, clientId: id, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
}

/** A waterlogging payload the `waterlogging-json` adapter accepts: 2 readings. */
export function waterloggingPayload(n: number, at = Date.now()): string {
  return JSON.stringify({ ts: at, seq: n, depth: n % 300, battery: 80 });
}

/** A gateway on a fresh PostgreSQL database and a temp data dir, all removed when the test ends. */
export async function pgGateway(t: Test, opts: Omit<TestGatewayOptions, 'databaseUrl' | 'dataDir'> = {}): Promise<RunningGateway & { api: Api }> {
  const db = await freshDatabase();
  const dir = tempDir();
  const gw = await startTestGateway({ ...opts, databaseUrl: db.url, dataDir: dir.dir });
  t.teardown(async () => {
    await gw.close();
    await db.drop();
    dir.remove();
  });
  return gw;
}
