/**
 * What the three parts of `npm run bench:district` share: a PostgreSQL cluster of their own
 * with a migrated database, the district simulator as a child process driven over its control
 * API, case messages in the real district format (gateway/district/messages.ts), and the outbox
 * with the district link as the gateway builds them.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { Value } from 'typebox/value';
import { startPostgres } from '../test/helpers/postgres.js';
import { ConfigSchema, type Config } from '../gateway/config/schema.js';
import type { Clock } from '../gateway/core/clock.js';
import { validate } from '../gateway/core/schema.js';
import type { CaseView } from '../gateway/cases/types.js';
import { chinaTime } from '../gateway/events/store.js';
import { createOutbox } from '../gateway/outbox/outbox.js';
import type { Channel, Outbox } from '../gateway/outbox/types.js';
import { openPg } from '../gateway/storage/pg-driver.js';
import { migrate } from '../gateway/storage/migrate.js';
import type { Db } from '../gateway/storage/db.js';
import { CaseMessage, casePayload, districtKeys, orderKeys } from '../gateway/district/messages.js';
import { createDistrictLink, districtMaxAge, type DistrictLinkWithChannel } from '../gateway/district/link.js';
import { districtChannelName, type DistrictPayload } from '../gateway/district/types.js';
import type { WarningView } from '../gateway/warnings/schema.js';
import type { SimMode, SimStats } from '../simulators/district/types.js';
import type { Cleanup } from './lib/cleanup.js';

export const benchSecret = 'bench-district-secret';
export const silent: Logger = pino({ level: 'silent' });

/** A cluster and one migrated database in it; both go with the cleanup. */
export async function benchDatabase(cleanup: Cleanup, name: string, poolSize = 8): Promise<Db> {
  const cluster = await startPostgres();
  cleanup.onExit('postgres cluster', () => cluster.stopNow());
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = await openPg({ url: cluster.adminUrl.replace(/\/postgres$/, `/${name}`), poolSize, logger: silent });
  cleanup.defer('database pool', () => db.close());
  await migrate(db, silent);
  return db;
}

export interface SimulatorChild {
  primaryUrl: string;
  backupUrl: string;
  stats(): Promise<SimStats>;
  setMode(endpoint: 'primary' | 'backup' | 'both', mode: SimMode): Promise<void>;
}

/** The simulator's CLI in a process of its own (the receiver's CPU is not the sender's); logs to `logFile`. */
export async function startSimulatorChild(cleanup: Cleanup, logFile: string): Promise<SimulatorChild> {
  const cli = fileURLToPath(new URL('../simulators/district/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--secret', benchSecret, '--no-bodies'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CITYOPS_LOG_LEVEL: 'warn' } });
  let exited = false;
  child.once('exit', () => (exited = true));
  cleanup.onExit(`district simulator (pid ${child.pid})`, () => {
    if (!exited) child.kill('SIGKILL');
  });
  cleanup.defer('district simulator', async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  });
  child.stderr.pipe(createWriteStream(logFile, { flags: 'a' }));
  const ready = await new Promise<{ primaryUrl: string; backupUrl: string; controlUrl: string }>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined || !out.includes('\n')) return;
      child.stdout.off('data', onData);
      resolve(JSON.parse(line) as { primaryUrl: string; backupUrl: string; controlUrl: string });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`district simulator exited (${code}) before it was ready; see ${logFile}`)));
  });
  const control = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${ready.controlUrl}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    const json = (await res.json()) as unknown;
    if (res.status !== 200) throw new Error(`simulator control ${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    primaryUrl: ready.primaryUrl,
    backupUrl: ready.backupUrl,
    stats: async () => ((await control('GET', '/stats')) as { stats: SimStats }).stats,
    setMode: async (endpoint, mode) => void (await control('POST', '/mode', { endpoint, mode })),
  };
}

/** A database and the simulator child, with a work dir for its log, all going with the cleanup. */
export async function benchEnvironment(cleanup: Cleanup, name: string, log: (s: string) => void): Promise<{ db: Db; sim: SimulatorChild }> {
  const work = mkdtempSync(join(tmpdir(), `cityops-district-${name}-`));
  cleanup.onExit('work dir', () => rmSync(work, { recursive: true, force: true }));
  checkCaseFormat();
  log(`${name}: starting PostgreSQL and the district simulator`);
  const db = await benchDatabase(cleanup, `cityops_district_${name}`);
  const sim = await startSimulatorChild(cleanup, join(work, 'simulator.log'));
  return { db, sim };
}

const warningOf = (i: number, atMs: number): WarningView => ({
  id: String(i), fingerprint: `waterlogging-depth/wl-${i}`, ruleId: 'waterlogging-depth', ruleVersion: 1, subject: { type: 'device', id: `wl-${i}` },
  deviceId: `wl-${i}`, kind: 'waterlogging', blockCode: '44030500100100001', category: 'rainstorm', grade: 'red', peakGrade: 'red', state: 'active',
  raisedAt: new Date(atMs).toISOString(), updatedAt: new Date(atMs).toISOString(), clearedAt: null, acknowledgedAt: null, acknowledgedBy: null,
  silenced: false, stormId: null, exercise: false, metric: 'depth_cm', value: 55, valueState: null, reason: 'depth_cm 55 ≥ 50 (red)',
  caseRequestedAt: new Date(atMs).toISOString(), pictureRequestedAt: null, data: {},
});

const caseOf = (i: number, atMs: number): CaseView => ({
  id: String(i), source: 'warning', sourceName: 'waterlogging-depth', externalId: null, warningId: String(i), districtCaseNo: null,
  category: 'rainstorm', kind: 'waterlogging', grade: 'red', title: `东环路下穿通道积水 55 cm (#${i})`, description: '积水深度 55 cm，超过红色阈值 50 cm',
  blockCode: '44030500100100001', location: { lon: 113.9431, lat: 22.5402, address: '东环路下穿通道' }, status: 'new', unit: null, exercise: false,
  incidentAt: chinaTime(atMs), createdAt: chinaTime(atMs), updatedAt: chinaTime(atMs),
  times: { reported: null, dispatched: null, signed: null, arrived: null, handled: null, verified: null, closed: null }, createdBy: 'system',
});

