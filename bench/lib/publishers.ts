/**
 * One publishing connection with a fixed window of QoS 1 messages in flight: a new PUBLISH
 * goes out for each PUBACK that comes back. Two engines: raw packets over a net socket (the
 * default, lighter) and mqtt.js (to check the raw one is not flattering anyone).
 */
import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import type { RecordableHistogram } from 'node:perf_hooks';
import type { Credentials } from './protocol.js';
import type { PacketPool } from './payloads.js';
import { DISCONNECT, encodeConnect, PacketReader, PacketType, type Packet } from './wire.js';

/** Counters all connections of one generator share. */
export class Meter {
  sent = 0;
  acked = 0;
  ackedReadings = 0;
  measuring = false;
  constructor(readonly histogram: RecordableHistogram) {}

  ack(latencyMs: number, readings: number): void {
    this.acked++;
    this.ackedReadings += readings;
    if (this.measuring) this.histogram.record(Math.max(1, Math.round(latencyMs * 1000)));
  }
}

export interface Publisher {
  readonly inflight: number;
  readonly exhausted: boolean;
  readonly error: string | undefined;
  start(): void;
  /** Stops sending; what is in flight may still be acknowledged. */
  halt(): void;
  close(): Promise<void>;
}

export interface PublisherOptions {
  url: URL;
  credentials: Credentials;
  pool: PacketPool;
  window: number;
  /** Each payload once (a database keeps them all), or cycle through the pool (a relay). */
  unique: boolean;
  meter: Meter;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Raw engine: the pool's ready-made packets, the packet id patched in place before each write. */
export async function rawPublisher(o: PublisherOptions): Promise<Publisher> {
  const sock = netConnect({ host: o.url.hostname, port: Number(o.url.port) });
  sock.setNoDelay(true);
  const sentAt = new Float64Array(65_536);
  const readingsOf = new Uint8Array(65_536);
  const { pool, meter } = o;
  let running = false;
  let next = 0;
  let packetId = 0;
  let inflight = 0;
  let exhausted = false;
  let error: string | undefined;
  let connack: ((p: Packet) => void) | undefined;

  const fill = (): void => {
    while (running && inflight < o.window) {
      if (next >= pool.count) {
        if (o.unique) {
          exhausted = true;
          running = false;
          return;
        }
        next = 0;
      }
      const i = next++;
      // Ids cycle 1..65535 [MQTT-2.3.1-1]; with a window far below that, a reused id is long acknowledged.
      packetId = packetId === 65_535 ? 1 : packetId + 1;
      const start = pool.offsets[i] as number;
      pool.packets.writeUInt16BE(packetId, start + (pool.idOffsets[i] as number));
      sentAt[packetId] = performance.now();
      readingsOf[packetId] = pool.readings[i] as number;
      // Safe to patch this buffer again next cycle: its bytes left before the acks that freed the window.
      sock.write(pool.packets.subarray(start, pool.offsets[i + 1]));
      inflight++;
      meter.sent++;
    }
  };

  const reader = new PacketReader((p) => {
    if (p.type === PacketType.puback) {
      const id = p.body.readUInt16BE(0);
      const t = sentAt[id] as number;
      if (t === 0) return;
      sentAt[id] = 0;
      inflight--;
      meter.ack(performance.now() - t, readingsOf[id] as number);
    } else if (p.type === PacketType.connack) {
      connack?.(p);
    }
  });
  sock.on('data', (chunk: Buffer) => {
    sock.cork();
    reader.push(chunk);
    fill();
    sock.uncork();
  });
  sock.on('error', (e) => {
    error ??= e.message;
  });
  sock.on('close', () => {
    if (running || inflight > 0) error ??= `connection ${o.credentials.clientId} closed by the broker with ${inflight} in flight`;
    running = false;
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${o.credentials.clientId}: no CONNACK within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    connack = (p) => {
      clearTimeout(timer);
      const rc = p.body[1] ?? 255;
      if (rc === 0) resolve();
      else reject(new Error(`${o.credentials.clientId}: CONNACK return code ${rc}`));
    };
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.write(encodeConnect({ ...o.credentials, keepalive: 0 }));
  });

  return {
    get inflight() {
      return inflight;
    },
    get exhausted() {
      return exhausted;
    },
    get error() {
      return error;
    },
    start() {
      running = true;
      sock.cork();
      fill();
      sock.uncork();
    },
    halt() {
      running = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        sock.once('close', () => resolve());
        sock.end(DISCONNECT);
        setTimeout(() => sock.destroy(), 2000).unref();
      }),
  };
}

/** mqtt.js engine: the same payloads through `client.publish`, acknowledged by its callback. */
export async function mqttjsPublisher(o: PublisherOptions): Promise<Publisher> {
  const client = await mqtt.connectAsync(o.url.toString(), {
    clientId: o.credentials.clientId,
    ...(o.credentials.username !== undefined ? { username: o.credentials.username } : {}),
    ...(o.credentials.password !== undefined ? { password: o.credentials.password } : {}),
    keepalive: 0,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    protocolVersion: 4,
  });
  const { pool, meter } = o;
  let running = false;
  let next = 0;
  let inflight = 0;
  let exhausted = false;
  let error: string | undefined;
  client.on('error', (e) => {
    error ??= e.message;
  });
  client.on('close', () => {
    if (running) error ??= `connection ${o.credentials.clientId} closed by the broker`;
    running = false;
  });
  const fill = (): void => {
    while (running && inflight < o.window) {
      if (next >= pool.count) {
        if (o.unique) {
          exhausted = true;
          running = false;
          return;
        }
        next = 0;
      }
      const i = next++;
      const payload = pool.packets.subarray((pool.offsets[i] as number) + (pool.idOffsets[i] as number) + 2, pool.offsets[i + 1]);
      const readings = pool.readings[i] as number;
      const t = performance.now();
      inflight++;
      meter.sent++;
      client.publish(pool.topic, payload, { qos: 1 }, (err) => {
        inflight--;
        if (err) error ??= err.message;
        else meter.ack(performance.now() - t, readings);
        fill();
      });
    }
  };
  return {
    get inflight() {
      return inflight;
    },
    get exhausted() {
      return exhausted;
    },
    get error() {
      return error;
    },
    start() {
      running = true;
      fill();
    },
    halt() {
      running = false;
    },
    close: async () => {
      await client.endAsync(true).catch((e: Error) => {
        error ??= e.message;
      });
    },
  };
}
