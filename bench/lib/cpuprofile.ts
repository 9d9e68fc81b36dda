/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and ranks functions by self time, and files by
 * the self time of their functions: where the gateway's core goes under load.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The checkout this file is in (bench/lib/ → two up), so paths print relative to it. */
const root = fileURLToPath(new URL('../../', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

function where(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const i = path.indexOf('/node_modules/');
  if (i >= 0) return path.slice(i + 1);
  return path.startsWith(root) ? path.slice(root.length) : path || '(native)';
}

const label = (n: ProfileNode): string => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'}  ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
};

export function selfTimes(file: string): { total: number; byFunction: SelfTime[]; byFile: SelfTime[]; inclusive: SelfTime[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const file = where(n.callFrame.url);
    const name = label(n);
    fn.set(name, (fn.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
    // Inclusive: the sample counts once for every project function on its stack.
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const a = byId.get(id);
      if (!a || !/^(gateway|adapters)\//.test(where(a.callFrame.url))) continue;
      seen.add(label(a));
    }
    for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
  return { total: total / 1000, byFunction: rank(fn), byFile: rank(files), inclusive: rank(incl) };
}

export function formatSelfTimes(file: string, top = 25): string {
  const s = selfTimes(file);
  const row = (t: SelfTime): string => `${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.name}`;
  return [
    `CPU profile ${file}: ${(s.total / 1000).toFixed(1)} s sampled`,
    `top ${top} functions by self time:`,
    ...s.byFunction.slice(0, top).map(row),
    `top ${Math.min(top, 15)} files by self time:`,
    ...s.byFile.slice(0, Math.min(top, 15)).map(row),
    `top ${top} project functions by total (inclusive) time:`,
    ...s.inclusive.slice(0, top).map(row),
  ].join('\n');
}
