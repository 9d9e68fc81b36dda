import t from 'tap';
import { parseFlags, parseOverrides } from './args.js';
import { buildReport, formatTable } from './report.js';
import type { TargetResult } from './results.js';
import { metricSum } from './gateway.js';

const machine = { cpuModel: 'x', cores: 2, ramGiB: 4, kernel: 'k', node: 'v20', postgres: '15', mosquitto: '2', loadAverageAtStart: [1, 1, 1] };
const latencyUs = { count: 1, p50: 1500, p90: 2000, p99: 9000, max: 10_000, mean: 1600 };
const publish = { sent: 10, acked: 10, ackedReadings: 25, unacked: 0, exhausted: 0, errors: [] };
const cpu = { target: 1, loadgen: 0.1, machine: 1.2, otherProcesses: 0.1 };
function result(target: TargetResult['target'], msgsPerSec: number, lost?: number): TargetResult {
  return {
    target, label: target, msgsPerSec, readingsPerSec: msgsPerSec * 2.5, ackedMsgsPerSec: msgsPerSec, windowSeconds: 20, warmupSeconds: 5, latencyUs, publish,
    rssPeakMiB: 100, cpuCores: cpu, targetCpuUsPerMsg: 40, errors: [],
    ...(lost !== undefined ? { storage: { mode: 'postgres (pg)', storedReadingsPerSecInWindow: 1, acknowledgedReadings: 25, storedRows: 25 - lost, deadLetters: 0, lost, drainSeconds: 1, drainComplete: true, spoolBacklogMax: 0, batches: { count: 1, meanRows: 1, meanWriteMs: 1, writeBusyShare: 0.5 } } } : {}),
  };
}

t.test('the summary line: end-to-end rate, ratios to the relays, lost readings', async (t) => {
  const options = parseFlags([]);
  if (options === 'help') throw new Error('unexpected');
  const r = buildReport({ machine, options, meanReadings: 2.5, adapters: [], results: [result('cityops', 21_000.4, 0), result('aedes', 30_000), result('mosquitto', 42_000)] });
  t.equal(r.summary, 'ingest: 21000 msgs/s end-to-end (52501 readings/s), 0.70x bare aedes, 0.50x mosquitto, 0 lost');
  t.same(r.goals.met, { msgsPerSec: true, vsBareAedes: true });
  const table = formatTable(r);
  t.match(table, /cityops\s+21,000/);
  const lossy = buildReport({ machine, options, meanReadings: 2.5, adapters: [], results: [result('cityops', 100, 3), result('embedded', 50, 2)] });
  t.equal(lossy.lost, 5, 'lost readings of both storage targets count');
  t.match(lossy.summary, /n\/ax bare aedes, n\/ax mosquitto, 5 lost$/);
});

t.test('flags: defaults, config overrides by dotted path, bad input refused', async (t) => {
  const o = parseFlags([]);
  if (o === 'help') throw new Error('unexpected');
  t.match(o, { connections: 32, window: 32, warmupS: 5, durationS: 20, engine: 'raw', targets: ['cityops', 'embedded', 'aedes', 'mosquitto'] });
  t.ok(o.poolPerConnection * o.connections >= 60_000 * 25, 'pools last 25 s at 60k msgs/s');
  t.same(parseOverrides(['ingest.batchMaxRows=20000', 'database.compressAfter=30 days', 'x.y=true']), { 'ingest.batchMaxRows': 20000, 'database.compressAfter': '30 days', 'x.y': true });
  t.throws(() => parseFlags(['--targets', 'redis']), /unknown target/);
  t.throws(() => parseFlags(['--duration=0']), /positive/);
  t.throws(() => parseOverrides(['novalue']), /key=value/);
});

t.test('metricSum adds every series of one metric and no other', async (t) => {
  const text = ['# HELP a x', 'cityops_batch_size_rows_sum 10', 'cityops_batch_size_rows_sum_other 99', 'cityops_readings_total{adapter="a"} 2', 'cityops_readings_total{adapter="b"} 3'].join('\n');
  t.equal(metricSum(text, 'cityops_batch_size_rows_sum'), 10);
  t.equal(metricSum(text, 'cityops_readings_total'), 5);
  t.equal(metricSum(text, 'missing'), undefined);
});
