import { Type, type TSchema } from 'typebox';
import type { FastifyReply } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { monthPeriod, weekPeriod, yearPeriod, type Period } from './periods.js';
import { linkageReport, periodReport } from './build.js';
import { renderLinkage } from './render-linkage.js';
import { renderPeriod } from './render-period.js';
import { LinkageReport, PeriodReport } from './schema.js';

/**
 * `/api/v1/reports` (docs/reports.md): the monthly linkage assessment per unit (seed 004 附件二)
 * and the weekly, monthly and yearly analysis reports (seed 001, S14), as JSON or, with
 * `?format=html`, a printable page. Periods are Asia/Shanghai; without one, the last complete.
 */
const format = Type.Enum(['json', 'html'], { default: 'json', description: '`html`: a printable page (text/html).' });
const Month = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM, Asia/Shanghai; default: the last complete month.' });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
const asHtml = { description: 'JSON, or with `?format=html` a printable HTML page.' };
const ok = (schema: TSchema) => ({ ...asHtml, content: { 'application/json': { schema }, 'text/html': { schema: Type.String() } } });

function send(reply: FastifyReply, html: boolean, report: unknown, render: () => string): FastifyReply {
  if (!html) return reply.send(report);
  return reply.type('text/html; charset=utf-8').send(render());
}

export function reportRoutes(): AreaPlugin {
  return async (app, { services }) => {
    const { db, clock, config } = services;
    const read = roles('ops', 'viewer', 'district');

    app.get('/linkage', {
      config: read,
      schema: {
        tags: ['reports'], summary: 'Monthly linkage assessment per unit: signed and arrived on time, misses, points (seed 004 附件二)',
        querystring: Type.Object({ month: Type.Optional(Month), format }), response: { 200: ok(LinkageReport), ...errors },
      },
    }, async (req, reply) => {
      const now = clock.now();
      const report = await linkageReport(db, config, monthPeriod(req.query.month, now), now);
      return send(reply, req.query.format === 'html', report, () => renderLinkage(report));
    });

    const periodic = (path: string, summary: string, query: TSchema, period: (q: Record<string, string | undefined>, nowMs: number) => Period) => {
      app.get(path, {
        config: read,
        schema: { tags: ['reports'], summary, querystring: query, response: { 200: ok(PeriodReport), ...errors } },
      }, async (req, reply) => {
        const now = clock.now();
        const q = req.query as Record<string, string | undefined>;
        const report = await periodReport(db, config, period(q, now), now);
        return send(reply, q['format'] === 'html', report, () => renderPeriod(report));
      });
    };
    periodic('/weekly', 'Weekly report: warnings, cases, SLA, linkage, device availability (ISO week, Asia/Shanghai)',
      Type.Object({ week: Type.Optional(Type.String({ pattern: '^[0-9]{4}-W[0-9]{2}$', description: 'ISO week YYYY-Www; default: the last complete week.' })), format }),
      (q, now) => weekPeriod(q['week'], now));
    periodic('/monthly', 'Monthly report: warnings, cases, SLA, linkage, device availability (Asia/Shanghai)',
      Type.Object({ month: Type.Optional(Month), format }),
      (q, now) => monthPeriod(q['month'], now));
    periodic('/yearly', 'Yearly report: warnings, cases, SLA, linkage, device availability (Asia/Shanghai)',
      Type.Object({ year: Type.Optional(Type.String({ pattern: '^[0-9]{4}$', description: 'YYYY; default: the last complete year.' })), format }),
      (q, now) => yearPeriod(q['year'], now));
  };
}
