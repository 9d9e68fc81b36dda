import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { envOverrides } from '../gateway/config/load.js';

/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked without a Docker engine: the
 * parts must agree with each other and with the repository (service names in URLs, volumes,
 * ports, mounted paths that exist, the data source Grafana gets). The dashboards themselves are
 * checked by dashboards/grafana.test.ts.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const repo = (p: string) => posix.join(root, p);
const read = (p: string) => readFileSync(repo(p), 'utf8');

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Compose variable syntax with an empty environment: `${X:-default}` gives the default. */
function interpolate(s: string, env: Record<string, string | undefined> = {}): string {
  return s.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g, (m, name?: string, op?: string, arg?: string, bare?: string) => {
    if (m === '$$') return '$';
    const v = env[(name ?? bare) as string];
    if (op === ':-') return v ? v : (arg ?? '');
    if (op === '-') return v ?? arg ?? '';
    if (op?.endsWith('?') && !v) throw new Error(`${name} is required: ${arg}`);
    return v ?? '';
  });
}

const compose = obj(parseYaml(read('docker-compose.yml')));
const services = obj(compose.services);
const svc = (name: string) => obj(services[name]);

function envOf(name: string): Record<string, string> {
  const e = svc(name).environment;
  const pairs = Array.isArray(e) ? e.map((x) => String(x).split(/=(.*)/s).slice(0, 2)) : Object.entries(obj(e)).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v ?? '')]));
}

