/**
 * Background load at a fixed rate (bench/rules-latency.ts): QoS 1 PUBLISHes spread evenly over
 * the given device connections, in 10 ms slices, until told to stop. Rates, not windows: the
 * latency benchmark asks for "10,000 readings/s of background", not "as fast as it goes".
 */
import mqtt from 'mqtt';
import { announce, serveCommands } from './child-io.js';

export type SteadyCommand =
  | { type: 'start'; url: string; devices: Array<{ id: string; password: string }>; msgsPerSec: number; depthCm: number }
  | { type: 'stop' };
export type SteadyReply = { type: 'ready' } | { type: 'started' } | { type: 'stopped'; sent: number; acked: number; errors: number; seconds: number } | { type: 'error'; message: string };

let clients: mqtt.MqttClient[] = [];
let timer: NodeJS.Timeout | undefined;
let counts = { sent: 0, acked: 0, errors: 0 };
let startedAt = 0;

async function handle(cmd: SteadyCommand): Promise<SteadyReply> {
  if (cmd.type === 'start') {
    clients = await Promise.all(cmd.devices.map((d) => mqtt.connectAsync(cmd.url, { username: d.id, password: d.password, clientId: d.id, reconnectPeriod: 0 })));
    const ids = cmd.devices.map((d) => d.id);
    const seq = new Array<number>(ids.length).fill(0);
    counts = { sent: 0, acked: 0, errors: 0 };
    startedAt = performance.now();
    let next = 0;
    const slice = () => {
      // How many should have gone by now, minus how many did: catches up after a slow slice.
      const due = Math.floor(((performance.now() - startedAt) / 1000) * cmd.msgsPerSec) - counts.sent;
      for (let i = 0; i < due; i++) {
        const k = next++ % clients.length;
        const client = clients[k] as mqtt.MqttClient;
        const n = (seq[k] = ((seq[k] as number) + 1) % 65536);
        const body = JSON.stringify({ ts: Date.now(), seq: n, depth: cmd.depthCm, battery: 80 });
        counts.sent++;
        client.publish(`cityops/v1/devices/${ids[k] as string}/up`, body, { qos: 1 }, (err) => {
          if (err) counts.errors++;
          else counts.acked++;
        });
      }
      timer = setTimeout(slice, 10);
    };
    slice();
    return { type: 'started' };
  }
  if (timer) clearTimeout(timer);
  const seconds = (performance.now() - startedAt) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  clients = [];
  return { type: 'stopped', ...counts, seconds };
}

serveCommands<SteadyCommand, SteadyReply>(handle, async () => {
  if (timer) clearTimeout(timer);
  await Promise.all(clients.map((c) => c.endAsync(true)));
});
announce<SteadyReply>({ type: 'ready' });
