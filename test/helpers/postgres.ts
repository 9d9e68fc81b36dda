/**
 * A real PostgreSQL server for tests, started from Debian's binaries (postgresql-15) as the
 * `postgres` user (PostgreSQL refuses to run as root), on a free loopback port, in a temp dir.
 *
 * - `sharedPostgres()` gives one cluster per test process (or the one scripts/test.mjs started,
 *   via CITYOPS_TEST_PG_ADMIN_URL) and `freshDatabase()` a new empty database in it.
 * - `startPostgres()` gives a cluster of the test's own, which it may stop and restart
 *   (the database-outage tests).
 */
import { spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  /** Admin URL (database `postgres`). */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
  /** Synchronous immediate stop and cleanup, for process exit handlers. */
  stopNow(): void;
}

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: run `bash scripts/install-test-deps.sh` (apt-get install postgresql)');
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  const v = versions[0];
  if (!v) throw new Error('no PostgreSQL server version under /usr/lib/postgresql');
  return join(root, v, 'bin');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function asPostgres(args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
}

const execFileAsync = promisify(execFile);

/** Async, so a test that stops or starts its server does not freeze its own event loop meanwhile. */
async function runAsync(args: string[]): Promise<void> {
  const [cmd, ...rest] = asPostgres(args);
  try {
    await execFileAsync(cmd as string, rest, { encoding: 'utf8' });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${args.join(' ')} failed: ${err.stderr || err.message}`, { cause: e });
  }
}

function run(args: string[]): void {
  const [cmd, ...rest] = asPostgres(args);
  const r = spawnSync(cmd as string, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'cityops-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=128MB`;
  const ctl = (action: string, extra: string[] = []) => run([join(bin, 'pg_ctl'), '-D', data, '-w', '-t', '60', ...extra, action]);
  const cluster: PostgresCluster = {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => runAsync([join(bin, 'pg_ctl'), '-D', data, '-w', '-t', '60', '-o', opts, '-l', join(dir, 'log'), 'start']),
    stop: () => runAsync([join(bin, 'pg_ctl'), '-D', data, '-w', '-t', '60', '-m', 'fast', 'stop']),
    destroy: async () => cluster.stopNow(),
    stopNow: () => {
      if (!existsSync(dir)) return;
      try {
        ctl('stop', ['-m', 'immediate']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

let shared: Promise<{ adminUrl: string; destroy?: () => Promise<void> }> | undefined;

/** One cluster per test run: the one scripts/test.mjs started, or one of this process's own. */
export function sharedPostgres(): Promise<{ adminUrl: string }> {
  if (!shared) {
    const url = process.env.CITYOPS_TEST_PG_ADMIN_URL;
    shared = url
      ? Promise.resolve({ adminUrl: url })
      : startPostgres().then((c) => {
          // A test process that forgets stopSharedPostgres() must not leave a server behind.
          process.once('exit', () => c.stopNow());
          return { adminUrl: c.adminUrl, destroy: () => c.destroy() };
        });
  }
  return shared;
}

let counter = 0;

/** A new, empty database in the shared cluster; dropped by `drop()`. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { adminUrl } = await sharedPostgres();
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Called by tap's teardown in files that used sharedPostgres(). */
export async function stopSharedPostgres(): Promise<void> {
  if (!shared) return;
  const s = await shared;
  shared = undefined;
  await s.destroy?.();
}

