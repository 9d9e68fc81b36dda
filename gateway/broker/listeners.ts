import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { GuardedStream, type HeaderViolation } from './packet-guard.js';
import type { BoundAddress } from './types.js';

/** What every listener needs: the guard settings and where guarded connections go. */
export interface ListenerContext {
  logger: Logger;
  maxPacketBytes: number;
  connectTimeoutMs: number;
  accept(conn: GuardedStream, req?: IncomingMessage): void;
  onViolation(v: HeaderViolation, remote: string): void;
}

export interface RunningListener<A> {
  address: A;
  close(): Promise<void>;
}

function guard(ctx: ListenerContext, inner: Duplex, remote: string): GuardedStream {
  return new GuardedStream(inner, { maxPacketBytes: ctx.maxPacketBytes, remote, onViolation: ctx.onViolation });
}

function onSocket(ctx: ListenerContext, proto: string, socket: Socket): void {
  // Nagle would hold a small PUBACK until the peer's delayed ACK (~40 ms per QoS 1 round trip).
  socket.setNoDelay(true);
  ctx.accept(guard(ctx, socket, `${proto} ${socket.remoteAddress}:${socket.remotePort}`));
}

async function listen(server: NetServer, host: string, port: number): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve({ host: addr.address, port: addr.port });
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  // Resolves once the open connections are gone too: the broker destroys them first.
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function listenTcp(ctx: ListenerContext, host: string, port: number): Promise<RunningListener<BoundAddress>> {
  const server = createNetServer((socket) => onSocket(ctx, 'tcp', socket));
  const address = await listen(server, host, port);
  server.on('error', (err) => ctx.logger.error({ err }, 'MQTT TCP listener error'));
  ctx.logger.info({ ...address }, 'MQTT over TCP listening');
  return { address, close: () => closeServer(server) };
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  caFile: string;
}

async function readPem(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new GatewayError('GW_ERR_BAD_CONFIG', `mqtt.tls.${key}: cannot read ${path}: ${(err as Error).message}`);
  }
}

export async function listenTls(ctx: ListenerContext, host: string, port: number, files: TlsFiles): Promise<RunningListener<BoundAddress>> {
  const cert = await readPem(files.certFile, 'certFile');
  const key = await readPem(files.keyFile, 'keyFile');
  const ca = files.caFile ? await readPem(files.caFile, 'caFile') : undefined;
  const server = createTlsServer(
    {
      cert,
      key,
      ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
      // A socket that never finishes the handshake is held no longer than one that never sends CONNECT.
      ...(ctx.connectTimeoutMs > 0 ? { handshakeTimeout: ctx.connectTimeoutMs } : {}),
    },
    (socket) => onSocket(ctx, 'tls', socket),
  );
  const address = await listen(server, host, port);
  server.on('error', (err) => ctx.logger.error({ err }, 'MQTT TLS listener error'));
  server.on('tlsClientError', (err, socket) => ctx.logger.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'));
  ctx.logger.info({ ...address, mutual: Boolean(ca) }, 'MQTT over TLS listening');
  return { address, close: () => closeServer(server) };
}

/**
 * MQTT over WebSocket on an existing HTTP server (the Fastify one), for the given path only.
 * Other upgrade paths are left to other listeners; when there are none, they get a 404.
 */
export function attachWebSocket(ctx: ListenerContext, server: HttpServer, path: string): RunningListener<{ path: string }> {
  // ws buffers a whole message before handing it on: cap it like an MQTT packet.
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.maxPacketBytes });
  wss.on('error', (err) => ctx.logger.error({ err }, 'MQTT WebSocket server error'));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== path) {
      if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const raw = req.socket;
    raw.setNoDelay(true);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      ctx.accept(guard(ctx, stream, `ws ${raw.remoteAddress}:${raw.remotePort}`), req);
    });
  };
  server.on('upgrade', onUpgrade);
  ctx.logger.info({ path }, 'MQTT over WebSocket attached to the HTTP server');
  return {
    address: { path },
    close: () =>
      new Promise((resolve) => {
        server.off('upgrade', onUpgrade);
        wss.close(() => resolve());
      }),
  };
}
