/**
 * `npm run bench:ingest`: QoS 1 ingest throughput of the CityOps gateway end to end (PUBLISH
 * → PUBACK → row in PostgreSQL), with the embedded database, and of a bare aedes and a
 * mosquitto relaying the same load to one subscriber, all driven by one load generator
 * process. See docs/benchmarks.md. Progress goes to stderr; the table and the summary line
 * (always the last line) to stdout. Exits 1 when an acknowledged reading was not stored.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { parseFlags, usage, type BenchOptions, type TargetName } from './lib/args.js';
import { forkChild } from './lib/children.js';
import { Cleanup } from './lib/cleanup.js';
import { formatSelfTimes } from './lib/cpuprofile.js';
import { machineInfo } from './lib/machine.js';
import { startMosquitto } from './lib/mosquitto.js';
import { adapterMix, planDevices, type BenchDevice } from './lib/payloads.js';
import type { BrokerCommand, BrokerReply, LoadgenCommand, LoadgenReply, SubscriberCommand, SubscriberReply } from './lib/protocol.js';
import { buildReport, formatTable, writeReport } from './lib/report.js';
import type { TargetResult } from './lib/results.js';
import { runCityops, runRelay, type Loadgen, type RunShape } from './lib/targets.js';

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

interface Ctx {
  opts: BenchOptions;
  work: string;
  cleanup: Cleanup;
  loadgen: Loadgen;
  devices: BenchDevice[];
  profDir: string | undefined;
}

/** The benchmark's device times reach weeks back (SL 651 has minute resolution): keep compression off them. */
const gatewayOverrides = (opts: BenchOptions): Record<string, unknown> => ({ 'database.compressAfter': '300 days', ...opts.overrides });

async function createDatabase(adminUrl: string): Promise<{ url: string; postmasterPid: number | undefined }> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query('CREATE DATABASE cityops_bench');
    const dir = await c.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`);
    const pidFile = dir.rows[0] ? readFileSync(join(dir.rows[0].setting, 'postmaster.pid'), 'utf8') : '';
    const pid = Number(pidFile.split('\n')[0]);
    return { url: adminUrl.replace(/\/postgres$/, '/cityops_bench'), postmasterPid: Number.isInteger(pid) && pid > 0 ? pid : undefined };
  } finally {
    await c.end();
  }
}

function shape(ctx: Ctx, warmupS: number, durationS: number): RunShape {
  const { connections, window, engine } = ctx.opts;
  return { connections, window, engine, warmupS, durationS, log };
}

async function cityopsPostgres(ctx: Ctx): Promise<TargetResult> {
  log('CityOps end to end, PostgreSQL on this machine: starting a cluster');
  const cluster = await startPostgres();
  ctx.cleanup.onExit('postgres cluster', () => cluster.stopNow());
  try {
    const db = await createDatabase(cluster.adminUrl);
    return await runCityops({
      ...shape(ctx, ctx.opts.warmupS, ctx.opts.durationS),
      target: 'cityops',
      label: 'CityOps + PostgreSQL',
      driver: 'pg',
      devices: ctx.devices,
      loadgen: ctx.loadgen,
      ...(db.postmasterPid !== undefined ? { postgresPid: db.postmasterPid } : {}),
      gateway: { databaseUrl: db.url, dataDir: join(ctx.work, 'gw-postgres'), logDir: ctx.work, nodeArgs: ctx.opts.gatewayNodeArgs, overrides: gatewayOverrides(ctx.opts), cleanup: ctx.cleanup, ...(ctx.profDir ? { cpuProfile: join(ctx.profDir, 'gateway-postgres.cpuprofile') } : {}) },
    });
  } finally {
    await cluster.destroy();
  }
}

async function cityopsEmbedded(ctx: Ctx): Promise<TargetResult> {
  log('CityOps end to end, embedded PGlite + TimescaleDB (worker thread)');
  return runCityops({
    ...shape(ctx, ctx.opts.embeddedWarmupS, ctx.opts.embeddedDurationS),
    target: 'embedded',
    label: 'CityOps + embedded',
    driver: 'pglite',
    devices: ctx.devices,
    loadgen: ctx.loadgen,
    gateway: { databaseUrl: '', dataDir: join(ctx.work, 'gw-embedded'), logDir: ctx.work, nodeArgs: ctx.opts.gatewayNodeArgs, overrides: gatewayOverrides(ctx.opts), cleanup: ctx.cleanup, ...(ctx.profDir ? { cpuProfile: join(ctx.profDir, 'gateway-embedded.cpuprofile') } : {}) },
  });
}

async function relay(ctx: Ctx, target: 'aedes' | 'mosquitto'): Promise<TargetResult> {
  let url: string;
  let pid: number;
  let stopBroker: () => Promise<void>;
  if (target === 'aedes') {
    log('bare aedes 1.2 QoS 1 relay (own process, no auth, no hooks)');
    const broker = forkChild<BrokerCommand, BrokerReply>({ name: 'aedes', script: 'bare-aedes-child.ts', logFile: join(ctx.work, 'aedes.log'), cleanup: ctx.cleanup });
    const ready = await broker.next(60_000);
    if (ready.type !== 'ready') throw new Error(`aedes: unexpected ${ready.type}`);
    url = `mqtt://127.0.0.1:${ready.port}`;
    pid = broker.pid;
    stopBroker = () => broker.stop();
  } else {
    log('mosquitto QoS 1 relay');
    const m = await startMosquitto({ dir: ctx.work, cleanup: ctx.cleanup, maxInflight: ctx.opts.mosquittoInflight });
    url = m.url;
    pid = m.pid;
    stopBroker = () => m.stop();
  }
  const subscriber = forkChild<SubscriberCommand, SubscriberReply>({ name: `${target}-subscriber`, script: 'subscriber-child.ts', logFile: join(ctx.work, `${target}-subscriber.log`), cleanup: ctx.cleanup });
  try {
    return await runRelay({
      ...shape(ctx, ctx.opts.warmupS, ctx.opts.durationS),
      target,
      label: target === 'aedes' ? 'bare aedes relay' : 'mosquitto relay',
      url,
      brokerPid: pid,
      loadgen: ctx.loadgen,
      subscriber,
    });
  } finally {
    await subscriber.stop();
    await stopBroker();
  }
}

