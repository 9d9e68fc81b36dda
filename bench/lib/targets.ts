/**
 * One run against one target with the shared load generator: connect, warm up, measure,
 * stop, then account for every message (rows stored, or messages delivered).
 */
import type { Child } from './children.js';
import { provisionDevices, scrapeMetrics, startGatewayTarget, type GatewayTargetOptions, type MetricsSample } from './gateway.js';
import type { BenchDevice } from './payloads.js';
import { CpuMeter, cpuSeconds, machineBusySeconds, peakRssMiB, rssMiB, treeCpuSeconds } from './procstat.js';
import type { Credentials, Engine, LoadgenCommand, LoadgenReply, SubscriberCommand, SubscriberReply } from './protocol.js';
import type { TargetResult } from './results.js';
import { median, perSecond } from './stats.js';

export type Loadgen = Child<LoadgenCommand, LoadgenReply>;
export type Subscriber = Child<SubscriberCommand, SubscriberReply>;

export interface RunShape {
  connections: number;
  window: number;
  warmupS: number;
  durationS: number;
  engine: Engine;
  log: (msg: string) => void;
}

const usPerMsg = (cores: number, msgsPerSec: number): number => (msgsPerSec > 0 ? (cores * 1e6) / msgsPerSec : 0);
/** What the rest of the machine (other people's work) took meanwhile. */
function withOthers(c: Omit<TargetResult['cpuCores'], 'otherProcesses'>): TargetResult['cpuCores'] {
  const ours = c.target + c.loadgen + (c.subscriber ?? 0) + (c.postgres ?? 0);
  return { ...c, otherProcesses: Math.max(0, c.machine - ours) };
}

const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000));

function expect(r: { type: string }, type: string): void {
  if (r.type !== type) throw new Error(`expected ${type}, got ${r.type}`);
}

async function stopLoad(loadgen: Loadgen): Promise<Extract<LoadgenReply, { type: 'stopped' }>> {
  const r = await loadgen.request({ type: 'stop', ackTimeoutMs: 60_000 }, 120_000);
  if (r.type !== 'stopped') throw new Error(`expected stopped, got ${r.type}`);
  return r;
}

/** Samples the gateway once a second during the window: event-loop lag, spool backlog, RSS. */
function sampler(http: string, pid: number): { stop(): { lags: number[]; spoolMax: number; rssMax: number; nodeLag: number } } {
  const lags: number[] = [];
  let spoolMax = 0;
  let rssMax = 0;
  let nodeLag = 0;
  const timer = setInterval(() => {
    rssMax = Math.max(rssMax, rssMiB(pid));
    scrapeMetrics(http).then((m) => {
      lags.push(m.loopLagP99 * 1000);
      nodeLag = m.nodeLagP99 * 1000;
      spoolMax = Math.max(spoolMax, m.spoolRecords);
    }, () => undefined); // a missed scrape only thins the samples
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return { lags, spoolMax, rssMax, nodeLag };
    },
  };
}

export interface CityopsRun extends RunShape {
  target: 'cityops' | 'embedded';
  label: string;
  gateway: Omit<GatewayTargetOptions, 'name'>;
  devices: BenchDevice[];
  loadgen: Loadgen;
  /** The storage driver the gateway must report (`pg` or `pglite`): a wrong config must not pass as a result. */
  driver: string;
  /** PostgreSQL's postmaster pid, to count its CPU. */
  postgresPid?: number;
}

