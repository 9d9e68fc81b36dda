import type { DeviceStatus } from './types.js';

/**
 * Online/offline per device, not per connection: a device may hold several connections (or take
 * its own client id over), and only its first coming up and its last going down are reported.
 *
 * A connection counts from the moment its credentials are accepted, before CONNACK: when a device
 * reconnects with the same client id, the new connection is counted before aedes closes the old
 * one ([MQTT-3.1.4-2]), so a takeover never flaps offline/online. "Online" itself is announced
 * once a CONNACK went out; "offline" when the last counted connection's stream has closed.
 */
export interface PresenceOptions {
  /** Reports a change (the broker publishes the retained status and tells the policy). */
  announce(deviceId: string, status: DeviceStatus, reason: string): void;
}

interface Tracked {
  deviceId: string;
  reason: string | undefined;
}

/** `C` is the connection key (the aedes Client). */
export class Presence<C extends object> {
  private readonly tracked = new WeakMap<C, Tracked>();
  private readonly connections = new Map<string, number>();
  private readonly online = new Set<string>();

  constructor(private readonly opts: PresenceOptions) {}

  /** Credentials accepted. The caller must call `closed` when the connection's stream closes. */
  authenticated(client: C, deviceId: string): void {
    this.tracked.set(client, { deviceId, reason: undefined });
    this.connections.set(deviceId, (this.connections.get(deviceId) ?? 0) + 1);
  }

  /** CONNACK sent. */
  ready(client: C): void {
    const t = this.tracked.get(client);
    if (!t || this.online.has(t.deviceId)) return;
    this.online.add(t.deviceId);
    this.opts.announce(t.deviceId, 'online', 'connected');
  }

  /** Remembers why a connection is ending; the first reason given wins. */
  noteReason(client: C, reason: string): void {
    const t = this.tracked.get(client);
    if (t && t.reason === undefined) t.reason = reason;
  }

  closed(client: C, fallbackReason: string): void {
    const t = this.tracked.get(client);
    if (!t) return;
    this.tracked.delete(client);
    const left = (this.connections.get(t.deviceId) ?? 1) - 1;
    if (left > 0) {
      this.connections.set(t.deviceId, left);
      return;
    }
    this.connections.delete(t.deviceId);
    if (this.online.delete(t.deviceId)) this.opts.announce(t.deviceId, 'offline', t.reason ?? fallbackReason);
  }

  get onlineDevices(): number {
    return this.online.size;
  }
}
