/**
 * The parent side: forks a TypeScript child (through tsx) with an IPC channel, keeps its
 * output in a log file, and turns its replies into awaitable answers. Every child is
 * registered for cleanup the moment it exists.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';

export interface ChildOptions {
  name: string;
  /** File name under bench/lib/. */
  script: string;
  logFile: string;
  cleanup: Cleanup;
  env?: Record<string, string>;
  /** More node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface Child<C, R> {
  readonly name: string;
  readonly pid: number;
  /** The next message from the child (an unsolicited `ready`). */
  next(timeoutMs: number): Promise<R>;
  request(cmd: C, timeoutMs: number): Promise<R>;
  /** Asks the child to exit (IPC disconnect), then kills it if it does not. */
  stop(graceMs?: number): Promise<void>;
}

export function forkChild<C, R extends { type: string }>(o: ChildOptions): Child<C, R> {
  const script = fileURLToPath(new URL(`./${o.script}`, import.meta.url));
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const cp: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx', ...(o.nodeArgs ?? [])],
    env: { ...process.env, ...(o.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  cp.stdout?.pipe(log, { end: false });
  cp.stderr?.pipe(log, { end: false });
  const pid = cp.pid ?? -1;
  let exited: { code: number | null; signal: string | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    cp.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  o.cleanup.onExit(`${o.name} (pid ${pid})`, () => {
    if (!exited) cp.kill('SIGKILL');
  });

  const inbox: R[] = [];
  let waiter: ((m: R) => void) | undefined;
  cp.on('message', (m: R) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(m);
    } else inbox.push(m);
  });

  const tail = (): string => {
    try {
      return readFileSync(o.logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };

  const next = (timeoutMs: number): Promise<R> => {
    const queued = inbox.shift();
    if (queued) return settle(queued);
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`${o.name}: no answer within ${timeoutMs} ms\n${tail()}`));
      }, timeoutMs);
      waiter = (m) => {
        clearTimeout(timer);
        settle(m).then(resolve, reject);
      };
      void exit.then(() => {
        if (!waiter) return;
        clearTimeout(timer);
        waiter = undefined;
        reject(new Error(`${o.name} exited (code ${exited?.code}, signal ${exited?.signal})\n${tail()}`));
      });
    });
  };
  const settle = (m: R): Promise<R> => {
    const err = m as { type: string; message?: string };
    return err.type === 'error' ? Promise.reject(new Error(`${o.name}: ${err.message ?? 'failed'}`)) : Promise.resolve(m);
  };

  return {
    name: o.name,
    pid,
    next,
    request(cmd, timeoutMs) {
      if (exited || !cp.connected) return Promise.reject(new Error(`${o.name} is not running\n${tail()}`));
      cp.send(cmd as object);
      return next(timeoutMs);
    },
    async stop(graceMs = 15_000) {
      if (exited) return;
      if (cp.connected) cp.disconnect();
      const timer = setTimeout(() => cp.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
