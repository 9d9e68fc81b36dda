/**
 * The load generator process (forked by bench/lib/children.ts): builds the payload pools once,
 * then for each target connects N publishers, runs them through warm-up and the measured
 * window on the parent's commands, and reports what was sent and acknowledged.
 */
import { buildPool, meanReadings, type PacketPool } from './payloads.js';
import type { LoadgenCommand, LoadgenReply, PublishTotals } from './protocol.js';
import { Meter, mqttjsPublisher, rawPublisher, type Publisher } from './publishers.js';
import { latencyHistogram, summarize } from './stats.js';
import { serveCommands } from './child-io.js';

let pools: PacketPool[] = [];
let publishers: Publisher[] = [];
let meter = new Meter(latencyHistogram());
let markAt = 0;
let markSnapshot = { sent: 0, acked: 0, ackedReadings: 0 };

async function handle(cmd: LoadgenCommand): Promise<LoadgenReply> {
  switch (cmd.type) {
    case 'prepare': {
      const t0 = performance.now();
      pools = cmd.devices.map((d) => buildPool(d, cmd.poolPerDevice, cmd.nowMs));
      const bytes = pools.reduce((n, p) => n + p.packets.length, 0);
      const packets = pools.reduce((n, p) => n + p.count, 0);
      return { type: 'prepared', packets, bytes, seconds: (performance.now() - t0) / 1000, meanReadings: meanReadings(pools) };
    }
    case 'connect': {
      if (cmd.credentials.length > pools.length) throw new Error(`${cmd.credentials.length} connections but only ${pools.length} payload pools`);
      const t0 = performance.now();
      meter = new Meter(latencyHistogram());
      const make = cmd.engine === 'mqttjs' ? mqttjsPublisher : rawPublisher;
      const url = new URL(cmd.url);
      publishers = await Promise.all(
        cmd.credentials.map((credentials, i) => make({ url, credentials, pool: pools[i] as PacketPool, window: cmd.window, unique: cmd.unique, meter })),
      );
      return { type: 'connected', seconds: (performance.now() - t0) / 1000 };
    }
    case 'go':
      for (const p of publishers) p.start();
      return { type: 'going' };
    case 'mark':
      markAt = performance.now();
      markSnapshot = { sent: meter.sent, acked: meter.acked, ackedReadings: meter.ackedReadings };
      meter.histogram.reset();
      meter.measuring = true;
      return { type: 'marked' };
    case 'stop': {
      const seconds = (performance.now() - markAt) / 1000;
      meter.measuring = false;
      const window = {
        seconds,
        sent: meter.sent - markSnapshot.sent,
        acked: meter.acked - markSnapshot.acked,
        ackedReadings: meter.ackedReadings - markSnapshot.ackedReadings,
        latency: summarize(meter.histogram),
      };
      for (const p of publishers) p.halt();
      const deadline = Date.now() + cmd.ackTimeoutMs;
      while (publishers.some((p) => p.inflight > 0 && p.error === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const totals: PublishTotals = {
        sent: meter.sent,
        acked: meter.acked,
        ackedReadings: meter.ackedReadings,
        unacked: publishers.reduce((n, p) => n + p.inflight, 0),
        exhausted: publishers.filter((p) => p.exhausted).length,
        errors: [...new Set(publishers.flatMap((p) => (p.error !== undefined ? [p.error] : [])))],
      };
      await Promise.all(publishers.map((p) => p.close()));
      publishers = [];
      return { type: 'stopped', window, totals };
    }
  }
}

serveCommands<LoadgenCommand, LoadgenReply>(handle, async () => {
  await Promise.all(publishers.map((p) => p.close()));
});