export async function runCityops(o: CityopsRun): Promise<TargetResult> {
  const gw = await startGatewayTarget({ ...o.gateway, name: o.target });
  o.log(`  ${o.label}: gateway up (${gw.storage}), provisioning ${o.connections} devices`);
  try {
    if (!gw.storage.endsWith(`(${o.driver})`)) throw new Error(`${o.label}: the gateway runs on ${gw.storage}, not the ${o.driver} driver`);
    const credentials = await provisionDevices(gw, o.devices.slice(0, o.connections));
    expect(await o.loadgen.request({ type: 'connect', url: gw.mqtt, credentials, window: o.window, unique: true, engine: o.engine }, 60_000), 'connected');
    expect(await o.loadgen.request({ type: 'go' }, 10_000), 'going');
    o.log(`  ${o.label}: warming up ${o.warmupS} s`);
    await sleep(o.warmupS);

    const profile = o.gateway.cpuProfile;
    if (profile) expect(await gw.child.request({ type: 'profile-start' }, 10_000), 'profiling');
    const m0: MetricsSample = await scrapeMetrics(gw.http); // also resets the lag window
    expect(await o.loadgen.request({ type: 'mark' }, 10_000), 'marked');
    const t0 = performance.now();
    const cpu = { target: new CpuMeter(() => cpuSeconds(gw.child.pid)), loadgen: new CpuMeter(() => cpuSeconds(o.loadgen.pid)), machine: new CpuMeter(machineBusySeconds) };
    const pgCpu = o.postgresPid !== undefined ? new CpuMeter(() => treeCpuSeconds(o.postgresPid as number)) : undefined;
    const samples = sampler(gw.http, gw.child.pid);
    o.log(`  ${o.label}: measuring ${o.durationS} s`);
    await sleep(o.durationS);
    const m1 = await scrapeMetrics(gw.http);
    const rowSeconds = (performance.now() - t0) / 1000;
    const cpuCores = withOthers({ target: cpu.target.cores(), loadgen: cpu.loadgen.cores(), ...(pgCpu ? { postgres: pgCpu.cores() } : {}), machine: cpu.machine.cores() });
    const s = samples.stop();
    if (profile) expect(await gw.child.request({ type: 'profile-stop', file: profile }, 60_000), 'profiled');
    const stopped = await stopLoad(o.loadgen);

    o.log(`  ${o.label}: load stopped; waiting for the pipeline to drain`);
    const drained = await gw.child.request({ type: 'drain', timeoutMs: 300_000 }, 330_000);
    if (drained.type !== 'drained') throw new Error(`expected drained, got ${drained.type}`);
    const rssPeak = Math.max(peakRssMiB(gw.child.pid), s.rssMax);

    const w = stopped.window;
    const ackedReadingsPerSec = perSecond(w.ackedReadings, w.seconds);
    const storedPerSec = perSecond(m1.rowsWritten - m0.rowsWritten, rowSeconds);
    // End to end = acknowledged AND written: when the database falls behind the spool, its pace is the figure.
    const share = ackedReadingsPerSec > 0 ? Math.min(1, storedPerSec / ackedReadingsPerSec) : 0;
    const acknowledged = stopped.totals.ackedReadings;
    const batchCount = m1.batches - m0.batches;
    const writeSeconds = m1.batchWriteSeconds - m0.batchWriteSeconds;
    return {
      target: o.target,
      label: o.label,
      msgsPerSec: perSecond(w.acked, w.seconds) * share,
      readingsPerSec: ackedReadingsPerSec * share,
      ackedMsgsPerSec: perSecond(w.acked, w.seconds),
      windowSeconds: w.seconds,
      warmupSeconds: o.warmupS,
      latencyUs: w.latency,
      publish: stopped.totals,
      storage: {
        mode: gw.storage,
        storedReadingsPerSecInWindow: storedPerSec,
        acknowledgedReadings: acknowledged,
        storedRows: drained.rows,
        deadLetters: drained.deadLetters,
        lost: acknowledged - drained.rows,
        drainSeconds: drained.seconds,
        drainComplete: drained.complete,
        spoolBacklogMax: s.spoolMax,
        batches: {
          count: batchCount,
          meanRows: batchCount > 0 ? (m1.rowsWritten - m0.rowsWritten) / batchCount : 0,
          meanWriteMs: batchCount > 0 ? (writeSeconds / batchCount) * 1000 : 0,
          writeBusyShare: writeSeconds / rowSeconds,
        },
      },
      rssPeakMiB: rssPeak,
      eventLoopLagMs: { p99Max: Math.max(0, ...s.lags), p99Median: median(s.lags), nodejsP99Last: s.nodeLag },
      cpuCores,
      targetCpuUsPerMsg: usPerMsg(cpuCores.target, perSecond(w.acked, w.seconds)),
      errors: stopped.totals.errors,
    };
  } finally {
    await gw.child.request({ type: 'close' }, 60_000).catch((e: Error) => o.log(`  ${o.label}: close: ${e.message}`));
    await gw.child.stop();
  }
}

