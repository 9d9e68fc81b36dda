/** Shared by the `cityops rules` tests: the real command, spawned, and a small rule file. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `node bin/cityops.js …args` from the repository root, without CITYOPS_CONFIG. */
export function cityops(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const e = { ...process.env, ...env };
    delete e.CITYOPS_CONFIG;
    const child = spawn(process.execPath, [join(repoRoot, 'bin/cityops.js'), ...args], { cwd: repoRoot, env: e });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** A one-rule set on waterlogging depth; line 5 holds the condition, `notify` the red channels. */
export const depthRuleYaml = (notify: string) => `rules:
  - id: depth
    name: Depth
    scope: { kinds: [waterlogging] }
    condition: { type: threshold, metric: depth_cm, thresholds: { blue: 15, red: 50 } }
    for: 1m
    grades:
      red: { actions: { notify: [${notify}] } }
`;
