/**
 * `npm run bench:rules` (issue 4 §9): the rule engine's three figures, each part in a process of
 * its own so one part's heap and timers do not colour the next:
 *  1. evaluations per second per core: 1,000 rules × 10,000 devices, the default rule mix,
 *     states created lazily, one step of the real evaluator per (rule, reading) pair; and
 *     memory per (rule, device) state (bench/rules-eval.ts);
 *  2. PUBLISH → warning event on SSE with 10,000 readings/s of background load, gateway on a
 *     real PostgreSQL (bench/rules-latency.ts);
 *  3. a backtest over 10 million stored readings in PostgreSQL, loading not timed
 *     (bench/rules-backtest.ts).
 * Progress goes to stderr; the table and the summary line (always the last line) to stdout;
 * the numbers to bench/results/rules-*.json. Flags: --readings N (backtest size), --probes N,
 * --quick (smaller runs for a smoke check).
 */
import { writeResults } from './lib/results-file.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs one part as `node [flags] --import tsx bench/<file> [args]`; its last stdout line is its JSON result. */
function part<T>(file: string, nodeFlags: string[], args: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(here, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${file} exited with ${code}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${file} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

interface EvalResult { evaluationsPerSecond: number; bytesPerState: number; bytesPerStateMixed?: number; rules: number; devices: number }
interface LatencyResult { backgroundReadingsPerSec: number; probes: number; received: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }
interface BacktestResult { readings: number; seconds: number; warnings: number; perGrade?: Record<string, number> }

const quick = process.argv.includes('--quick');
const readings = flag('readings') ?? (quick ? '1000000' : '10000000');
const probes = flag('probes') ?? (quick ? '100' : '500');
const started = new Date();
const machine = machineInfo(); // load average before the parts run

log('rules bench 1/3: evaluations per second per core');
const evals = await part<EvalResult>('rules-eval.ts', ['--expose-gc', '--max-semi-space-size=64']);
log('rules bench 2/3: PUBLISH → SSE warning latency at 10,000 readings/s');
const latency = await part<LatencyResult>('rules-latency.ts', [], ['--probes', probes]);
log(`rules bench 3/3: backtest over ${readings} readings`);
const backtest = await part<BacktestResult>('rules-backtest.ts', ['--max-semi-space-size=64'], ['--readings', readings]);

const report = { benchmark: 'rules', timestamp: started.toISOString(), machine, evaluations: evals, latency, backtest, targets: { evaluationsPerSecond: 1_000_000, p99LatencyMs: 20, backtestSeconds: 30 } };
writeResults('rules', report, join(here, 'results'));

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [
  ['evaluations / s / core', n(evals.evaluationsPerSecond), '≥ 1,000,000', `${n(evals.rules)} rules × ${n(evals.devices)} devices`],
  ['bytes per (rule, device) state', n(evals.bytesPerState), '', evals.bytesPerStateMixed !== undefined ? `default mix: ${n(evals.bytesPerStateMixed)}` : ''],
  ['PUBLISH → SSE p50 / p90 / p99 ms', `${n(latency.p50Ms, 1)} / ${n(latency.p90Ms, 1)} / ${n(latency.p99Ms, 1)}`, 'p99 < 20', `${n(latency.backgroundReadingsPerSec)} readings/s background, ${latency.received}/${latency.probes} probes`],
  ['backtest seconds', n(backtest.seconds, 1), '< 30', `${n(backtest.readings)} readings, ${n(backtest.warnings)} warnings`],
];
for (const r of rows) process.stdout.write(`${(r[0] ?? '').padEnd(34)} ${(r[1] ?? '').padStart(22)}  ${(r[2] ?? '').padEnd(12)} ${r[3] ?? ''}\n`);
process.stdout.write(`rules: ${Math.round(evals.evaluationsPerSecond)} evaluations/s/core, p99 warning latency ${latency.p99Ms.toFixed(1)} ms, backtest ${backtest.readings} readings in ${backtest.seconds.toFixed(1)} s\n`);
