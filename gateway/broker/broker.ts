import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes';
import { systemClock } from '../core/clock.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import * as acl from './acl.js';
import { Authenticator } from './auth.js';
import { attachWebSocket, listenTcp, listenTls, type ListenerContext, type RunningListener } from './listeners.js';
import type { GuardedStream } from './packet-guard.js';
import { Presence } from './presence.js';
import { OrderedGate } from './publish-gate.js';
import { deviceTopic, isPublishTopic, parseDeviceTopic, statusPayload } from './topics.js';
import type { Broker, BrokerAddresses, BrokerContext, BrokerStats, DeviceStatus, PublishOptions } from './types.js';

const returnCodeNames: Record<number, string> = {
  1: 'unacceptable_protocol',
  2: 'identifier_rejected',
  3: 'server_unavailable',
  4: 'bad_username_or_password',
  5: 'not_authorized',
  6: 'keepalive_limit',
};

/** Longest Node timer: what "no connect timeout" (config 0) becomes, since aedes would fire at 0 ms. */
const NO_TIMEOUT = 2 ** 31 - 1;

// aedes sets this when a DISCONNECT packet arrived (lib/handlers/index.js); it is not public API,
// and broker.test.ts covers the reason it feeds.
function sentDisconnect(client: Client): boolean {
  return (client as unknown as { _disconnected?: boolean })._disconnected === true;
}

