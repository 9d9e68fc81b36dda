/**
 * The counting subscriber of the relay targets (its own process, so its CPU is not the
 * generator's): one connection subscribed to `#` at QoS 1, acknowledging and counting every
 * PUBLISH the broker delivers.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { serveCommands } from './child-io.js';
import type { SubscriberCommand, SubscriberReply } from './protocol.js';
import { encodeConnect, encodePuback, encodeSubscribe, PacketReader, PacketType, publishPacketId, DISCONNECT } from './wire.js';

let sock: Socket | undefined;
let received = 0;
let lastAt = 0;
let markAt = 0;
let markCount = 0;

async function subscribe(url: URL, filter: string): Promise<void> {
  const s = netConnect({ host: url.hostname, port: Number(url.port) });
  sock = s;
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('subscriber: no SUBACK within 10 s')), 10_000);
    const reader = new PacketReader((p) => {
      if (p.type === PacketType.publish) {
        received++;
        // QoS 1 (flags 0b0010) needs a PUBACK [MQTT-3.3.4-1]; QoS 0 does not.
        if ((p.flags & 0x06) === 0x02) s.write(encodePuback(publishPacketId(p.body)));
      } else if (p.type === PacketType.connack) {
        if (p.body[1] !== 0) reject(new Error(`subscriber: CONNACK return code ${p.body[1]}`));
        else s.write(encodeSubscribe(1, filter));
      } else if (p.type === PacketType.suback) {
        clearTimeout(timer);
        if (p.body[2] === 0x80) reject(new Error(`subscriber: subscription to ${filter} refused`));
        else resolve();
      }
    });
    s.on('data', (chunk: Buffer) => {
      s.cork();
      reader.push(chunk);
      lastAt = Date.now();
      s.uncork();
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.write(encodeConnect({ clientId: `bench-counter-${process.pid}`, keepalive: 0 }));
  });
}

async function handle(cmd: SubscriberCommand): Promise<SubscriberReply> {
  switch (cmd.type) {
    case 'connect':
      received = 0;
      await subscribe(new URL(cmd.url), cmd.filter);
      return { type: 'connected' };
    case 'mark':
      markAt = performance.now();
      markCount = received;
      return { type: 'marked' };
    case 'stop':
      return { type: 'stopped', seconds: (performance.now() - markAt) / 1000, received: received - markCount };
    case 'finish': {
      // Everything acknowledged to the publishers should arrive; stop waiting once it has, or once the flow dries up.
      const deadline = Date.now() + cmd.timeoutMs;
      while (received < cmd.expect && Date.now() < deadline && Date.now() - lastAt < cmd.quietMs) await new Promise((r) => setTimeout(r, 20));
      await close();
      return { type: 'finished', total: received };
    }
  }
}

async function close(): Promise<void> {
  const s = sock;
  sock = undefined;
  if (!s || s.destroyed) return;
  await new Promise<void>((resolve) => {
    s.once('close', () => resolve());
    s.end(DISCONNECT);
    setTimeout(() => s.destroy(), 2000).unref();
  });
}

serveCommands<SubscriberCommand, SubscriberReply>(handle, close);
