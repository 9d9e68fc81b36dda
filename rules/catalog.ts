import type { MetricSpec, SensorAdapter } from '../adapters/types.js';

/**
 * What a rule's scope can read: the metrics exposed by the adapters of the kinds in scope
 * (every adapter when the scope names no kind). Rules are checked against this, so a rule naming
 * a metric no device in its scope sends is refused at load (STYLE.md §2).
 */
export interface MetricCatalog {
  /** The specs of that name; `open` when an open-metrics adapter (generic JSON) may send it. */
  find(name: string): { specs: MetricSpec[]; open: boolean };
  /** A sentence saying why a name is unknown, with what is exposed or a near name. */
  unknown(name: string): string;
}

export function metricCatalog(adapters: readonly SensorAdapter[], kinds: readonly string[]): MetricCatalog {
  const inScope = kinds.length === 0 ? adapters : adapters.filter((a) => kinds.includes(a.kind));
  // With no kind named, a generic device could send anything, so open adapters would make every
  // name valid: they count only when the scope names their kind.
  const open = kinds.length > 0 && inScope.some((a) => a.openMetrics === true);
  const byName = new Map<string, MetricSpec[]>();
  for (const a of inScope) for (const m of a.exposes) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  return {
    find: (name) => ({ specs: byName.get(name) ?? [], open }),
    unknown(name) {
      const near = nearest(name, [...byName.keys()]);
      const hint = near ? `; did you mean "${near}"?` : '';
      if (kinds.length === 0) return `no adapter exposes metric "${name}"${hint} (a metric a generic device names itself needs scope.kinds [generic])`;
      const exposed = [...byName.keys()];
      return `metric "${name}" is not exposed by any adapter of kind ${kinds.join(', ')} (exposes: ${exposed.join(', ') || 'nothing'})${hint}`;
    },
  };
}

/** The closest name within edit distance 2, for "did you mean". */
function nearest(name: string, names: readonly string[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d <= 2 && (!best || d < best.d)) best = { n, d };
  }
  return best?.n;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
