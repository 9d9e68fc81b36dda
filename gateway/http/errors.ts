import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { Type } from 'typebox';
import { GatewayError, isGatewayError, type ErrorDetail } from '../core/errors.js';

/**
 * One error format for every route: `{ error: { code, message, details? } }`, with the stable
 * GW_ERR_* codes of gateway/core/errors.ts (docs/errors.md). Anything that is not a
 * GatewayError or a known Fastify client error is a GW_ERR_INTERNAL: logged with its stack,
 * answered with a generic message and the request id.
 */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable GW_ERR_* code; see docs/errors.md.' }),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }))),
  }),
});

export function errorBody(e: GatewayError): { error: { code: string; message: string; details?: ErrorDetail[] } } {
  return { error: { code: e.code, message: e.message, ...(e.details?.length ? { details: e.details } : {}) } };
}

const contextNames: Record<string, string> = { body: 'request body', querystring: 'query string', params: 'path parameter', headers: 'request header' };

/** AJV's error list → `{ field, message }` details naming each field. */
export function validationDetails(context: string | undefined, errors: readonly FastifySchemaValidationError[]): ErrorDetail[] {
  const prefix = !context || context === 'body' ? '' : context;
  const fieldOf = (path: string) => `${prefix}${path}` || '/';
  // A union of literals fails as one `const` error per branch plus an `anyOf`: report "one of".
  const allowed = new Map<string, unknown[]>();
  for (const e of errors) if (e.keyword === 'const') allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), e.params.allowedValue]);
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    let field = fieldOf(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      field = fieldOf(`${e.instancePath}/${e.params.missingProperty}`);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      field = fieldOf(`${e.instancePath}/${e.params.additionalProperty}`);
      message = 'is not a known property';
    } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      message = `must be one of: ${e.params.allowedValues.map(String).join(', ')}`;
    } else if (e.keyword === 'const' && allowed.has(e.instancePath) && errors.some((o) => o.keyword === 'anyOf' && o.instancePath === e.instancePath)) {
      continue;
    } else if (e.keyword === 'anyOf' && allowed.has(e.instancePath)) {
      message = `must be one of: ${(allowed.get(e.instancePath) ?? []).map(String).join(', ')}`;
    }
    if (!out.some((d) => d.field === field && d.message === message)) out.push({ field, message });
  }
  return out;
}

/** A Fastify or GatewayError as a GatewayError, or undefined when it is an internal failure. */
export function toGatewayError(err: unknown, bodyLimit: number): GatewayError | undefined {
  if (isGatewayError(err)) return err;
  const e = err as Partial<FastifyError> & { validation?: FastifySchemaValidationError[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const details = validationDetails(e.validationContext, e.validation);
    const first = details[0];
    const what = contextNames[e.validationContext ?? 'body'] ?? 'request';
    return new GatewayError('GW_ERR_VALIDATION', `${what} is invalid${first?.field ? ` at ${first.field}` : ''}: ${first?.message ?? 'does not match the schema'}`, details);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('GW_ERR_PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${bodyLimit} bytes (http.bodyLimit)`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('GW_ERR_VALIDATION', 'the request body is not valid JSON (Content-Type says application/json)', [{ field: '/', message: 'is not valid JSON' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('GW_ERR_VALIDATION', 'the request body is empty but Content-Type says application/json: send a JSON body or no Content-Type', [{ field: '/', message: 'is empty' }]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'this route does not accept that Content-Type; send application/json');
  }
  // Other client errors Fastify raises itself (bad Content-Length, malformed URL, ...).
  const status = e.statusCode ?? 500;
  if (status === 404) return new GatewayError('GW_ERR_NOT_FOUND', e.message ?? 'not found');
  if (status === 413) return new GatewayError('GW_ERR_PAYLOAD_TOO_LARGE', e.message ?? 'payload too large');
  if (status === 415) return new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported media type');
  if (status >= 400 && status < 500 && typeof e.code === 'string' && e.code.startsWith('FST_')) return new GatewayError('GW_ERR_VALIDATION', e.message ?? 'bad request');
  return undefined;
}

export function installErrorHandling(app: FastifyInstance, opts: { bodyLimit: number }): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const ge = toGatewayError(err, opts.bodyLimit);
    if (!ge) {
      req.log.error({ err }, 'unhandled error');
      const internal = new GatewayError('GW_ERR_INTERNAL', `internal error; the gateway log has the details under request id ${req.id}`);
      return reply.code(internal.status).send(errorBody(internal));
    }
    if (ge.status >= 500) req.log.warn({ code: ge.code, msg: ge.message }, 'request failed');
    else req.log.debug({ code: ge.code }, ge.message);
    // RFC 6750 §3: a 401 names the scheme the client should use.
    if (ge.status === 401) void reply.header('www-authenticate', 'Bearer realm="cityops"');
    return reply.code(ge.status).send(errorBody(ge));
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new GatewayError('GW_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}; see /docs for the API`);
    return reply.code(404).send(errorBody(e));
  });
}

/** Every route with response schemas also documents the error body (OpenAPI `4XX`/`5XX`), and errors are serialized by it. */
export function documentErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (!response || route.schema?.hide) return;
    response['4xx'] ??= ErrorBody;
    response['5xx'] ??= ErrorBody;
  });
}
