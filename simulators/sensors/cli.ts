/**
 * `npm run simulate -- --devices 500 --scenario rainstorm`: a simulated town of sensors for a
 * running gateway. Provisions the devices through the HTTP API (as exercise devices), then
 * runs one MQTT client per device until Ctrl-C or --duration, printing a line every few seconds.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../../gateway/core/log.js';
import { apiClient } from './api.js';
import { scenarioNames } from './scenarios.js';
import { startTown, type Town } from './town.js';
import { simulatedAdapters } from './town-plan.js';

const usage = `Usage: npm run simulate -- [options]

  --devices N      total devices, spread over the ${simulatedAdapters().length} simulated kinds (default 70)
  --scenario NAME  ${scenarioNames.join(' | ')} (default calm)
  --interval MS    how often each device reports (default 5000)
  --url URL        gateway HTTP API (default http://127.0.0.1:8080)
  --mqtt URL       gateway MQTT (default mqtt://127.0.0.1:1883)
  --token TOKEN    admin or ops token (default $CITYOPS_ADMIN_TOKEN, else ./data/admin-token)
  --duration S     stop after S seconds (default: until Ctrl-C)
  --seed N         random seed: the same seed gives the same town and values (default 20240529)
  --at MIN         start MIN minutes into the scenario (e.g. --at 10 for the storm's peak)
  --prefix P       device id prefix (default sim: sim-waterlogging-0001, ...)
  --qos 0|1        MQTT QoS of the reports (default 1)
  --report S       seconds between progress lines (default 5)
`;

class UsageError extends Error {}

function numberOption(name: string, raw: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${raw} is not valid`);
  return n;
}

async function resolveToken(given: string | undefined): Promise<string> {
  if (given) return given;
  if (process.env.CITYOPS_ADMIN_TOKEN) return process.env.CITYOPS_ADMIN_TOKEN;
  try {
    return (await readFile('data/admin-token', 'utf8')).trim();
  } catch {
    throw new UsageError('no admin token: pass --token, set CITYOPS_ADMIN_TOKEN, or run from the directory whose data/admin-token the gateway wrote');
  }
}

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      devices: { type: 'string' }, scenario: { type: 'string' }, interval: { type: 'string' }, url: { type: 'string' },
      mqtt: { type: 'string' }, token: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' },
      at: { type: 'string' }, prefix: { type: 'string' }, qos: { type: 'string' }, report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (o.help) {
    process.stdout.write(usage);
    return 0;
  }
  const scenario = o.scenario ?? 'calm';
  if (!(scenarioNames as readonly string[]).includes(scenario)) throw new UsageError(`unknown scenario "${scenario}"; known: ${scenarioNames.join(', ')}`);
  const devices = numberOption('devices', o.devices, 70, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000);
  const intervalMs = numberOption('interval', o.interval, 5000, (n) => n >= 100);
  const durationS = numberOption('duration', o.duration, 0, (n) => n >= 0);
  const seed = numberOption('seed', o.seed, 20240529, Number.isInteger);
  const atMin = numberOption('at', o.at, 0, (n) => n >= 0);
  const qos = numberOption('qos', o.qos, 1, (n) => n === 0 || n === 1) as 0 | 1;
  const reportS = numberOption('report', o.report, 5, (n) => n >= 1);
  const httpUrl = o.url ?? 'http://127.0.0.1:8080';
  const mqttUrl = o.mqtt ?? 'mqtt://127.0.0.1:1883';
  const token = await resolveToken(o.token);

  // Fails fast, and clearly, when the gateway is down or the token is wrong.
  await apiClient({ baseUrl: httpUrl, token, timeoutMs: 10_000 }).request('GET', '/devices?limit=1');
  console.log(`Provisioning ${devices} simulated devices on ${httpUrl} (scenario ${scenario}, every ${intervalMs} ms)…`);

  const logger = createLogger({ level: process.env.CITYOPS_LOG_LEVEL ?? 'warn', pretty: process.stdout.isTTY });
  const town: Town = await startTown({
    httpUrl, mqttUrl, adminToken: token, totalDevices: devices, intervalMs, scenario, logger, seed, qos,
    scenarioOffsetMs: atMin * 60_000,
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
  });
  if (town.stats().connected === 0) {
    await town.stop();
    throw new UsageError(`no device could connect to MQTT at ${mqttUrl}: ${town.stats().lastError ?? 'no answer'} (pass --mqtt?)`);
  }

  const started = Date.now();
  let last = town.stats();
  const line = () => {
    const s = town.stats();
    const secs = Math.round((Date.now() - started) / 1000);
    console.log(`[${String(secs).padStart(5)} s] ${scenario}  online ${s.connected}/${s.devices}  published ${s.published} (+${s.published - last.published})  acked ${s.acknowledged}  skipped ${s.skipped}  errors ${s.errors}${s.errors > last.errors && s.lastError ? `  last: ${s.lastError}` : ''}`);
    last = s;
  };
  line();
  const ticker = setInterval(line, reportS * 1000);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (durationS > 0) setTimeout(resolve, durationS * 1000).unref();
  });
  clearInterval(ticker);
  await town.stop();
  line();
  console.log('Stopped: every device disconnected cleanly (its data stays in the gateway, marked as an exercise).');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    console.error(`simulate: ${err.message}`);
    if (e instanceof UsageError || (err.name === 'TypeError' && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) console.error(`\n${usage}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