export interface RelayRun extends RunShape {
  target: 'aedes' | 'mosquitto';
  label: string;
  url: string;
  brokerPid: number;
  loadgen: Loadgen;
  subscriber: Subscriber;
}

export async function runRelay(o: RelayRun): Promise<TargetResult> {
  expect(await o.subscriber.request({ type: 'connect', url: o.url, filter: '#' }, 20_000), 'connected');
  const credentials: Credentials[] = Array.from({ length: o.connections }, (_, i) => ({ clientId: `bench-pub-${i + 1}` }));
  expect(await o.loadgen.request({ type: 'connect', url: o.url, credentials, window: o.window, unique: false, engine: o.engine }, 60_000), 'connected');
  expect(await o.loadgen.request({ type: 'go' }, 10_000), 'going');
  o.log(`  ${o.label}: warming up ${o.warmupS} s`);
  await sleep(o.warmupS);
  await Promise.all([o.subscriber.request({ type: 'mark' }, 10_000), o.loadgen.request({ type: 'mark' }, 10_000)]);
  const cpu = {
    target: new CpuMeter(() => cpuSeconds(o.brokerPid)),
    loadgen: new CpuMeter(() => cpuSeconds(o.loadgen.pid)),
    subscriber: new CpuMeter(() => cpuSeconds(o.subscriber.pid)),
    machine: new CpuMeter(machineBusySeconds),
  };
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(o.brokerPid))), 1000);
  o.log(`  ${o.label}: measuring ${o.durationS} s`);
  await sleep(o.durationS);
  clearInterval(rssTimer);
  const [sub, stopped] = await Promise.all([o.subscriber.request({ type: 'stop' }, 10_000), stopLoad(o.loadgen)]);
  const cpuCores = withOthers({ target: cpu.target.cores(), loadgen: cpu.loadgen.cores(), subscriber: cpu.subscriber.cores(), machine: cpu.machine.cores() });
  if (sub.type !== 'stopped') throw new Error(`expected stopped, got ${sub.type}`);
  const fin = await o.subscriber.request({ type: 'finish', expect: stopped.totals.acked, quietMs: 3000, timeoutMs: 60_000 }, 90_000);
  if (fin.type !== 'finished') throw new Error(`expected finished, got ${fin.type}`);
  const w = stopped.window;
  const msgsPerSec = perSecond(sub.received, sub.seconds);
  const readingsPerMsg = w.acked > 0 ? w.ackedReadings / w.acked : 0;
  return {
    target: o.target,
    label: o.label,
    msgsPerSec,
    readingsPerSec: msgsPerSec * readingsPerMsg,
    ackedMsgsPerSec: perSecond(w.acked, w.seconds),
    windowSeconds: sub.seconds,
    warmupSeconds: o.warmupS,
    latencyUs: w.latency,
    publish: stopped.totals,
    delivery: { receivedInWindow: sub.received, receivedTotal: fin.total, acknowledgedTotal: stopped.totals.acked },
    rssPeakMiB: Math.max(peakRssMiB(o.brokerPid), rssMax),
    cpuCores,
    targetCpuUsPerMsg: usPerMsg(cpuCores.target, msgsPerSec),
    errors: stopped.totals.errors,
  };
}
