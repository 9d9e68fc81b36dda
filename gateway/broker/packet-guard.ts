import { Duplex } from 'node:stream';
import { GatewayError } from '../core/errors.js';

/**
 * Maximum packet size, enforced before anything is buffered.
 *
 * mqtt-packet's parser keeps bytes until a whole packet has arrived, so a client announcing a
 * 200 MB CONNECT (or PUBLISH) would make the broker hold 200 MB for it. The guard sits between
 * the socket and aedes, reads only the fixed headers (type byte + remaining length, a varint of
 * at most 4 bytes [MQTT-2.2.3]) as the bytes stream past, and skips bodies by counting: work is
 * O(packets), no body byte is copied, and a header split across chunks is carried in the state.
 */
export type HeaderViolation =
  | { kind: 'oversize'; packetType: number; announcedBytes: number; maxBytes: number }
  | { kind: 'malformed'; packetType: number; reason: string };

const TYPE = 0;
const LENGTH = 1;
const BODY = 2;

export class FixedHeaderScanner {
  private state = TYPE;
  private packetType = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  /** Complete fixed headers seen so far. */
  packets = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Scans the next chunk of the stream; a violation means the connection must be closed. */
  scan(chunk: Uint8Array): HeaderViolation | null {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === BODY) {
        const step = Math.min(this.bodyLeft, n - i);
        i += step;
        this.bodyLeft -= step;
        if (this.bodyLeft === 0) this.state = TYPE;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === TYPE) {
        this.packetType = byte >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        this.state = LENGTH;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { kind: 'malformed', packetType: this.packetType, reason: 'remaining length longer than 4 bytes [MQTT-2.2.3]' };
        continue;
      }
      const total = 1 + this.lengthBytes + this.length;
      if (total > this.maxPacketBytes) return { kind: 'oversize', packetType: this.packetType, announcedBytes: total, maxBytes: this.maxPacketBytes };
      this.packets++;
      this.bodyLeft = this.length;
      this.state = this.length > 0 ? BODY : TYPE;
    }
    return null;
  }
}

export interface GuardOptions {
  maxPacketBytes: number;
  /** Remote address for logs (`tcp 10.0.0.5:50123`). */
  remote: string;
  /** Called once, just before the connection is destroyed. */
  onViolation(v: HeaderViolation, remote: string): void;
}

/**
 * The connection aedes sees: reads pass through the scanner, writes go straight to the inner
 * stream (corked together when mqtt-packet corks). Backpressure is kept: the inner stream is
 * paused while aedes does not read.
 */
export class GuardedStream extends Duplex {
  readonly remote: string;
  private readonly scanner: FixedHeaderScanner;

  constructor(
    private readonly inner: Duplex,
    private readonly opts: GuardOptions,
  ) {
    super({ allowHalfOpen: true });
    this.remote = opts.remote;
    this.scanner = new FixedHeaderScanner(opts.maxPacketBytes);
    inner.on('data', (chunk: Buffer) => this.onData(chunk));
    inner.on('end', () => this.push(null));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.on('close', () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    const violation = this.scanner.scan(chunk);
    if (violation) {
      this.opts.onViolation(violation, this.remote);
      const message = violation.kind === 'oversize'
        ? `MQTT packet of ${violation.announcedBytes} bytes announced, over the ${violation.maxBytes}-byte maximum`
        : `malformed MQTT fixed header: ${violation.reason}`;
      this.destroy(new GatewayError(violation.kind === 'oversize' ? 'GW_ERR_PAYLOAD_TOO_LARGE' : 'GW_ERR_VALIDATION', message));
      return;
    }
    if (!this.push(chunk)) this.inner.pause();
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.inner.write(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.inner.cork();
    const last = chunks.length - 1;
    chunks.forEach(({ chunk }, i) => (i === last ? this.inner.write(chunk, cb) : this.inner.write(chunk)));
    this.inner.uncork();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.inner.destroyed) this.inner.destroy();
    cb(err);
  }
}
