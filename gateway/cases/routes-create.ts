import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { publicRoute, roleAllowed, type Principal } from '../auth/roles.js';
import type { Authenticator } from '../auth/authenticate.js';
import { GatewayError } from '../core/errors.js';
import type { CaseActor, NewCaseInput } from './types.js';
import type { Cases } from './service.js';
import { CaseInputBody, CreatedCase } from './schema.js';
import { sourceHeader, verifySource, type CaseSourceConfig } from './signed-source.js';

/**
 * `POST /cases`, one route for two callers. An external source signs the request with its key
 * (X-CityOps-Source); without that header the caller must authenticate as ops like any other
 * write. The route is public to the auth guard (a source has no credentials), so this plugin
 * establishes the caller itself before the body is validated: a bad signature is a 401 whatever
 * the body says. It keeps the raw body, which the signature covers.
 */
export interface CreateRouteOptions {
  cases: Cases;
  /** The app's authenticator (gateway/auth/authenticate.ts), for callers without X-CityOps-Source. */
  authenticate: Authenticator;
  toleranceMs?: number | undefined;
}

type Caller = { kind: 'source'; source: CaseSourceConfig } | { kind: 'user'; principal: Principal };

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody };
const creators = ['ops'] as const;

export function createCaseRoute(opts: CreateRouteOptions): AreaPlugin {
  return async (app, { services }) => {
    const { config, clock, audit } = services;
    const rawBodies = new WeakMap<FastifyRequest, string>();
    const callers = new WeakMap<FastifyRequest, Caller>();

    // Encapsulated: only this plugin's route parses JSON this way.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      rawBodies.set(req, text);
      if (text.trim() === '') return done(new GatewayError('GW_ERR_VALIDATION', 'the request body is empty but Content-Type says application/json', [{ field: '/', message: 'is empty' }]), undefined);
      try {
        done(null, JSON.parse(text) as unknown);
      } catch {
        done(new GatewayError('GW_ERR_VALIDATION', 'the request body is not valid JSON (Content-Type says application/json)', [{ field: '/', message: 'is not valid JSON' }]), undefined);
      }
    });

    const callerOf = async (req: FastifyRequest): Promise<Caller> => {
      if (req.headers[sourceHeader] !== undefined) {
        return { kind: 'source', source: verifySource(config.cases.sources, req.headers, rawBodies.get(req) ?? '', clock.now(), opts.toleranceMs) };
      }
      const principal = await opts.authenticate(req.headers);
      if (!principal) {
        throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'sign the request as an external source (X-CityOps-Source, X-CityOps-Timestamp, X-CityOps-Signature) or authenticate as ops ("Authorization: Bearer ..." or "X-API-Key")');
      }
      if (!roleAllowed(principal, creators)) throw new GatewayError('GW_ERR_FORBIDDEN', `role ${principal.role} may not open cases (allowed: admin, ops, or a signed external source)`);
      return { kind: 'user', principal };
    };

    app.post('', {
      config: publicRoute,
      preValidation: async (req) => {
        callers.set(req, await callerOf(req));
      },
      schema: {
        tags: ['cases'],
        summary: 'Open a case: a report from an external source (signed), or by hand (ops)',
        description: [
          'External sources (12345, 110, …; `cases.sources`) sign the request: `X-CityOps-Source: {id}`, `X-CityOps-Timestamp: {Unix seconds}`,',
          '`X-CityOps-Signature: sha256=<hex HMAC-SHA256(key, "{timestamp}.{raw body}")>`; `externalId` and `incidentAt` are required, and a repeated',
          '`externalId` answers 200 with the first case and `duplicate: true`. Without X-CityOps-Source the caller authenticates as ops or admin',
          '(`category` required). Roles: admin, ops, or a signed source.',
        ].join(' '),
        headers: Type.Object({
          'x-cityops-source': Type.Optional(Type.String({ description: 'External source id (cases.sources).' })),
          'x-cityops-timestamp': Type.Optional(Type.String({ description: 'Unix seconds, within 5 minutes of our clock.' })),
          'x-cityops-signature': Type.Optional(Type.String({ description: '`sha256=` HMAC-SHA256 hex over "{timestamp}.{body}".' })),
        }),
        body: CaseInputBody,
        response: { 200: CreatedCase, 201: CreatedCase, ...errors },
      },
    }, async (req, reply) => {
      const caller = callers.get(req);
      if (!caller) throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'the caller of this request was not established');
      const b = req.body;
      const common = {
        ...(b.kind !== undefined ? { kind: b.kind } : {}),
        ...(b.grade !== undefined ? { grade: b.grade } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.block !== undefined ? { blockCode: b.block } : {}),
        ...(b.location !== undefined ? { location: b.location } : {}),
        ...(b.incidentAt !== undefined ? { incidentAtMs: Date.parse(b.incidentAt) } : {}),
        ...(b.exercise !== undefined ? { exercise: b.exercise } : {}),
        ...(b.externalId !== undefined ? { externalId: b.externalId } : {}),
        title: b.title,
      };
      if (caller.kind === 'source') {
        const { source } = caller;
        if (b.externalId === undefined) throw new GatewayError('GW_ERR_VALIDATION', `source ${source.id}: externalId (your own report id) is required`, [{ field: '/externalId', message: 'is required' }]);
        if (b.incidentAt === undefined) throw new GatewayError('GW_ERR_VALIDATION', `source ${source.id}: incidentAt (when it happened) is required`, [{ field: '/incidentAt', message: 'is required' }]);
        const input: NewCaseInput = { ...common, source: 'external', sourceName: source.id, category: b.category ?? source.category };
        const out = await opts.cases.create(input, { type: 'source', id: `source:${source.id}` });
        return reply.code(out.duplicate ? 200 : 201).send(out);
      }
      if (b.category === undefined) throw new GatewayError('GW_ERR_VALIDATION', 'category is required for a case opened by hand', [{ field: '/category', message: 'is required' }]);
      const { principal } = caller;
      const actor: CaseActor = { type: 'user', id: principal.id };
      const origin = { principal, requestId: req.id, sourceIp: req.ip };
      const out = await opts.cases.create({ ...common, source: 'manual', category: b.category }, actor, {
        onWrite: (tx, w) => audit.record(tx, origin, { action: 'case.create', target: { type: 'case', id: w.after.id }, after: w.after }),
      });
      return reply.code(out.duplicate ? 200 : 201).send(out);
    });
  };
}