interface Port { hostIp: string; published: string; target: string }
function portsOf(name: string): Port[] {
  return list(svc(name).ports).map((p) => {
    if (typeof p !== 'string') {
      const o = obj(p);
      return { hostIp: String(o.host_ip ?? ''), published: String(o.published ?? ''), target: String(o.target ?? '') };
    }
    const parts = interpolate(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = parts.pop() ?? '';
    const published = parts.pop() ?? '';
    return { hostIp: parts.join(':'), published, target };
  });
}

interface Mount { source: string; target: string; readOnly: boolean; bind: boolean }
function mountsOf(name: string): Mount[] {
  return list(svc(name).volumes).map((v) => {
    const o = typeof v === 'string' ? (() => { const [source = '', target = '', mode = ''] = interpolate(v).split(':'); return { source, target, read_only: mode.split(',').includes('ro') }; })() : obj(v);
    const source = String(o.source ?? '');
    return { source, target: String(o.target ?? ''), readOnly: o.read_only === true, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

const healthcheckOf = (name: string) => {
  const test = obj(svc(name).healthcheck).test;
  return Array.isArray(test) ? test.map(String).join(' ') : String(test ?? '');
};

t.test('services, ports and restart policies', async (t) => {
  t.same(Object.keys(services).sort(), ['gateway', 'grafana', 'timescaledb']);
  const published = (name: string) => portsOf(name).map((p) => `${p.published}->${p.target}`);
  t.same(published('gateway').sort(), ['1883->1883', '8080->8080'], 'gateway: HTTP (+ MQTT over WS) and MQTT');
  t.same(published('grafana'), ['3000->3000']);
  t.same(published('timescaledb'), ['5432->5432']);
  for (const p of portsOf('timescaledb')) t.equal(p.hostIp, '127.0.0.1', 'the database is published on loopback only');
  for (const name of Object.keys(services)) t.ok(svc(name).restart, `${name} has a restart policy`);
  t.equal(String(obj(svc('gateway').build).context ?? svc('gateway').build), '.', 'gateway is built from the repository');
  t.match(String(svc('timescaledb').image), /^timescale\/timescaledb:\d+\.\d+\.\d+-pg\d+$/, 'pinned TimescaleDB image');
  const [, major, minor] = /:(\d+)\.(\d+)/.exec(String(svc('timescaledb').image)) ?? [];
  t.ok(Number(major) > 2 || (Number(major) === 2 && Number(minor) >= 13), 'TimescaleDB >= 2.13 (by_range in the migrations)');
  t.match(String(svc('grafana').image), /^grafana\/grafana(-oss)?:\d+\.\d+\.\d+$/, 'pinned Grafana OSS image');
});

t.test('named volumes are declared, used, and hold the state', async (t) => {
  const declared = Object.keys(obj(compose.volumes)).sort();
  const used = [...new Set(Object.keys(services).flatMap((n) => mountsOf(n).filter((m) => !m.bind).map((m) => m.source)))].sort();
  t.same(used, declared, 'every named volume used is declared, and every declared one used');
  const named = (service: string, target: string) => mountsOf(service).find((m) => m.target === target && !m.bind);
  t.ok(named('gateway', '/data'), 'gateway data dir');
  t.ok(named('timescaledb', '/var/lib/postgresql/data'), 'database files');
  t.ok(named('grafana', '/var/lib/grafana'), 'Grafana state');
  for (const name of Object.keys(services)) {
    for (const m of mountsOf(name).filter((x) => x.bind)) {
      t.ok(existsSync(repo(m.source)), `${name}: ${m.source} exists in the repository`);
      t.ok(m.readOnly, `${name}: ${m.source} is mounted read-only`);
    }
  }
});

t.test('the gateway reaches the database the timescaledb service creates', async (t) => {
  const gw = envOf('gateway');
  const db = envOf('timescaledb');
  const url = new URL(gw.DATABASE_URL ?? '');
  t.match(url.protocol, /^postgres(ql)?:$/);
  t.equal(url.hostname, 'timescaledb', 'host is the service name');
  t.ok('timescaledb' in services);
  t.equal(url.port || '5432', '5432');
  t.equal(decodeURIComponent(url.pathname.slice(1)), db.POSTGRES_DB, 'database');
  t.equal(decodeURIComponent(url.username), db.POSTGRES_USER, 'user');
  t.equal(decodeURIComponent(url.password), db.POSTGRES_PASSWORD, 'password');
  t.equal(gw.CITYOPS_DATA_DIR, '/data');
  t.ok('CITYOPS_ADMIN_TOKEN' in gw, 'admin token passed through from the environment');
  const known = new Set(envOverrides.map((o) => o.env));
  for (const k of Object.keys(gw)) t.ok(known.has(k), `${k} is a variable the gateway reads (gateway/config/load.ts)`);
  for (const name of ['gateway', 'grafana']) {
    t.same(obj(svc(name).depends_on).timescaledb, { condition: 'service_healthy' }, `${name} waits for a healthy database`);
  }
});

t.test('healthchecks', async (t) => {
  t.match(healthcheckOf('gateway'), /127\.0\.0\.1:8080\/healthz/, 'gateway: GET /healthz');
  t.match(healthcheckOf('timescaledb'), /pg_isready .*-h 127\.0\.0\.1/, 'timescaledb: pg_isready over TCP');
  t.match(healthcheckOf('grafana'), /\/api\/health/, 'grafana: /api/health');
  t.doesNotThrow(() => interpolate(healthcheckOf('timescaledb')), 'compose variables in healthchecks resolve');
});

t.test('Grafana provisioning: mounted from the repository, pointing at the database', async (t) => {
  const mounts = mountsOf('grafana');
  const hostDirFor = (target: string) => mounts.find((m) => m.bind && target.startsWith(m.target))?.source;
  const dsDir = hostDirFor('/etc/grafana/provisioning/datasources');
  const provDir = hostDirFor('/etc/grafana/provisioning/dashboards');
  if (!dsDir || !provDir) return t.fail('datasource and dashboard provisioning are mounted');

  const env = envOf('grafana');
  const dbEnv = envOf('timescaledb');
  const dsFiles = readdirSync(repo(dsDir)).filter((f) => /\.ya?ml$/.test(f));
  t.ok(dsFiles.length > 0, 'a datasource file');
  const sources = dsFiles.flatMap((f) => list(obj(parseYaml(read(posix.join(dsDir, f)))).datasources).map(obj));
  const ds = sources.find((s) => /postgres/.test(String(s.type)));
  if (!ds) return t.fail('a PostgreSQL data source');
  // Grafana interpolates $VAR / ${VAR} from its own environment.
  const g = (v: unknown) => interpolate(String(v ?? ''), env);
  const [host, port] = g(ds.url).split(':');
  t.equal(host, 'timescaledb', 'data source host is the service name');
  t.equal(port, '5432');
  t.equal(g(obj(ds.jsonData).database), dbEnv.POSTGRES_DB, 'data source database');
  t.equal(obj(ds.jsonData).timescaledb, true, 'TimescaleDB macros (time_bucket) on');
  t.equal(g(ds.user), dbEnv.GRAFANA_DB_USER, 'connects as the reader role the init script creates');
  t.equal(g(obj(ds.secureJsonData).password), dbEnv.GRAFANA_DB_PASSWORD, 'with its password');
  t.ok(mountsOf('timescaledb').some((m) => m.bind && m.target.startsWith('/docker-entrypoint-initdb.d/')), 'the init script is mounted into the database');

  const providers = readdirSync(repo(provDir)).filter((f) => /\.ya?ml$/.test(f)).flatMap((f) => list(obj(parseYaml(read(posix.join(provDir, f)))).providers).map(obj));
  t.ok(providers.length > 0, 'a dashboard provider');
  for (const p of providers) {
    const path = String(obj(p.options).path);
    const host = mounts.find((m) => m.bind && m.target === path)?.source;
    t.ok(host, `provider path ${path} is a mount`);
    if (host) t.ok(readdirSync(repo(host)).some((f) => f.endsWith('.json')), `${host} holds dashboards`);
  }
  const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  const homeMount = home ? mounts.find((m) => m.bind && home.startsWith(`${m.target}/`)) : undefined;
  t.ok(homeMount && statSync(repo(posix.join(homeMount.source, home!.slice(homeMount.target.length)))).isFile(), 'the home dashboard exists');
});

/** Instructions with continuation lines joined and comments dropped. */
function dockerfile(): { op: string; args: string }[] {
  return read('Dockerfile').replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => { const [op = '', ...rest] = l.split(/\s+/); return { op: op.toUpperCase(), args: rest.join(' ') }; });
}

t.test('Dockerfile', async (t) => {
  const ins = dockerfile();
  const index = (op: string, re: RegExp) => ins.findIndex((i) => i.op === op && re.test(i.args));
  t.match(ins[0]?.args ?? '', /^node:20(-|$)/, 'node:20 base');
  const copyPkg = index('COPY', /^package\.json package-lock\.json /);
  const npmCi = index('RUN', /npm ci --omit=dev/);
  const copySrc = index('COPY', /^\. /);
  t.ok(copyPkg >= 0 && npmCi > copyPkg && copySrc > npmCi, 'package files, then npm ci --omit=dev, then the source (layer caching)');
  const users = ins.filter((i) => i.op === 'USER').map((i) => i.args);
  t.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users.at(-1) ?? 'root'), `runs as a non-root user (${users.at(-1)})`);
  const exposed = ins.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/, ''));
  t.ok(exposed.includes('8080') && exposed.includes('1883'), 'EXPOSE 8080 1883');
  t.match(ins.find((i) => i.op === 'HEALTHCHECK')?.args ?? '', /\/healthz/, 'HEALTHCHECK on /healthz');
  t.ok(ins.some((i) => i.op === 'VOLUME' && /^(\/data|\[\s*"\/data"\s*\])$/.test(i.args)), 'VOLUME /data');
  t.same(JSON.parse(ins.filter((i) => i.op === 'CMD').at(-1)?.args ?? 'null'), ['node', 'bin/cityops.js', 'start'], 'exec-form CMD');

  // npm ci --omit=dev installs `dependencies` only: what bin/cityops.js loads must be there.
  const pkg = JSON.parse(read('package.json')) as { dependencies?: Record<string, string> };
  const bin = read('bin/cityops.js');
  const imported = [...bin.matchAll(/from\s+'([^.'][^']*)'/g)].map((m) => (m[1] ?? '').split('/').slice(0, (m[1] ?? '').startsWith('@') ? 2 : 1).join('/'));
  t.ok(imported.includes('tsx'), 'bin/cityops.js loads tsx');
  for (const name of imported) t.ok(pkg.dependencies?.[name], `${name} is a production dependency`);
});

t.test('.dockerignore keeps state out and the runtime in', async (t) => {
  const patterns = read('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const p of ['node_modules', 'data', '.tap', 'bench/results', '.git']) t.ok(patterns.includes(p), `ignores ${p}`);
  for (const needed of ['gateway', 'adapters', 'bin', 'package.json', 'package-lock.json']) {
    t.notOk(patterns.some((p) => p === needed || p === `${needed}/` || p === `${needed}/**`), `keeps ${needed}`);
  }
});
