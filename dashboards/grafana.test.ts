import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import type { Queryable } from '../gateway/storage/db.js';
import { migrate, migrationsDir } from '../gateway/storage/migrate.js';
import { openPg } from '../gateway/storage/pg-driver.js';
import { pgliteTestDb, testLogger } from '../gateway/storage/testing.js';
import { freshDatabase, stopSharedPostgres } from '../test/helpers/postgres.js';

/**
 * The Grafana side of docker-compose.yml: every provisioned dashboard parses, names only
 * relations the migrations create, uses the provisioned data source, and its SQL (Grafana
 * macros expanded as the TimescaleDB-aware PostgreSQL data source does) runs on the real schema
 * with the answers a person would expect. The init script gives Grafana a read-only role.
 */
t.teardown(stopSharedPostgres);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const dashboardsDir = here('./grafana/dashboards');
const readerScript = here('./grafana/initdb/10-grafana-reader.sh');

type Json = unknown;
interface Dashboard { file: string; json: Record<string, Json> }
interface Sql { where: string; sql: string }

const dashboards: Dashboard[] = readdirSync(dashboardsDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as Record<string, Json> }));

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(v: Json, visit: (o: Record<string, Json>, path: string) => void, path = ''): void {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, visit, `${path}/${i}`));
  else if (isObject(v)) {
    visit(v, path);
    for (const [k, x] of Object.entries(v)) walk(x, visit, `${path}/${k}`);
  }
}

/** Panel queries (`rawSql`) and query variables of one dashboard. */
function sqlOf(d: Dashboard): Sql[] {
  const out: Sql[] = [];
  walk(d.json, (o, path) => {
    if (typeof o.rawSql === 'string') out.push({ where: `${d.file}${path}`, sql: o.rawSql });
    if (o.type === 'query' && typeof o.query === 'string' && /\/templating\//.test(path)) out.push({ where: `${d.file}${path}`, sql: o.query });
  });
  return out;
}

const stripSql = (sql: string) => sql.replace(/--[^\n]*/g, ' ').replace(/'(?:[^']|'')*'/g, "''");

/** Tables and views the migrations create. */
function knownRelations(): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(migrationsDir).filter((x) => x.endsWith('.sql'))) {
    const text = stripSql(readFileSync(join(migrationsDir, f), 'utf8'));
    for (const m of text.matchAll(/\bCREATE\s+(?:TABLE|(?:MATERIALIZED\s+)?VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)/gi)) names.add((m[1] ?? '').toLowerCase());
  }
  return names;
}

