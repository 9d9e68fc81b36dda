import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from './registry.js';

/**
 * `GET /metrics` in the Prometheus text format. A scraper on this host may read it without
 * credentials (no proxy header, loopback socket); from elsewhere it needs an ops or viewer
 * key (Prometheus `authorization: { credentials: ... }`).
 */
export const metricsRoutes: FastifyPluginAsyncTypebox<{ metrics: GatewayMetrics }> = async (app, opts) => {
  const { registry } = opts.metrics;
  app.get(
    '/metrics',
    {
      config: { auth: { roles: ['ops', 'viewer'], anonymousFromLoopback: true } },
      logLevel: 'warn',
      schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'], produces: ['text/plain'] },
    },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};

/** Observes every request's duration by route pattern; unmatched URLs share one label value. */
export function installRequestMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    metrics.httpRequestSeconds.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
