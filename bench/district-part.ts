/**
 * One part of `npm run bench:district` in a process of its own (forked by bench/district.ts
 * through bench/lib/children.ts): a fresh heap and event loop per part, and a part's
 * PostgreSQL cluster and simulator go with it however it ends.
 */
import { Cleanup } from './lib/cleanup.js';
import { serveCommands } from './lib/child-io.js';
import { benchFailover, type FailoverResult } from './district-failover.js';
import { benchOutage, type OutageResult } from './district-outage.js';
import { benchThroughput, type ThroughputResult } from './district-throughput.js';

export type PartCommand =
  | { type: 'throughput'; cases: number; workers?: number }
  | { type: 'failover'; rate: number }
  | { type: 'outage'; casesPerStep: number; hours: number };

export interface PartResults {
  throughput: ThroughputResult;
  failover: FailoverResult;
  outage: OutageResult;
}

export type PartReply = { [K in keyof PartResults]: { type: K; result: PartResults[K] } }[keyof PartResults] | { type: 'error'; message: string };

const log = (s: string) => void process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanup.installSignalHandlers(log);

async function run(cmd: PartCommand): Promise<PartReply> {
  switch (cmd.type) {
    case 'throughput':
      return { type: 'throughput', result: await benchThroughput({ cleanup, log, cases: cmd.cases, ...(cmd.workers !== undefined ? { outbox: { workers: cmd.workers } } : {}) }) };
    case 'failover':
      return { type: 'failover', result: await benchFailover({ cleanup, log, rate: cmd.rate }) };
    case 'outage':
      return { type: 'outage', result: await benchOutage({ cleanup, log, casesPerStep: cmd.casesPerStep, outageHours: cmd.hours }) };
  }
}

serveCommands(run, () => cleanup.runAll(log));