/** Names after FROM / JOIN, minus CTEs and `extract(epoch FROM x)`-style uses. */
function referencedRelations(sql: string): string[] {
  const text = stripSql(sql);
  const ctes = new Set([...text.matchAll(/\b([a-z_]\w*)\s+AS\s*\(/gi)].map((m) => (m[1] ?? '').toLowerCase()));
  return [...text.matchAll(/(?<!\b(?:epoch|distinct)\s+)\b(?:FROM|JOIN)\s+("?[a-z_][\w.]*"?)/gi)]
    .map((m) => (m[1] ?? '').replace(/"/g, '').replace(/^public\./, '').toLowerCase())
    .filter((n) => !ctes.has(n));
}

t.test('every dashboard parses and queries only relations the migrations create', async (t) => {
  t.ok(dashboards.length > 0, 'at least one dashboard JSON');
  const known = knownRelations();
  for (const name of ['readings', 'readings_1m', 'devices', 'dead_letters']) t.ok(known.has(name), `migrations create ${name}`);
  for (const d of dashboards) {
    t.type(d.json.uid, 'string', `${d.file} has a uid`);
    const sqls = sqlOf(d);
    t.ok(sqls.length > 0, `${d.file} has SQL`);
    for (const { where, sql } of sqls) {
      const refs = referencedRelations(sql);
      t.ok(refs.length > 0, `${where} reads a relation`);
      for (const r of refs) t.ok(known.has(r), `${where}: ${r} exists in gateway/storage/migrations`);
    }
  }
  t.same(referencedRelations('SELECT extract(epoch FROM x.t) FROM readings_1m r JOIN nope n ON true'), ['readings_1m', 'nope'], 'the check sees through expressions');
});

t.test('dashboards use the provisioned data source', async (t) => {
  const ds = parseYaml(readFileSync(here('./grafana/provisioning/datasources/timescaledb.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
  const uids = new Set(ds.datasources.map((d) => d.uid));
  for (const d of dashboards) {
    walk(d.json, (o, path) => {
      const ref = o.datasource;
      if (!isObject(ref)) return;
      const ok = ref.type === 'grafana' || (typeof ref.uid === 'string' && uids.has(ref.uid) && ds.datasources.some((x) => x.uid === ref.uid && x.type === ref.type));
      t.ok(ok, `${d.file}${path}: data source ${JSON.stringify(ref)} is provisioned`);
    });
  }
});

// ---- Running the SQL ----

const T0 = Date.parse('2026-01-05T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function seconds(interval: string): number {
  const m = /^'?(\d+)(s|m|h|d)'?$/.exec(interval.trim());
  if (!m) throw new Error(`unsupported interval ${interval}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Grafana's PostgreSQL macros with `timescaledb: true` (time_bucket), and template variables. */
function expand(sql: string, ctx: { from: number; to: number; interval: string; vars: Record<string, string[]> }): string {
  let out = sql.replace(/\$__interval\b/g, ctx.interval);
  out = out.replace(/\$__timeGroup(Alias)?\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*(?:,[^()]*)?\)/g, (_m, alias: string | undefined, col: string, iv: string) => `time_bucket('${seconds(iv)} seconds'::interval, ${col})${alias ? ' AS "time"' : ''}`);
  out = out.replace(/\$__timeFilter\(\s*([^()]+?)\s*\)/g, (_m, col: string) => `${col} BETWEEN '${iso(ctx.from)}' AND '${iso(ctx.to)}'`);
  out = out.replace(/\$\{?([a-z]\w*)\}?/gi, (m, name: string) => (ctx.vars[name] ? ctx.vars[name].map(quote).join(', ') : m));
  if (/\$/.test(stripSql(out))) throw new Error(`macro or variable left unexpanded in:\n${out}`);
  return out;
}

async function seed(db: Queryable): Promise<void> {
  const devices: [string, string, string][] = [['wl-1', 'waterlogging', 'online'], ['wl-2', 'waterlogging', 'offline'], ['sm-1', 'smoke', 'unknown']];
  for (const [id, kind, status] of devices) {
    await db.query(
      `INSERT INTO devices (id, name, kind, adapter, lon, lat, input_lon, input_lat, input_crs, block_code, password_hash, credentials_rotated_at, status, created_at, updated_at)
       VALUES ($1, $1, $2, 'generic-json', 121.47, 31.23, 121.47, 31.23, 'wgs84', '31010100100100001', 'scrypt$test', $3, $4, $3, $3)`,
      [id, kind, iso(T0 - 86400_000), status],
    );
  }
  const readings: [number, string, string, number | null, string | null][] = [
    [T0, 'wl-1', 'depth_cm', 10, null],
    [T0 + 10_000, 'wl-1', 'depth_cm', 20, null],
    [T0 + 20_000, 'wl-2', 'depth_cm', 30, null],
    [T0, 'wl-1', 'battery_pct', 80, null],
    [T0, 'sm-1', 'alarm_state', null, 'alarm'],
  ];
  for (const [time, device, metric, value, state] of readings) {
    await db.query('INSERT INTO readings (time, device_id, metric, value, state) VALUES ($1, $2, $3, $4, $5)', [iso(time), device, metric, value, state]);
  }
  const deadLetters: [number, string][] = [[T0 + 60_000, 'MALFORMED'], [T0 + 120_000, 'MALFORMED'], [T0 + 3_700_000, 'OUT_OF_RANGE']];
  for (const [at, code] of deadLetters) {
    await db.query(`INSERT INTO dead_letters (received_at, source, device_id, adapter, reason_code, reason, payload) VALUES ($1, 'cityops/v1/devices/wl-1/up', 'wl-1', 'waterlogging-json', $2, 'test', decode('00', 'hex'))`, [iso(at), code]);
  }
}

const num = (v: unknown) => Number(typeof v === 'bigint' ? v : String(v));
const time = (v: unknown) => new Date(v instanceof Date ? v : String(v)).toISOString();

t.test('the dashboard SQL runs on TimescaleDB and answers what the panels promise', async (t) => {
  const db = await pgliteTestDb(t);
  t.equal(db.mode, 'timescaledb', 'readings_1m needs TimescaleDB');
  await seed(db);
  const all = { from: T0 - 3600_000, to: T0 + 4 * 3600_000, interval: '1m', vars: { kind: ['smoke', 'waterlogging'] } };
  const run = async (sql: string, ctx = all) => (await db.query(expand(sql, ctx))).rows;

  for (const d of dashboards) for (const { where, sql } of sqlOf(d)) await t.resolves(run(sql), `${where} runs`);

  const overview = dashboards.find((d) => d.json.uid === 'cityops-overview');
  if (!overview) return t.fail('cityops-overview dashboard');
  const panelSql = (title: string): string => {
    let found: string | undefined;
    walk(overview.json, (o) => {
      const target = Array.isArray(o.targets) ? o.targets[0] : undefined;
      if (o.title === title && isObject(target) && typeof target.rawSql === 'string') found = target.rawSql;
    });
    if (found === undefined) throw new Error(`no panel "${title}"`);
    return found;
  };

  const readings = await run(panelSql('Readings: $kind'), { ...all, vars: { kind: ['waterlogging'] } });
  t.same(readings.map((r) => [time(r.time), r.metric, num(r.avg)]), [[iso(T0), 'battery_pct', 80], [iso(T0), 'depth_cm', 20]], 'average per metric over the devices of the kind');
  t.same(await run(panelSql('Readings: $kind'), { ...all, vars: { kind: ['smoke'] } }), [], 'state-only metrics have no average');

  const stored = await run(panelSql('Readings stored per kind'), { ...all, interval: '1h' });
  t.same(stored.map((r) => [time(r.time), r.kind, num(r.readings)]), [[iso(T0), 'smoke', 1], [iso(T0), 'waterlogging', 4]], 'readings counted per kind, states included');

  const status = await run(panelSql('Devices by status'));
  t.same(status.map((r) => [r.status, num(r.devices)]), [['offline', 1], ['online', 1], ['unknown', 1]], 'devices per status');

  const dead = await run(panelSql('Dead letters per hour'));
  t.same(dead.map((r) => [time(r.time), r.reason_code, num(r.dead_letters)]), [[iso(T0), 'MALFORMED', 2], [iso(T0 + 3600_000), 'OUT_OF_RANGE', 1]], 'dead letters per hour and reason');

  const offline = await run(panelSql('Offline devices'));
  t.same(offline.map((r) => r.id), ['wl-2'], 'only the offline device is listed');
});

t.test('the init script gives Grafana a read-only role that sees tables created later', async (t) => {
  const fresh = await freshDatabase();
  const url = new URL(fresh.url);
  const dbName = url.pathname.slice(1);
  const reader = `grafana_${dbName}`;
  // Closed last-opened first, before the database (and then the cluster-wide role) goes.
  const cleanup: (() => Promise<void>)[] = [
    async () => {
      const c = new pg.Client({ connectionString: fresh.url.replace(/\/[^/]+$/, '/postgres') });
      await c.connect();
      await c.query(`DROP ROLE IF EXISTS ${reader}`).finally(() => c.end());
    },
    () => fresh.drop(),
  ];
  t.teardown(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  cleanup.push(() => admin.end());

  // As the PostgreSQL image runs it: before the gateway has created anything.
  const run = spawnSync('bash', [readerScript], {
    encoding: 'utf8',
    env: { ...process.env, PGHOST: url.hostname, PGPORT: url.port, POSTGRES_USER: url.username, POSTGRES_DB: dbName, GRAFANA_DB_USER: reader, GRAFANA_DB_PASSWORD: "it's secret" },
  });
  t.equal(run.status, 0, `script succeeds: ${run.stderr}`);

  const db = await openPg({ url: fresh.url, poolSize: 2, logger: testLogger() });
  cleanup.push(() => db.close());
  await migrate(db, testLogger());
  await seed(db);

  const readerUrl = new URL(fresh.url);
  readerUrl.username = reader;
  const c = new pg.Client({ connectionString: readerUrl.toString() });
  await c.connect();
  cleanup.push(() => c.end());
  const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM devices');
  t.equal(Number(rows[0]?.n), 3, 'reads a table the gateway created after the script ran');
  t.equal((await c.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]?.statement_timeout, '30s', 'queries are time-limited');
  await t.rejects(c.query("DELETE FROM devices WHERE id = 'wl-1'"), { code: '25006' }, 'read-only transactions by default');
  await c.query('SET default_transaction_read_only = off');
  await t.rejects(c.query("DELETE FROM devices WHERE id = 'wl-1'"), { code: '42501' }, 'and no write privilege either');
  const pw = await admin.query<{ ok: boolean }>('SELECT rolpassword IS NOT NULL AS ok FROM pg_authid WHERE rolname = $1', [reader]);
  t.equal(pw.rows[0]?.ok, true, 'a password with a quote in it was set');
});
