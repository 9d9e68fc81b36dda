import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hash32, mulberry32 } from '../sensors/prng.js';
import type { EndpointName, SimMode } from './types.js';

export interface Reply {
  status: number;
  body: unknown;
}

export interface IncomingRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/** What one link does with a request once its mode lets it through. */
export interface RequestHandler {
  /** The largest body accepted on this path, in bytes. */
  limit(path: string): number;
  /** A POST was read (counted whatever happens next). */
  received(): void;
  /** A request failed because of the mode (status, flaky, refuse). */
  failedByMode(): void;
  /** A body over the limit. */
  tooLarge(): void;
  handle(req: IncomingRequest, endpoint: EndpointName): Reply;
}

export interface EndpointOptions {
  name: EndpointName;
  host: string;
  port: number;
  seed: number;
  handler: RequestHandler;
}

function send(res: ServerResponse, reply: Reply, close = false): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/**
 * One link to the district platform (primary or backup): an HTTP listener whose behaviour the
 * mode sets. `down` really closes the listening socket and every open connection, so a client
 * gets ECONNREFUSED (or a reset mid-request); leaving it listens again on the same port.
 */
export class Endpoint {
  readonly name: EndpointName;
  private readonly server: Server;
  private current: SimMode = { type: 'up' };
  private listening = false;
  private port: number;
  private random: () => number;
  private readonly slow = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: EndpointOptions) {
    this.name = opts.name;
    this.port = opts.port;
    this.random = this.newRandom();
    this.server = createServer((req, res) => this.onRequest(req, res));
    // Clients (undici) pool connections; keep them longer than their idle timeout.
    this.server.keepAliveTimeout = 30_000;
  }

  get url(): string {
    return `http://${this.opts.host}:${this.port}`;
  }

  get mode(): SimMode {
    return this.current;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.port, this.opts.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  async setMode(mode: SimMode): Promise<void> {
    if (mode.type === 'down' && this.listening) await this.stop();
    if (mode.type !== 'down' && !this.listening) await this.listen();
    // A flaky run replays the same choices from the moment it is set.
    if (mode.type === 'flaky') this.random = this.newRandom();
    this.current = mode;
  }

  async stop(): Promise<void> {
    for (const timer of this.slow) clearTimeout(timer);
    this.slow.clear();
    if (!this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private newRandom(): () => number {
    return mulberry32(hash32(this.name, this.opts.seed));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const h = this.opts.handler;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const limit = h.limit(path);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const method = req.method ?? 'GET';
      if (method === 'POST') h.received();
      if (over) {
        h.tooLarge();
        send(res, { status: 413, body: { ok: false, code: 'too_large', error: `body over ${limit} bytes` } }, true);
        return;
      }
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      this.answer({ method, path, headers: req.headers, raw }, res);
    });
  }

  private answer(req: IncomingRequest, res: ServerResponse): void {
    const h = this.opts.handler;
    const mode = this.current;
    switch (mode.type) {
      case 'status':
        h.failedByMode();
        send(res, { status: mode.status, body: { ok: false, code: 'simulated_status', error: `simulated HTTP ${mode.status}` } });
        return;
      case 'refuse':
        h.failedByMode();
        send(res, { status: 200, body: { ok: false, code: 'simulated_refusal', error: 'the district platform refuses deliveries (simulated)' } });
        return;
      case 'flaky':
        if (this.random() * 100 < mode.percent) {
          h.failedByMode();
          if (this.random() < 0.5) send(res, { status: 500, body: { ok: false, code: 'simulated_fault', error: 'simulated HTTP 500 (flaky)' } });
          else res.socket?.destroy();
          return;
        }
        break;
      case 'slow': {
        const timer = setTimeout(() => {
          this.slow.delete(timer);
          // The client gave up (or the link went down) meanwhile: the district never saw it.
          if (!res.socket || res.socket.destroyed) return;
          send(res, h.handle(req, this.name));
        }, mode.delayMs);
        this.slow.add(timer);
        return;
      }
      case 'up':
      case 'down':
        break;
    }
    send(res, h.handle(req, this.name));
  }
}
