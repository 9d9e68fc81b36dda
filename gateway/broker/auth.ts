import type { AedesOptions, AuthenticateError, AuthErrorCode, Client, ConnectPacket } from 'aedes';
import type { Logger } from '../core/log.js';
import { authorizeWill } from './acl.js';
import type { BrokerPolicy, Principal } from './types.js';

type AuthenticateHandler = NonNullable<AedesOptions['authenticate']>;
type PreConnectHandler = NonNullable<AedesOptions['preConnect']>;

interface ConnectInfo {
  rawClientId: string;
  clean: boolean;
  willTopic: string | undefined;
}

export interface AuthenticatorOptions {
  policy: BrokerPolicy;
  logger: Logger;
  subscriberUsername: string;
  /** A CONNECT is being refused with this return code (counted before the CONNACK goes out). */
  onRefused(returnCode: number): void;
  /** Credentials accepted; `previous` is the connection this one takes over, if any. */
  onAuthenticated(client: Client, principal: Principal, previous: Client | undefined): void;
}

// CONNACK return codes, MQTT 3.1.1 §3.2.2.3.
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: returnCode as AuthErrorCode });
}

function samePrincipal(a: Principal | undefined, b: Principal): boolean {
  return a !== undefined && a.kind === b.kind && a.id === b.id;
}

/**
 * Decides who a connection is. Every client must log in: a device with its own credentials, a
 * subscriber with username `subscriberUsername` and an API key as password.
 */
export class Authenticator {
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly connects = new WeakMap<Client, ConnectInfo>();
  /** Authenticated connections by client id, to decide who may take an id over. */
  private readonly byClientId = new Map<string, Client>();

  constructor(private readonly opts: AuthenticatorOptions) {}

  principalOf(client: Client): Principal | undefined {
    return this.principals.get(client);
  }

  /** The connection's stream closed. */
  forget(client: Client): void {
    if (this.byClientId.get(client.id) === client) this.byClientId.delete(client.id);
  }

  // aedes replaces an empty client id before `authenticate` runs: keep what was on the wire.
  readonly preConnect: PreConnectHandler = (client, packet: ConnectPacket, callback) => {
    this.connects.set(client, { rawClientId: packet.clientId, clean: packet.clean !== false, willTopic: packet.will?.topic });
    callback(null, true);
  };

  readonly authenticate: AuthenticateHandler = (client, username, password, done) => {
    const log = this.opts.logger;
    const info = this.connects.get(client);
    const refuse = (code: number, reason: string, extra: Record<string, unknown> = {}): void => {
      log.info({ clientId: client.id, username, returnCode: code, reason, ...extra }, 'MQTT connection refused');
      this.opts.onRefused(code);
      done(authError(code, reason), false);
    };
    // [MQTT-3.1.3-8]: a zero-length client id with CleanSession=0 gets 0x02 and the connection closes.
    if (info && info.rawClientId === '' && !info.clean) return refuse(IDENTIFIER_REJECTED, 'empty client id needs clean session');
    if (!username || !password || password.length === 0) return refuse(BAD_USERNAME_OR_PASSWORD, 'username and password are required');

    this.resolve(username, password).then(
      (principal) => {
        if (client.closed) return done(null, false); // gone while we checked; aedes ignores it
        if (!principal) return refuse(NOT_AUTHORIZED, 'unknown username or wrong password');
        if (info?.willTopic !== undefined) {
          // A will the principal could never publish is refused now, not silently dropped later.
          const will = authorizeWill(principal, info.willTopic);
          if (!will.ok) return refuse(NOT_AUTHORIZED, `will topic refused: ${will.reason}`, { willTopic: info.willTopic });
        }
        const previous = this.byClientId.get(client.id);
        // Taking over a client id [MQTT-3.1.4-2] is allowed to the same principal only: a device
        // must not be able to kick another off by borrowing its client id.
        if (previous && previous !== client && !samePrincipal(this.principals.get(previous), principal)) {
          return refuse(IDENTIFIER_REJECTED, 'client id is in use by another principal');
        }
        this.principals.set(client, principal);
        this.byClientId.set(client.id, client);
        this.opts.onAuthenticated(client, principal, previous === client ? undefined : previous);
        done(null, true);
      },
      (err: unknown) => {
        log.error({ err, clientId: client.id, username }, 'authentication failed with an error');
        refuse(SERVER_UNAVAILABLE, 'authentication is unavailable');
      },
    ).catch((err: unknown) => log.error({ err, clientId: client.id }, 'error while completing MQTT authentication'));
  };

  private async resolve(username: string, password: Buffer): Promise<Principal | null> {
    const { policy, subscriberUsername } = this.opts;
    if (username === subscriberUsername) {
      if (!policy.authenticateSubscriber) return null;
      const sub = await policy.authenticateSubscriber(username, password);
      return sub ? { kind: 'subscriber', id: sub.id, readTopics: sub.readTopics } : null;
    }
    const dev = await policy.authenticateDevice(username, password);
    return dev ? { kind: 'device', id: dev.deviceId } : null;
  }
}
