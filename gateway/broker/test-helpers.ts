/**
 * Test support for the broker tests (not a test file itself): a recording policy, a broker on
 * 127.0.0.1 with free ports, real mqtt.js clients and a hand-built CONNECT for raw sockets.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { ConfigSchema } from '../config/schema.js';
import { validate } from '../core/schema.js';
import { createBroker } from './broker.js';
import type { Broker, BrokerContext, BrokerPolicy, DevicePublish, DeviceStatus, MqttConfig } from './types.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export const DEVICES: Record<string, string> = { 'dev-1': 'secret-1', 'dev-2': 'secret-2' };
export const DISTRICT_KEY = 'district-api-key';
/** A subscriber that may read every cityops topic: lets tests see what was (not) delivered. */
export const MONITOR_KEY = 'monitor-api-key';

export interface RecordingPolicy extends BrokerPolicy {
  published: DevicePublish[];
  statuses: Array<{ deviceId: string; status: DeviceStatus; reason: string }>;
  /** Replace to hold or refuse publishes; called after the message is recorded. */
  gate: (msg: DevicePublish) => Promise<void>;
}

export function recordingPolicy(): RecordingPolicy {
  const policy: RecordingPolicy = {
    published: [],
    statuses: [],
    gate: async () => {},
    async authenticateDevice(username, password) {
      return DEVICES[username] !== undefined && DEVICES[username] === password.toString() ? { deviceId: username } : null;
    },
    async authenticateSubscriber(_username, password) {
      if (password.toString() === MONITOR_KEY) return { id: 'monitor', readTopics: ['cityops/v1/#'] };
      return password.toString() === DISTRICT_KEY ? { id: 'district', readTopics: ['cityops/v1/warnings/#', 'cityops/v1/cases/#'] } : null;
    },
    async onDevicePublish(msg) {
      policy.published.push(msg);
      return policy.gate(msg);
    },
    onDeviceStatus(deviceId, status, reason) {
      policy.statuses.push({ deviceId, status, reason });
    },
  };
  return policy;
}

export function mqttConfig(overrides: Partial<MqttConfig> = {}): MqttConfig {
  const base = validate(ConfigSchema, { mqtt: { host: '127.0.0.1', port: 0, websocketPath: '' } }, { what: 'test config' }).mqtt;
  return { ...base, ...overrides };
}

export async function startBroker(
  t: TestLike,
  opts: { mqtt?: Partial<MqttConfig>; policy?: RecordingPolicy } & Partial<Omit<BrokerContext, 'mqtt' | 'policy'>> = {},
): Promise<{ broker: Broker; policy: RecordingPolicy; url: string; port: number }> {
  const policy = opts.policy ?? recordingPolicy();
  const broker = await createBroker({ logger: pino({ level: 'silent' }), ...opts, mqtt: mqttConfig(opts.mqtt), policy });
  t.teardown(() => broker.close());
  const { port } = broker.addresses().tcp;
  return { broker, policy, url: `mqtt://127.0.0.1:${port}`, port };
}

/** A real mqtt.js client (MQTT 3.1.1, no reconnects); ended at teardown. */
export async function connectClient(t: TestLike, url: string, opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  t.teardown(() => client.endAsync(true));
  return client;
}

export function connectDevice(t: TestLike, url: string, id: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return connectClient(t, url, { username: id, password: DEVICES[id] ?? '', clientId: `${id}-${Math.random().toString(16).slice(2, 8)}`, ...opts });
}

/** SUBACK return codes, one per filter (mqtt.js rejects when one is 0x80; the codes are on the error). */
export async function subscribeCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

/** The CONNACK return code a failed connect got (mqtt.js puts it on `code`). */
export async function connectReturnCode(url: string, opts: IClientOptions): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    await client.endAsync(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A fixed header announcing `length` remaining bytes for packet type `type`. */
export function fixedHeader(typeAndFlags: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags]), remainingLength(length)]);
}

/** An MQTT 3.1.1 CONNECT, built by hand so tests can send what mqtt.js refuses to. */
export function connectPacket(o: { clientId: string; clean: boolean; username?: string; password?: string; keepalive?: number }): Buffer {
  let flags = o.clean ? 0x02 : 0;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const keepalive = o.keepalive ?? 0;
  const body = Buffer.concat([
    utf8('MQTT'),
    Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff]),
    utf8(o.clientId),
    ...(o.username !== undefined ? [utf8(o.username)] : []),
    ...(o.password !== undefined ? [utf8(o.password)] : []),
  ]);
  return Buffer.concat([fixedHeader(0x10, body.length), body]);
}

/** An MQTT 3.1.1 PUBLISH (QoS 1 unless told), built by hand. */
export function publishPacket(o: { topic: string; messageId: number; payload: Buffer | string; qos?: 0 | 1 }): Buffer {
  const qos = o.qos ?? 1;
  const body = Buffer.concat([utf8(o.topic), ...(qos > 0 ? [Buffer.from([o.messageId >> 8, o.messageId & 0xff])] : []), Buffer.from(o.payload)]);
  return Buffer.concat([fixedHeader(0x30 | (qos << 1), body.length), body]);
}

export const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

export function puback(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/** A raw TCP socket collecting what the server sends; destroyed at teardown. */
export async function rawSocket(t: TestLike, port: number): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = netConnect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {}); // resets after the server closes are expected; `closed` reports the end
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  t.teardown(() => socket.destroy());
  return { socket, received: () => Buffer.concat(chunks), closed };
}
