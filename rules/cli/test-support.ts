/** Shared by the `cityops rules` tests: the real command, spawned, and a small rule file. */
import { runNode, type RunResult } from '../../test/helpers/run-node.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `node bin/cityops.js …args` from the repository root, without CITYOPS_CONFIG. */
export function cityops(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const e = { ...process.env, ...env };
  delete e.CITYOPS_CONFIG;
  return runNode([join(repoRoot, 'bin/cityops.js'), ...args], { cwd: repoRoot, env: e });
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