/** The embedded MQTT broker: aedes plus our ACL, durable gate, packet guard and listeners. */
export async function createBroker(ctx: BrokerContext): Promise<Broker> {
  const { mqtt: cfg, policy, logger: log } = ctx;
  const clock = ctx.clock ?? systemClock;
  const stats: Omit<BrokerStats, 'connectedDevices'> = {
    connectedClients: 0,
    refusedConnections: {},
    oversizePackets: 0,
    malformedPackets: 0,
    aclDenials: { publish: 0, subscribe: 0, will: 0 },
    gateRefusals: 0,
  };
  const countRefused = (reason: string): void => {
    stats.refusedConnections[reason] = (stats.refusedConnections[reason] ?? 0) + 1;
  };
  let closing = false;
  const gate = new OrderedGate<Client>();

  const publishPlatform = (topic: string, payload: Buffer | string, opts: PublishOptions = {}): Promise<void> =>
    new Promise((resolve, reject) => {
      if (aedes.closed) return reject(new GatewayError('GW_ERR_NOT_READY', 'the MQTT broker is closed'));
      if (!isPublishTopic(topic)) return reject(new TypeError(`not a publishable topic: ${JSON.stringify(topic)}`));
      const packet: PublishPacket = { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: opts.qos ?? 1, retain: opts.retain ?? false, dup: false };
      aedes.publish(packet, (err) => (err ? reject(err) : resolve()));
    });

  const announce = (deviceId: string, status: DeviceStatus, reason: string): void => {
    log.debug({ deviceId, status, reason }, 'device connection status'); // the registry logs the device's status at info
    try {
      policy.onDeviceStatus?.(deviceId, status, reason);
    } catch (err) {
      log.error({ err, deviceId, status }, 'onDeviceStatus failed');
    }
    if (closing || ctx.publishStatus === false) return;
    let topic: string;
    try {
      topic = deviceTopic(deviceId, 'status');
    } catch (err) {
      log.warn({ err, deviceId }, 'device id cannot be a topic level; no status published');
      return;
    }
    const payload = statusPayload(status, clock.now(), status === 'offline' ? reason : undefined);
    publishPlatform(topic, payload, { qos: 1, retain: true }).catch((err: unknown) => log.error({ err, deviceId, status }, 'could not publish device status'));
  };
  const presence = new Presence<Client>({ announce });

  const auth = new Authenticator({
    policy,
    logger: log,
    subscriberUsername: ctx.subscriberUsername ?? 'apikey',
    onRefused: (code) => countRefused(returnCodeNames[code] ?? `return_code_${code}`),
    onAuthenticated(client, principal, previous) {
      stats.connectedClients++;
      if (previous) presence.noteReason(previous, 'takeover');
      if (principal.kind === 'device') presence.authenticated(client, principal.id);
      client.conn.once('close', () => {
        stats.connectedClients--;
        auth.forget(client);
        presence.closed(client, sentDisconnect(client) ? 'disconnect' : closing ? 'broker_closed' : 'connection_lost');
      });
    },
  });

  const authorizePublish: AedesOptions['authorizePublish'] = (client, packet, callback) => {
    // Wills: aedes calls this from client.close() (client.closed is set) or, for a will another
    // broker left in shared persistence, with no client. They skip the durable gate.
    if (client === null || client.closed) {
      const principal = client ? auth.principalOf(client) : undefined;
      const parsed = parseDeviceTopic(packet.topic);
      const ok = principal ? acl.authorizeWill(principal, packet.topic).ok : parsed?.suffix === 'status' && parsed.rest.length === 0;
      if (ok) return callback(null);
      stats.aclDenials.will++;
      return callback(new Error(`will on ${packet.topic} refused`));
    }
    const principal = auth.principalOf(client);
    const decision = principal ? acl.authorizePublish(principal, packet.topic) : { ok: false as const, reason: 'not authenticated' };
    if (!decision.ok) {
      stats.aclDenials.publish++;
      log.warn({ clientId: client.id, principal: principal?.id, topic: packet.topic, reason: decision.reason }, 'publish refused by the ACL; closing the connection');
      // [MQTT-3.3.5-2]: the server cannot tell the client, so it closes the connection (aedes does on error).
      return callback(new Error(`publish to ${packet.topic} refused: ${decision.reason}`));
    }
    if (packet.retain && !decision.retainAllowed) packet.retain = false;
    const { deviceId, suffix, rest } = decision.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const msg = { deviceId, topic: packet.topic, suffix, rest, payload, qos: packet.qos, retain: packet.retain };
    // The durable gate: see publish-gate.ts for why it must run here, before the PUBACK.
    gate.run(client, () => policy.onDevicePublish(msg), (err) => {
      if (err) {
        stats.gateRefusals++;
        log.warn({ clientId: client.id, deviceId, topic: packet.topic, code: isGatewayError(err) ? err.code : undefined, err: err.message }, 'publish refused by ingest; closing without acknowledgement');
      }
      if (client.closed) return; // an earlier refusal closed it: nothing to acknowledge
      callback(err);
    });
  };

  const authorizeSubscribe: AedesOptions['authorizeSubscribe'] = (client, sub, callback) => {
    const principal = auth.principalOf(client);
    const decision = principal ? acl.authorizeSubscribe(principal, sub.topic) : { ok: false as const, reason: 'not authenticated' };
    if (decision.ok) return callback(null, sub);
    stats.aclDenials.subscribe++;
    log.info({ clientId: client.id, principal: principal?.id, filter: sub.topic, reason: decision.reason }, 'subscription refused');
    callback(null, null); // SUBACK 0x80 for this filter [MQTT-3.9.3]
  };

  const aedes = await Aedes.createBroker({
    ...ctx.aedes,
    connectTimeout: cfg.connectTimeoutMs > 0 ? cfg.connectTimeoutMs : NO_TIMEOUT,
    preConnect: auth.preConnect,
    authenticate: auth.authenticate,
    authorizePublish,
    authorizeSubscribe,
  });
  aedes.on('clientReady', (client) => presence.ready(client));
  aedes.on('keepaliveTimeout', (client) => presence.noteReason(client, 'keepalive_timeout'));
  aedes.on('clientError', (client, err) => {
    presence.noteReason(client, `error: ${err.message}`);
    log.debug({ clientId: client.id, err: err.message }, 'MQTT client error');
  });
  aedes.on('connectionError', (_client, err) => {
    // aedes' wording in lib/client.js for a socket that never sent CONNECT.
    if (err.message === 'connect did not arrive in time') countRefused('connect_timeout');
    log.debug({ err: err.message }, 'MQTT connection error before CONNECT');
  });
  aedes.on('connackSent', (packet) => {
    // Codes 2-5 come from our authenticate (counted there); 1 and 6 are aedes' own, before it.
    const code = packet.returnCode ?? 0;
    if (code === 1 || code === 6) countRefused(returnCodeNames[code] ?? `return_code_${code}`);
  });

  const conns = new Set<GuardedStream>();
  const lctx: ListenerContext = {
    logger: log,
    maxPacketBytes: cfg.maxPacketBytes,
    connectTimeoutMs: cfg.connectTimeoutMs,
    accept(conn: GuardedStream, req?: IncomingMessage) {
      if (closing) return void conn.destroy();
      conns.add(conn);
      conn.once('close', () => conns.delete(conn));
      aedes.handle(conn, req);
    },
    onViolation(v, remote) {
      if (v.kind === 'oversize') stats.oversizePackets++;
      else stats.malformedPackets++;
      log.warn({ remote, ...v }, v.kind === 'oversize' ? 'MQTT packet over the size limit; closing the connection' : 'malformed MQTT header; closing the connection');
    },
  };

  const listeners: RunningListener<unknown>[] = [];
  const addresses: Partial<BrokerAddresses> = {};
  const stop = async (): Promise<void> => {
    closing = true;
    const closed = listeners.map((l) => l.close());
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const conn of conns) conn.destroy(); // ones that never sent CONNECT are not aedes clients yet
    await Promise.all(closed);
  };
  try {
    const tcp = await listenTcp(lctx, cfg.host, cfg.port);
    listeners.push(tcp);
    addresses.tcp = tcp.address;
    if (cfg.tls.certFile && cfg.tls.keyFile) {
      const tls = await listenTls(lctx, cfg.host, cfg.tls.port, cfg.tls);
      listeners.push(tls);
      addresses.tls = tls.address;
    }
    if (ctx.httpServer && cfg.websocketPath) {
      const ws = attachWebSocket(lctx, ctx.httpServer, cfg.websocketPath);
      listeners.push(ws);
      addresses.ws = ws.address;
    }
  } catch (err) {
    await stop();
    throw err;
  }

  let closePromise: Promise<void> | undefined;
  return {
    addresses: () => ({ ...(addresses as BrokerAddresses) }),
    publishPlatform,
    stats: () => ({ ...stats, connectedDevices: presence.onlineDevices, refusedConnections: { ...stats.refusedConnections }, aclDenials: { ...stats.aclDenials } }),
    close: () => (closePromise ??= stop()),
  };
}
