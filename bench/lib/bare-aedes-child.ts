/**
 * The bare aedes target: aedes with its defaults (in-memory persistence and emitter, no
 * authentication, no hooks) on a plain TCP server, in a process of its own: the floor of what
 * any aedes-based broker can relay at QoS 1 on this machine.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { announce, serveCommands } from './child-io.js';
import type { BrokerCommand, BrokerReply } from './protocol.js';

const aedes = await Aedes.createBroker();
const server = createServer((conn) => aedes.handle(conn));
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const addr = server.address();

const close = async (): Promise<void> => {
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

serveCommands<BrokerCommand, BrokerReply>(async () => {
  await close();
  return { type: 'closed' };
}, close);
announce<BrokerReply>({ type: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0 });
