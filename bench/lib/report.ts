/** The readable table, the JSON file and the one summary line. */
import { writeResults } from './results-file.js';
import type { BenchOptions } from './args.js';
import type { MachineInfo } from './machine.js';
import type { TargetResult } from './results.js';

export interface Report {
  timestamp: string;
  machine: MachineInfo;
  parameters: Omit<BenchOptions, 'outDir' | 'targets'> & { targets: string[]; meanReadingsPerMessage: number; adapters: string[]; storeTimeout: string };
  targets: Partial<Record<TargetResult['target'], TargetResult>>;
  ratios: { vsBareAedes: number | null; vsMosquitto: number | null };
  goals: { msgsPerSec: number; vsBareAedes: number; met: { msgsPerSec: boolean | null; vsBareAedes: boolean | null } };
  lost: number;
  summary: string;
}

export const GOALS = { msgsPerSec: 20_000, vsBareAedes: 0.5 } as const;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (us: number): string => (us / 1000).toFixed(us < 10_000 ? 2 : 1);
const ratio = (r: number | null): string => (r === null ? 'n/a' : r.toFixed(2));

export function buildReport(o: { machine: MachineInfo; options: BenchOptions; meanReadings: number; adapters: string[]; results: TargetResult[] }): Report {
  const by = Object.fromEntries(o.results.map((r) => [r.target, r])) as Report['targets'];
  const e2e = by.cityops;
  const vs = (other: TargetResult | undefined): number | null => (e2e && other && other.msgsPerSec > 0 ? e2e.msgsPerSec / other.msgsPerSec : null);
  const ratios = { vsBareAedes: vs(by.aedes), vsMosquitto: vs(by.mosquitto) };
  const lost = o.results.reduce((n, r) => n + Math.max(0, r.storage?.lost ?? 0), 0);
  const summary = `ingest: ${e2e ? Math.round(e2e.msgsPerSec) : 'n/a'} msgs/s end-to-end (${e2e ? Math.round(e2e.readingsPerSec) : 'n/a'} readings/s), ${ratio(ratios.vsBareAedes)}x bare aedes, ${ratio(ratios.vsMosquitto)}x mosquitto, ${lost} lost`;
  const { outDir: _outDir, targets, ...params } = o.options;
  return {
    timestamp: new Date().toISOString(),
    machine: o.machine,
    parameters: { ...params, targets, meanReadingsPerMessage: o.meanReadings, adapters: o.adapters, storeTimeout: '300 s drain limit' },
    targets: by,
    ratios,
    goals: {
      ...GOALS,
      met: { msgsPerSec: e2e ? e2e.msgsPerSec >= GOALS.msgsPerSec : null, vsBareAedes: ratios.vsBareAedes === null ? null : ratios.vsBareAedes >= GOALS.vsBareAedes },
    },
    lost,
    summary,
  };
}

/** A fixed-width table of the targets, then the facts under it. */
export function formatTable(r: Report): string {
  const head = ['target', 'msgs/s', 'readings/s', 'acked msgs/s', 'PUBACK p50 ms', 'p99 ms', 'accounted', 'lost', 'RSS peak MiB', 'loop lag p99 ms', 'CPU target/gen/db', 'CPU µs/msg', 'others CPU'];
  const rows: string[][] = [];
  for (const t of Object.values(r.targets)) {
    const accounted = t.storage
      ? `${int(t.storage.storedRows)}/${int(t.storage.acknowledgedReadings)} rows`
      : t.delivery
        ? `${int(t.delivery.receivedTotal)}/${int(t.delivery.acknowledgedTotal)} msgs`
        : '';
    const c = t.cpuCores;
    rows.push([
      t.label,
      int(t.msgsPerSec),
      int(t.readingsPerSec),
      int(t.ackedMsgsPerSec),
      ms(t.latencyUs.p50),
      ms(t.latencyUs.p99),
      accounted,
      t.storage ? String(t.storage.lost) : '-',
      t.rssPeakMiB.toFixed(0),
      t.eventLoopLagMs ? `${t.eventLoopLagMs.p99Median.toFixed(1)} (max ${t.eventLoopLagMs.p99Max.toFixed(1)})` : '-',
      `${c.target.toFixed(2)}/${c.loadgen.toFixed(2)}/${c.postgres !== undefined ? `${c.postgres.toFixed(2)} pg` : c.subscriber !== undefined ? `${c.subscriber.toFixed(2)} sub` : '-'}`,
      t.targetCpuUsPerMsg.toFixed(1),
      c.otherProcesses.toFixed(2),
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const m = r.machine;
  const p = r.parameters;
  out.push('');
  out.push(`machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres ?? '?'}, mosquitto ${m.mosquitto ?? '?'}, load average at start ${m.loadAverageAtStart.join(' ')}`);
  out.push(`load: ${p.connections} connections x ${p.window} in flight (QoS 1, ${p.engine} client), ${p.warmupS} s warm-up + ${p.durationS} s measured (embedded: ${p.embeddedWarmupS} + ${p.embeddedDurationS} s), ${p.meanReadingsPerMessage.toFixed(2)} readings/msg`);
  for (const t of Object.values(r.targets)) {
    if (t.storage) {
      const s = t.storage;
      out.push(`${t.label}: ${s.mode}; written in window ${int(s.storedReadingsPerSecInWindow)} readings/s; drained ${s.drainSeconds.toFixed(1)} s after the load stopped${s.drainComplete ? '' : ' (INCOMPLETE)'}; spool backlog max ${int(s.spoolBacklogMax)} records; dead letters ${s.deadLetters}`);
      const b = s.batches;
      out.push(`${t.label}: ${b.count} batches in the window, ${int(b.meanRows)} rows each, ${b.meanWriteMs.toFixed(0)} ms per write; the writer was in a database write ${(b.writeBusyShare * 100).toFixed(0)}% of the window`);
    }
    if (t.publish.exhausted > 0) out.push(`${t.label}: WARNING ${t.publish.exhausted} connections ran out of unique payloads (raise --max-rate)`);
    if (t.publish.unacked > 0) out.push(`${t.label}: WARNING ${t.publish.unacked} messages never acknowledged`);
    for (const e of t.errors) out.push(`${t.label}: error: ${e}`);
  }
  out.push(`ratios: CityOps end-to-end / bare aedes ${ratio(r.ratios.vsBareAedes)}, / mosquitto ${ratio(r.ratios.vsMosquitto)}; goals: >= ${int(GOALS.msgsPerSec)} msgs/s ${fmtMet(r.goals.met.msgsPerSec)}, >= ${GOALS.vsBareAedes}x bare aedes ${fmtMet(r.goals.met.vsBareAedes)}`);
  return out.join('\n');
}

const fmtMet = (m: boolean | null): string => (m === null ? '(not run)' : m ? '(met)' : '(MISSED)');

/** Writes ingest-<timestamp>.json and ingest-latest.json; returns the first path. */
export function writeReport(r: Report, outDir: string): string {
  return writeResults('ingest', r, outDir);
}