async function main(): Promise<number> {
  const parsed = parseFlags(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const opts = parsed;
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers(log);
  const work = mkdtempSync(join(tmpdir(), 'cityops-bench-'));
  cleanup.onExit('temp dir', () => rmSync(work, { recursive: true, force: true }));
  try {
    const machine = machineInfo();
    const devices = planDevices(opts.connections);
    const profDir = opts.cpuProf ? join(opts.outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    const loadgen = forkChild<LoadgenCommand, LoadgenReply>({ name: 'loadgen', script: 'loadgen-child.ts', logFile: join(work, 'loadgen.log'), cleanup });
    cleanup.defer('loadgen', () => loadgen.stop());
    log(`building ${opts.connections} x ${opts.poolPerConnection} payloads with the adapters' encoders...`);
    const prepared = await loadgen.request({ type: 'prepare', devices, poolPerDevice: opts.poolPerConnection, nowMs: Date.now() }, 600_000);
    if (prepared.type !== 'prepared') throw new Error(`loadgen: unexpected ${prepared.type}`);
    log(`  ${prepared.packets} packets, ${(prepared.bytes / 2 ** 20).toFixed(0)} MiB, ${prepared.meanReadings.toFixed(2)} readings/msg, built in ${prepared.seconds.toFixed(1)} s`);

    const ctx: Ctx = { opts, work, cleanup, loadgen, devices, profDir };
    const runners: Record<TargetName, () => Promise<TargetResult>> = {
      cityops: () => cityopsPostgres(ctx),
      embedded: () => cityopsEmbedded(ctx),
      aedes: () => relay(ctx, 'aedes'),
      mosquitto: () => relay(ctx, 'mosquitto'),
    };
    const results: TargetResult[] = [];
    let failed = 0;
    for (const t of opts.targets) {
      try {
        const r = await runners[t]();
        results.push(r);
        log(`  => ${r.label}: ${Math.round(r.msgsPerSec)} msgs/s, ${Math.round(r.readingsPerSec)} readings/s${r.storage ? `, lost ${r.storage.lost}` : ''}`);
      } catch (e) {
        failed++;
        log(`  !! ${t} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }

    const report = buildReport({ machine, options: opts, meanReadings: prepared.meanReadings, adapters: adapterMix.map((a) => a.adapter), results });
    const file = writeReport(report, opts.outDir);
    if (profDir) {
      for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile'))) process.stdout.write(`${formatSelfTimes(join(profDir, f))}\n\n`);
    }
    process.stdout.write(`${formatTable(report)}\nresults: ${file}\n${report.summary}\n`);
    await cleanup.runAll(log);
    return report.lost > 0 ? 1 : failed > 0 ? 2 : 0;
  } catch (e) {
    log(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await cleanup.runAll(log);
    return 2;
  }
}

process.exitCode = await main();
