import type { Server as HttpServer } from 'node:http';
import type { AedesOptions } from 'aedes';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Config } from '../config/schema.js';
import type { DeviceSuffix } from './topics.js';

/** Who is on the other end of an MQTT connection, decided at CONNECT. */
export type Principal =
  | { kind: 'device'; id: string }
  /** A platform subscriber (district role): read-only, within `readTopics` filters. */
  | { kind: 'subscriber'; id: string; readTopics: string[] };

export interface DevicePublish {
  deviceId: string;
  topic: string;
  suffix: Exclude<DeviceSuffix, 'down'>;
  /** Levels below the suffix (`up/raw` → `['raw']`). */
  rest: string[];
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export type DeviceStatus = 'online' | 'offline';

/** What the broker asks the rest of the gateway. The broker holds no credentials itself. */
export interface BrokerPolicy {
  /** Checks a device's username/password (the caller verifies the scrypt hash); null = refused. */
  authenticateDevice(username: string, password: Buffer): Promise<{ deviceId: string } | null>;
  /**
   * Checks a platform subscriber: CONNECT with username `subscriberUsername` (default `apikey`)
   * and the API key as password. Absent: subscribers cannot connect.
   */
  authenticateSubscriber?(username: string, password: Buffer): Promise<{ id: string; readTopics: string[] } | null>;
  /**
   * The durable gate: runs for every PUBLISH a device makes on its own topics, BEFORE the PUBACK
   * (QoS 1) or PUBREC (QoS 2) is sent. Resolve once the reading is durable (or deliberately dead-
   * lettered); reject to refuse it: no acknowledgement is sent and the connection is closed, so
   * the device keeps the message and sends it again later (e.g. GW_ERR_SPOOL_FULL).
   * Calls for one connection may overlap (pipelined publishes); acknowledgements still go out in
   * the order the publishes arrived [MQTT-4.6.0-2].
   */
  onDevicePublish(msg: DevicePublish): Promise<void>;
  /** A device's first connection came up, or its last one went down (reason says why). */
  onDeviceStatus?(deviceId: string, status: DeviceStatus, reason: string): void;
}

export type MqttConfig = Config['mqtt'];

export interface BrokerContext {
  mqtt: MqttConfig;
  policy: BrokerPolicy;
  logger: Logger;
  /** Timestamps of status messages. Defaults to the system clock. */
  clock?: Clock;
  /** The HTTP (Fastify) server to carry MQTT over WebSocket at `mqtt.websocketPath`. */
  httpServer?: HttpServer;
  /**
   * Publish the retained `…/status` message on connection changes (default true). The gateway
   * turns it off because its device registry owns the status (heartbeats, sleepy devices) and
   * publishes it through publishPlatform.
   */
  publishStatus?: boolean;
  /** Username that marks a subscriber login (password = API key). */
  subscriberUsername?: string;
  /** Shared engines for several gateway processes (mqemitter-redis, aedes-persistence-redis). */
  aedes?: Pick<AedesOptions, 'id' | 'mq' | 'persistence'>;
}

export interface BoundAddress {
  host: string;
  port: number;
}

export interface BrokerAddresses {
  tcp: BoundAddress;
  tls?: BoundAddress;
  /** Path on the HTTP server; the port is the HTTP server's. */
  ws?: { path: string };
}

/** Counters for the metrics module (prom-client is wired elsewhere). */
export interface BrokerStats {
  /** Devices with at least one live connection. */
  connectedDevices: number;
  /** Authenticated MQTT connections of any principal. */
  connectedClients: number;
  /** Refused connections by reason (CONNACK return code name, or `connect_timeout`). */
  refusedConnections: Record<string, number>;
  /** Connections closed because a fixed header announced a packet over `maxPacketBytes`. */
  oversizePackets: number;
  /** Connections closed because a fixed header was malformed (remaining length over 4 bytes). */
  malformedPackets: number;
  aclDenials: { publish: number; subscribe: number; will: number };
  /** Publishes the durable gate refused (connection closed, no acknowledgement). */
  gateRefusals: number;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

export interface Broker {
  /** Where the listeners are bound (port 0 in the config resolves to the real port). */
  addresses(): BrokerAddresses;
  /** Gateway-side publish (warnings, cases, device `down`, status): bypasses the device ACL. */
  publishPlatform(topic: string, payload: Buffer | string, opts?: PublishOptions): Promise<void>;
  /** A snapshot of the counters. */
  stats(): BrokerStats;
  /** Closes the listeners, every connection and the broker. */
  close(): Promise<void>;
}
