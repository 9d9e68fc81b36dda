import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const docsPrefix = '/docs';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';

/**
 * OpenAPI 3 generated from the route schemas, at `/docs/json` and `/docs/yaml`, with the
 * swagger UI at `/docs`. Registered before any route so it sees them all; the docs routes are
 * public (the auth guard admits `docsPrefix`).
 */
export function registerDocs(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'CityOps Gateway API',
        version,
        description: 'Edge gateway of a town city-operations centre. Errors: `{ error: { code, message, details? } }` with GW_ERR_* codes (docs/errors.md). Roles and credentials: docs/http-api.md.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/v1/auth/login, an API key, or the bootstrap admin token.' },
          apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from POST /api/v1/api-keys.' },
        },
      },
      security: [{ bearerAuth: [] }, { apiKeyAuth: [] }],
    },
  });
  void app.register(swaggerUi, { routePrefix: docsPrefix, staticCSP: true });
}
