/**
 * `npm run bench:district` (issue 5 §9): the district link's three figures, each part in a
 * process of its own (bench/district-part.ts) on a PostgreSQL cluster of its own:
 *  1. throughput: N cases queued on the `district` channel, delivered by the outbox and the
 *     link to the district simulator (a further process), until it holds every key
 *     (bench/district-throughput.ts; target ≥ 2,000 cases/s);
 *  2. failover: a steady stream of cases; the primary stopped three ways (connection refused,
 *     HTTP 503, no answer), timed to the first delivery on the backup and back
 *     (bench/district-failover.ts; target ≤ 5 s);
 *  3. a 24-hour outage of both endpoints on a fake clock, then recovery: everything delivered,
 *     exactly once at the receiver, none given up (bench/district-outage.ts).
 * Progress goes to stderr (each part's own log to a file, shown when it fails); the table and
 * the summary line (always the last line) to stdout; the numbers to bench/results/district-*.json.
 *
 *   npm run bench:district -- [--cases N] [--workers W] [--rate R] [--cases-per-step K] [--hours H] [--only throughput,failover,outage] [--quick]
 */
import { writeResults } from './lib/results-file.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forkChild } from './lib/children.js';
import { Cleanup } from './lib/cleanup.js';
import { machineInfo } from './lib/machine.js';
import type { FailoverResult } from './district-failover.js';
import type { OutageResult } from './district-outage.js';
import type { PartCommand, PartReply, PartResults } from './district-part.js';
import type { ThroughputResult } from './district-throughput.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const { values: flags } = parseArgs({
  options: {
    cases: { type: 'string' }, workers: { type: 'string' }, rate: { type: 'string' }, 'cases-per-step': { type: 'string' },
    hours: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' },
  },
});
const quick = flags.quick === true;
const int = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    log(`--${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return n;
};
const parts = new Set((flags.only ?? 'throughput,failover,outage').split(',').map((s) => s.trim()));
const cases = int('cases', flags.cases, quick ? 5000 : 20_000);
const workers = flags.workers !== undefined ? int('workers', flags.workers, 16) : undefined;
const rate = int('rate', flags.rate, 200);
const casesPerStep = int('cases-per-step', flags['cases-per-step'], 4);
const hours = int('hours', flags.hours, quick ? 4 : 24);

const cleanup = new Cleanup();
cleanup.installSignalHandlers(log);
const work = mkdtempSync(join(tmpdir(), 'cityops-district-bench-'));
const started = new Date();
const machine = machineInfo(); // load average before the parts run

/** Runs one part in a fresh child; its log is kept until the run ends (shown on failure by forkChild). */
async function part<K extends keyof PartResults>(cmd: Extract<PartCommand, { type: K }>, timeoutMs: number): Promise<PartResults[K]> {
  const child = forkChild<PartCommand, PartReply>({ name: `district ${cmd.type}`, script: '../district-part.ts', logFile: join(work, `${cmd.type}.log`), cleanup });
  try {
    const reply = await child.request(cmd, timeoutMs);
    if (reply.type === 'error' || reply.type !== cmd.type) throw new Error(`district ${cmd.type}: unexpected reply ${reply.type}`);
    const result: PartResults[keyof PartResults] = reply.result;
    return result as PartResults[K];
  } finally {
    await child.stop(30_000);
  }
}

let throughput: ThroughputResult | undefined;
let failover: FailoverResult | undefined;
let outage: OutageResult | undefined;
try {
  if (parts.has('throughput')) {
    log(`district bench: throughput, ${cases.toLocaleString('en-US')} cases`);
    throughput = await part({ type: 'throughput', cases, ...(workers !== undefined ? { workers } : {}) }, 15 * 60_000);
  }
  if (parts.has('failover')) {
    log(`district bench: failover, ${rate} cases/s`);
    failover = await part({ type: 'failover', rate }, 10 * 60_000);
  }
  if (parts.has('outage')) {
    log(`district bench: ${hours}-hour outage on a fake clock, ${casesPerStep} cases per backoff step`);
    outage = await part({ type: 'outage', casesPerStep, hours }, 60 * 60_000);
  }
} finally {
  await cleanup.runAll(log);
  rmSync(work, { recursive: true, force: true });
}

const duplicates = (throughput?.duplicates ?? 0) + (failover?.duplicates ?? 0) + (outage?.duplicates ?? 0);
const lost = (throughput ? throughput.cases - throughput.unique : 0) + (failover?.lost ?? 0) + (outage?.lost ?? 0);
const report = {
  benchmark: 'district', timestamp: started.toISOString(), machine, throughput, failover, outage,
  totals: { duplicates, lost }, targets: { casesPerSecond: 2000, failoverSeconds: 5 },
};
writeResults('district', report, join(here, 'results'));

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: string[][] = [];
if (throughput) rows.push(['cases / s to the simulator', n(throughput.casesPerSecond), '≥ 2,000', `${n(throughput.cases)} cases in ${n(throughput.seconds, 2)} s, ${throughput.workers} workers, ${throughput.duplicates} duplicates`]);
for (const s of failover?.scenarios ?? []) rows.push([`failover: primary ${s.name}`, `${n(s.failoverS, 3)} s`, '≤ 5 s', `back on the primary ${n(s.returnS, 3)} s after it returns`]);
if (failover) rows.push(['failover stream', `${n(failover.cases)} cases`, '', `${failover.byEndpoint.primary} on the primary, ${failover.byEndpoint.backup} on the backup, ${failover.duplicates} duplicates, ${failover.lost} lost`]);
if (outage) rows.push([`${outage.outageHours} h outage (fake clock)`, `${n(outage.delivered)}/${n(outage.cases)}`, 'all', `${n(outage.attemptsDuringOutage)} attempts while down, drained ${outage.drainFakeSeconds} s after return, ${outage.duplicates} duplicates, ${outage.givenUp} given up, ${n(outage.realSeconds)} s real`]);
for (const r of rows) process.stdout.write(`${(r[0] ?? '').padEnd(44)} ${(r[1] ?? '').padStart(14)}  ${(r[2] ?? '').padEnd(8)} ${r[3] ?? ''}\n`);
const rateText = throughput ? String(Math.round(throughput.casesPerSecond)) : '-';
const failoverText = failover ? failover.worstFailoverS.toFixed(1) : '-';
process.stdout.write(`district: ${rateText} cases/s, failover ${failoverText} s, ${duplicates} duplicates at receiver, ${lost} lost\n`);
