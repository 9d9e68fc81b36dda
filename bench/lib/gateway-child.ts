/**
 * The CityOps target: the real gateway (storage, HTTP API, broker, ingest pipeline) in a
 * process of its own, configured from BENCH_GATEWAY (JSON). On `drain` it waits until the
 * pipeline has written everything it acknowledged and counts the rows.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway, type RunningGateway } from '../../gateway/service.js';
import { announce, serveCommands } from './child-io.js';
import type { GatewayCommand, GatewayReply } from './protocol.js';

export interface GatewayChildConfig {
  dataDir: string;
  databaseUrl: string;
  adminToken: string;
  logLevel: string;
  overrides: Record<string, unknown>;
}

const spec = JSON.parse(process.env.BENCH_GATEWAY ?? 'null') as GatewayChildConfig | null;
if (!spec) throw new Error('BENCH_GATEWAY is not set');

// Only what the benchmark says: no cityops.yaml from the working directory, no ambient env.
const env = {
  CITYOPS_CONFIG: '/dev/null',
  CITYOPS_HTTP_HOST: '127.0.0.1',
  CITYOPS_HTTP_PORT: '0',
  CITYOPS_MQTT_HOST: '127.0.0.1',
  CITYOPS_MQTT_PORT: '0',
  CITYOPS_DATA_DIR: spec.dataDir,
  CITYOPS_ADMIN_TOKEN: spec.adminToken,
  DATABASE_URL: spec.databaseUrl,
  CITYOPS_LOG_LEVEL: spec.logLevel,
};
const { config } = loadConfig({ env, overrides: spec.overrides });
const logger = pino({ level: spec.logLevel }, pino.destination(2));
let gw: RunningGateway | undefined;
let profiler: Session | undefined;

async function count(g: RunningGateway): Promise<{ rows: number; deadLetters: number }> {
  const r = await g.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings');
  const d = await g.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters');
  return { rows: r.rows[0]?.n ?? -1, deadLetters: d.rows[0]?.n ?? -1 };
}

async function handle(cmd: GatewayCommand): Promise<GatewayReply> {
  if (!gw) throw new Error('the gateway is not running');
  if (cmd.type === 'profile-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 250 });
    await profiler.post('Profiler.start');
    return { type: 'profiling' };
  }
  if (cmd.type === 'profile-stop') {
    if (!profiler) throw new Error('no profile running');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    await writeFile(cmd.file, JSON.stringify(profile));
    return { type: 'profiled', file: cmd.file };
  }
  if (cmd.type === 'drain') {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), cmd.timeoutMs);
    });
    const complete = await Promise.race([gw.pipeline.flushed().then(() => true as const), timedOut]);
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1000;
    return { type: 'drained', ...(await count(gw)), seconds, complete };
  }
  const g = gw;
  gw = undefined;
  await g.close();
  return { type: 'closed' };
}

serveCommands<GatewayCommand, GatewayReply>(handle, async () => {
  await gw?.close();
});

try {
  gw = await startGateway({ config, logger });
  announce<GatewayReply>({ type: 'ready', http: gw.urls.http, mqtt: gw.urls.mqtt, adminToken: gw.adminToken, storage: `${gw.db.mode} (${gw.db.driver})` });
} catch (e) {
  announce<GatewayReply>({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
