/**
 * The mosquitto target: Debian's mosquitto on a free loopback port with a generated config
 * that queues without limit (nothing dropped, so every acknowledged message reaches the
 * subscriber) and keeps nothing on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import { freePort } from '../../test/helpers/postgres.js';

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? 'mosquitto';

export function mosquittoVersion(): string | undefined {
  const r = spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' });
  return /mosquitto version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
}

export interface RunningMosquitto {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export function mosquittoConfig(port: number, maxInflight: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // 0 = no limit: a subscriber that falls behind is queued for, never dropped.
    'max_queued_messages 0',
    'max_queued_bytes 0',
    // Messages past this wait in the (unlimited) queue; see docs/benchmarks.md for the value.
    `max_inflight_messages ${maxInflight}`,
    'set_tcp_nodelay true',
    'sys_interval 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

export async function startMosquitto(o: { dir: string; cleanup: Cleanup; maxInflight: number }): Promise<RunningMosquitto> {
  const port = await freePort();
  const conf = join(o.dir, 'mosquitto.conf');
  writeFileSync(conf, mosquittoConfig(port, o.maxInflight), { mode: 0o644 });
  const log = openSync(join(o.dir, 'mosquitto.log'), 'a');
  const cp = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', log, log] });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    cp.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  o.cleanup.onExit(`mosquitto (pid ${cp.pid})`, () => {
    if (!exited) cp.kill('SIGKILL');
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`mosquitto exited at start; see ${join(o.dir, 'mosquitto.log')}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error('mosquitto did not listen within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: cp.pid ?? -1,
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (exited) return;
      cp.kill('SIGTERM');
      const timer = setTimeout(() => cp.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