/** Case `i`'s first report, exactly as the forwarder queues it. */
export function caseMessage(i: number, atMs: number): { key: string; payload: DistrictPayload; orderKey: string } {
  const key = districtKeys.caseOpened(String(i));
  const message: CaseMessage = { kind: 'case', key, sentAt: chinaTime(atMs), case: caseOf(i, atMs), warning: warningOf(i, atMs) };
  return { key, payload: casePayload(message), orderKey: orderKeys.case(String(i)) };
}

/** The bench sends what the documented contract allows, nothing looser. */
export function checkCaseFormat(): void {
  const body = caseMessage(1, Date.now()).payload.body;
  if (!Value.Check(CaseMessage, body)) throw new Error(`the bench's case message does not match the contract: ${JSON.stringify([...Value.Errors(CaseMessage, body)][0])}`);
}

/** Cases [from, from + count) on the district channel, in transactions of 500, then a poke. */
export async function enqueueCases(db: Db, outbox: Outbox, config: Config, from: number, count: number, atMs: number): Promise<void> {
  const maxAgeMs = districtMaxAge(config.district);
  for (let start = from; start < from + count; start += 500) {
    const end = Math.min(from + count, start + 500);
    await db.transaction(async (tx) => {
      for (let i = start; i < end; i++) {
        const m = caseMessage(i, atMs);
        await outbox.enqueue(tx, { channel: districtChannelName, key: m.key, payload: m.payload, orderKey: m.orderKey, maxAgeMs, subject: { type: 'case', id: String(i) } });
      }
    });
  }
  outbox.poke();
}

/** The gateway's configuration with the district pointed at the simulator, plus dotted overrides of the outbox. */
export function benchConfig(sim: { primaryUrl: string; backupUrl: string }, outbox: Partial<Config['outbox']> = {}, district: Partial<Config['district']> = {}): Config {
  const base = validate(ConfigSchema, {}, { what: 'bench configuration' });
  return { ...base, outbox: { ...base.outbox, ...outbox }, district: { ...base.district, primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, secret: benchSecret, ...district } };
}

export interface Pipeline {
  outbox: Outbox;
  link: DistrictLinkWithChannel;
}

/**
 * The outbox and the district link as the gateway wires them; `observe` sees every finished
 * delivery (the endpoint that took it, when), for the failover timings.
 */
export function pipeline(db: Db, clock: Clock, config: Config, observe?: (ok: boolean, endpoint: string | undefined) => void): Pipeline {
  const outbox = createOutbox({ db, clock, logger: silent, config: config.outbox });
  const link = createDistrictLink({ config: config.district, clock, logger: silent });
  const register = (ch: Channel) => outbox.register(observe ? observed(ch, observe) : ch);
  link.attach({ ...outbox, register });
  return { outbox, link };
}

function observed(ch: Channel, observe: (ok: boolean, endpoint: string | undefined) => void): Channel {
  return {
    name: ch.name,
    type: ch.type,
    async deliver(msg, signal) {
      const r = await ch.deliver(msg, signal);
      observe(r.ok, r.endpoint);
      return r;
    },
  };
}
