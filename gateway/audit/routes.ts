import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Queryable } from '../storage/db.js';
import { roles } from '../auth/roles.js';

const AuditRecord = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ kind: Type.String(), id: Type.String(), name: Type.String(), role: Type.String() }),
  action: Type.String(),
  target: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  before: Type.Unknown({ description: 'The resource before the change (secrets redacted); null on create.' }),
  after: Type.Unknown({ description: 'The resource after the change (secrets redacted); null on delete.' }),
  requestId: Type.Union([Type.String(), Type.Null()]),
  sourceIp: Type.Union([Type.String(), Type.Null()]),
});

const Query = Type.Object(
  {
    target: Type.Optional(Type.String({ minLength: 1, description: '`type` or `type:id`, e.g. `device` or `device:WL-001`.' })),
    actor: Type.Optional(Type.String({ minLength: 1, description: 'Actor id (user id, API key id, `bootstrap`) or name.' })),
    action: Type.Optional(Type.String({ pattern: '^[a-z0-9_.]+\\*?$', description: 'Exact action, or a prefix ending in `*` (`user.*`).' })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Cursor: return records with a larger id (pass the previous `nextCursor`).' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only records at or after this time.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

interface Row {
  id: number;
  at: Date;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  action: string;
  target_type: string;
  target_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  source_ip: string | null;
}

/** `GET /audit`: the audit log, oldest first, filtered and paged by id cursor. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ db: Queryable }> = async (app, opts) => {
  app.get(
    '',
    {
      config: roles('ops'),
      schema: {
        summary: 'Read the audit log',
        tags: ['audit'],
        querystring: Query,
        response: { 200: Type.Object({ records: Type.Array(AuditRecord), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, ...values: unknown[]) => {
        where.push(sql.replace(/\$(\d)/g, (_, n: string) => `$${params.length + Number(n)}`));
        params.push(...values);
      };
      if (q.target !== undefined) {
        const i = q.target.indexOf(':');
        if (i < 0) add('target_type = $1', q.target);
        else add('target_type = $1 AND target_id = $2', q.target.slice(0, i), q.target.slice(i + 1));
      }
      if (q.actor !== undefined) add('(actor_id = $1 OR actor_name = $1)', q.actor);
      if (q.action !== undefined) {
        if (q.action.endsWith('*')) add("action LIKE $1 ESCAPE '\\'", `${q.action.slice(0, -1).replace(/_/g, '\\_')}%`);
        else add('action = $1', q.action);
      }
      if (q.after !== undefined) add('id > $1', q.after);
      if (q.since !== undefined) add('at >= $1', new Date(q.since));
      const limit = q.limit ?? 100;
      params.push(limit + 1);
      const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`;
      const rows = (await opts.db.query<Row>(sql, params)).rows;
      const page = rows.slice(0, limit);
      return {
        records: page.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name, role: r.actor_role },
          action: r.action,
          target: { type: r.target_type, id: r.target_id },
          before: r.before,
          after: r.after,
          requestId: r.request_id,
          sourceIp: r.source_ip,
        })),
        nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    },
  );
};
