/**
 * One simulated device's MQTT connection: its own client id, credentials and last will, and
 * mqtt.js's own reconnect. It publishes what the fleet's scheduler hands it and counts the
 * outcome; it never owns a timer of its own beyond mqtt.js's keepalive.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../gateway/core/log.js';

export interface FleetCounters {
  published: number;
  /** PUBACKs received (QoS 1 only). */
  acknowledged: number;
  errors: number;
  /** Reports dropped because too many of the device's messages were still unacknowledged. */
  skipped: number;
  connects: number;
  lastError: string | null;
}

export interface DeviceClientOptions {
  mqttUrl: string;
  id: string;
  password: string;
  qos: 0 | 1;
  keepaliveS: number;
  reconnectPeriodMs: number;
  counters: FleetCounters;
  logger: Logger;
}

/** Unacknowledged QoS 1 messages a device may have before it skips reports (mqtt.js would queue them all). */
const maxInFlight = 8;

export const upTopic = (id: string) => `cityops/v1/devices/${id}/up`;
export const statusTopic = (id: string) => `cityops/v1/devices/${id}/status`;

export class DeviceClient {
  readonly client: MqttClient;
  private inFlight = 0;
  private loggedError: string | undefined;

  constructor(private readonly opts: DeviceClientOptions) {
    const { id, counters } = opts;
    this.client = mqtt.connect(opts.mqttUrl, {
      clientId: id,
      username: id,
      password: opts.password,
      protocolVersion: 4,
      clean: true,
      keepalive: opts.keepaliveS,
      reconnectPeriod: opts.reconnectPeriodMs,
      connectTimeout: 15_000,
      // The broker publishes this if the device vanishes without a DISCONNECT [MQTT-3.1.2-8].
      will: { topic: statusTopic(id), payload: Buffer.from(JSON.stringify({ status: 'offline', reason: 'connection lost' })), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      counters.connects++;
      if (this.loggedError !== undefined) opts.logger.debug({ device: id }, 'simulated device reconnected');
      this.loggedError = undefined;
    });
    this.client.on('error', (err) => this.noteError(err.message));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Settles at the first CONNACK, refusal or failed attempt (or after `timeoutMs`), never rejects. */
  firstAttempt(timeoutMs: number): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('connect', done).off('error', done).off('close', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.client.once('connect', done).once('error', done).once('close', done);
    });
  }

  /** Sends one uplink if the device is online and not backed up; says what happened. */
  publish(payload: Uint8Array): 'sent' | 'skipped' {
    const { counters, qos, id } = this.opts;
    if (!this.client.connected || this.inFlight >= maxInFlight) {
      counters.skipped++;
      return 'skipped';
    }
    this.inFlight++;
    counters.published++;
    this.client.publish(upTopic(id), Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos }, (err) => {
      this.inFlight--;
      if (err) this.noteError(`publish: ${err.message}`);
      else if (qos === 1) counters.acknowledged++;
    });
    return 'sent';
  }

  /** A clean DISCONNECT (no will); forced if the broker does not answer within `timeoutMs`. */
  async end(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.client.endAsync().then(() => 'ended' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.client.endAsync(true);
  }

  private noteError(message: string): void {
    const { counters, logger, id } = this.opts;
    counters.errors++;
    counters.lastError = `${id}: ${message}`;
    // Per device at debug only: when the broker goes away every device fails at once, and the
    // fleet logs one summary instead of hundreds of lines.
    if (this.loggedError === undefined) logger.debug({ device: id, err: message }, 'simulated device error');
    this.loggedError = message;
  }
}
