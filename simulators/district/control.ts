import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { schemaErrors } from '../../gateway/core/schema.js';
import { SimModeSchema, endpointSelectors, feedbackActions, type DistrictSimulator, type StoredDelivery } from './types.js';

/**
 * The control listener: the same simulator driven over HTTP, for a simulator running as a
 * child process (the benchmark, the town). Local use only: it has no authentication.
 */

const ModeBody = Type.Object({ endpoint: Type.Enum([...endpointSelectors]), mode: SimModeSchema }, { additionalProperties: false });
const FeedbackBody = Type.Object({
  caseId: Type.String({ minLength: 1 }),
  action: Type.Enum([...feedbackActions]),
  note: Type.Optional(Type.String()),
  unit: Type.Optional(Type.Object({ id: Type.String({ minLength: 1 }), tier: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)])), name: Type.Optional(Type.String()) }, { additionalProperties: false })),
}, { additionalProperties: false });
const DeliveryQuery = Type.Object({
  kind: Type.Optional(Type.String()),
  caseId: Type.Optional(Type.String()),
  endpoint: Type.Optional(Type.Enum(['primary', 'backup'])),
}, { additionalProperties: false });

class BadRequest extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function check<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  const first = schemaErrors(schema, value)[0];
  throw new BadRequest(400, `${what} is invalid${first ? ` at ${first.field}: ${first.message}` : ''}`);
}

/** A delivery as JSON: a picture's bytes are left out (its size and SHA-256 are in `picture`). */
function deliveryJson(d: StoredDelivery): StoredDelivery {
  return d.format === 'jpeg' ? { ...d, body: null } : d;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest(400, 'body is not JSON');
  }
}

async function route(sim: DistrictSimulator, req: IncomingMessage): Promise<unknown> {
  const url = new URL(req.url ?? '/', 'http://control');
  const at = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (at) {
    case 'GET /health':
      return { ok: true };
    case 'GET /stats':
      return { stats: sim.stats(), modes: sim.modes(), primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl };
    case 'GET /deliveries':
      return { deliveries: sim.deliveries(check(DeliveryQuery, Object.fromEntries(url.searchParams), 'query')).map(deliveryJson) };
    case 'GET /feedback': {
      const caseId = url.searchParams.get('caseId');
      return { feedback: sim.feedback(caseId === null ? {} : { caseId }) };
    }
    case 'POST /mode': {
      const b = check(ModeBody, await readJson(req), 'mode body');
      await sim.setMode(b.endpoint, b.mode);
      return { ok: true, modes: sim.modes() };
    }
    case 'POST /feedback': {
      const b = check(FeedbackBody, await readJson(req), 'feedback body');
      const record = await sim.sendFeedback(b.caseId, b.action, { ...(b.unit ? { unit: b.unit } : {}), ...(b.note !== undefined ? { note: b.note } : {}) });
      return { ok: record.state === 'ok', feedback: record };
    }
    case 'POST /reset':
      await sim.reset();
      return { ok: true };
    default:
      throw new BadRequest(404, `no such control endpoint: ${at}`);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startControl(sim: DistrictSimulator, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    route(sim, req).then(
      (body) => reply(res, 200, body),
      (e: unknown) => reply(res, e instanceof BadRequest ? e.status : 500, { ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
