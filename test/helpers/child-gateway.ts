/**
 * The gateway as a separate process (`cityops start`), for crash tests: started with the given
 * environment, ready once it logs "CityOps Gateway is running", and killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildGateway {
  proc: ChildProcess;
  urls: { http: string; mqtt: string };
}

export function startChildGateway(env: Record<string, string>): Promise<ChildGateway> {
  const proc = spawn(process.execPath, ['bin/cityops.js', 'start'], { env: { ...process.env, ...env, CITYOPS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 60 s: ${stderr}`)), 60_000);
    proc.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}`)));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; http?: string; mqtt?: string };
        if (rec.msg === 'CityOps Gateway is running' && rec.http && rec.mqtt) {
          clearTimeout(timer);
          resolve({ proc, urls: { http: rec.http, mqtt: rec.mqtt } });
        }
      } catch {
        // not a log line
      }
    });
  });
}

export function kill9(c: ChildGateway): Promise<void> {
  return new Promise((resolve) => {
    if (c.proc.exitCode !== null) return resolve();
    c.proc.removeAllListeners('exit');
    c.proc.once('exit', () => resolve());
    c.proc.kill('SIGKILL');
  });
}
