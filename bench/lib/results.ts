/** The shape of one target's result, as printed and written to JSON. */
import type { LatencySummary } from './stats.js';
import type { PublishTotals } from './protocol.js';

export interface TargetResult {
  target: 'cityops' | 'embedded' | 'aedes' | 'mosquitto';
  label: string;
  /** The headline rate: stored end to end (CityOps) or delivered to the subscriber (relays). */
  msgsPerSec: number;
  readingsPerSec: number;
  /** PUBACK rate seen by the publishers over the measured window. */
  ackedMsgsPerSec: number;
  windowSeconds: number;
  warmupSeconds: number;
  /** PUBACK latency over the measured window, microseconds. */
  latencyUs: LatencySummary;
  publish: PublishTotals;
  /** CityOps: every acknowledged reading must be a row. */
  storage?: {
    mode: string;
    /** Rows the batch writer wrote during the measured window, per second. */
    storedReadingsPerSecInWindow: number;
    acknowledgedReadings: number;
    storedRows: number;
    deadLetters: number;
    lost: number;
    /** Time from the end of the load until the pipeline had written everything. */
    drainSeconds: number;
    drainComplete: boolean;
    /** Database batches in the window: how many, mean rows, mean write time, and the share of the window the writer spent in writes. */
    batches: { count: number; meanRows: number; meanWriteMs: number; writeBusyShare: number };
    /** Most records waiting in the spool at any scrape of the window. */
    spoolBacklogMax: number;
  };
  /** Relays: what the subscriber on `#` received. */
  delivery?: { receivedInWindow: number; receivedTotal: number; acknowledgedTotal: number };
  rssPeakMiB: number;
  /** CityOps: p99 event-loop delay per 1 s scrape (cityops_event_loop_lag_seconds), ms. */
  eventLoopLagMs?: { p99Max: number; p99Median: number; nodejsP99Last: number };
  /** CPU over the measured window, in cores (1.0 = one core busy the whole time). */
  cpuCores: { target: number; loadgen: number; subscriber?: number; postgres?: number; machine: number; otherProcesses: number };
  /** CPU time of the target process per acknowledged message, µs: steadier than rates on a shared machine. */
  targetCpuUsPerMsg: number;
  errors: string[];
}
