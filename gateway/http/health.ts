import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { publicRoute } from '../auth/roles.js';
import { ErrorBody } from './errors.js';

/** A readiness probe: true when that part is ready. A throw or a timeout counts as not ready. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface HealthOptions {
  /** e.g. `{ database: () => db.ping(), broker: () => broker.listening }` */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  clock: Clock;
  checkTimeoutMs?: number;
}

/** `/healthz`: the process is up. `/readyz`: every readiness check passes (200), else 503 naming the parts. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, opts) => {
  const timeoutMs = opts.checkTimeoutMs ?? 2000;

  app.get('/healthz', { config: publicRoute, logLevel: 'warn', schema: { summary: 'Liveness: the process is up', tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      config: publicRoute,
      logLevel: 'warn',
      schema: {
        summary: 'Readiness: the database and the broker are ready',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.Literal('ok')) }), 503: ErrorBody },
      },
    },
    async () => {
      const names = Object.keys(opts.readiness);
      const results = await Promise.all(names.map((name) => runCheck(opts.readiness[name], opts.clock, timeoutMs)));
      const failed = names.flatMap((name, i) => (results[i] === 'ok' ? [] : [{ field: name, message: results[i] ?? 'not ready' }]));
      if (failed.length > 0) throw new GatewayError('GW_ERR_NOT_READY', `not ready: ${failed.map((f) => f.field).join(', ')}`, failed);
      return { status: 'ready' as const, checks: Object.fromEntries(names.map((n) => [n, 'ok' as const])) };
    },
  );
};

async function runCheck(check: ReadinessCheck | undefined, clock: Clock, timeoutMs: number): Promise<string> {
  if (!check) return 'no check';
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = clock.setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const verdict = Promise.resolve()
      .then(check)
      .then((ok) => (ok ? 'ok' : 'not ready'), (e: unknown) => `check failed: ${(e as Error).message}`);
    return await Promise.race([verdict, timeout]);
  } finally {
    if (timer) clock.clearTimeout(timer);
  }
}
