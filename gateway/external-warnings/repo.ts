import type { Queryable } from '../storage/db.js';
import type { Grade } from '../../rules/schema.js';
import type { CapAlert, CapReference, ExternalAction, ExternalWarningQuery, ExternalWarningView } from './schema.js';

/** SQL for `external_warnings` (migration 015). */

export interface ExternalRow {
  id: number;
  sender: string;
  identifier: string;
  sent: string;
  sent_at_ms: number;
  status: CapAlert['status'];
  msg_type: CapAlert['msgType'];
  refs: CapReference[];
  chain_sender: string;
  chain_identifier: string;
  event: string | null;
  headline: string | null;
  severity: CapAlert['info'][number]['severity'] | null;
  grade: Grade | null;
  category: string | null;
  block_code: string;
  expires_at_ms: number | null;
  action: ExternalAction;
  warning_id: number | null;
  digest: string;
  alert: CapAlert;
  raw_xml: string;
  received_at_ms: number;
  received_by: string;
}

export type NewExternalRow = Omit<ExternalRow, 'id'>;

// Everything but the two large columns, for lists.
const listColumns = `id, sender, identifier, sent, sent_at_ms, status, msg_type, refs, chain_sender, chain_identifier, event, headline, severity,
  grade, category, block_code, expires_at_ms, action, warning_id, digest, received_at_ms, received_by`;

export function toView(r: Omit<ExternalRow, 'alert' | 'raw_xml'>): ExternalWarningView {
  return {
    id: String(r.id),
    sender: r.sender,
    identifier: r.identifier,
    sent: r.sent,
    status: r.status,
    msgType: r.msg_type,
    references: r.refs,
    chain: { sender: r.chain_sender, identifier: r.chain_identifier },
    event: r.event,
    headline: r.headline,
    severity: r.severity,
    grade: r.grade,
    category: r.category,
    blockCode: r.block_code,
    expiresAt: r.expires_at_ms === null ? null : new Date(r.expires_at_ms).toISOString(),
    action: r.action,
    warningId: r.warning_id === null ? null : String(r.warning_id),
    receivedAt: new Date(r.received_at_ms).toISOString(),
    receivedBy: r.received_by,
  };
}

/**
 * Serialises work on one key for the rest of the transaction (a message, a chain): two copies of
 * an alert, or two messages of one chain, are handled one after the other.
 */
export async function lockKey(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`external-warnings/${key}`]);
}

export async function findByKey(q: Queryable, sender: string, identifier: string): Promise<ExternalRow | undefined> {
  const r = await q.query<ExternalRow>('SELECT * FROM external_warnings WHERE sender = $1 AND identifier = $2', [sender, identifier]);
  return r.rows[0];
}

export async function getById(q: Queryable, id: string): Promise<ExternalRow | undefined> {
  const r = await q.query<ExternalRow>('SELECT * FROM external_warnings WHERE id = $1', [id]);
  return r.rows[0];
}

/** The chain of the first referenced message we hold, if any. */
export async function chainOfReferences(q: Queryable, refs: readonly CapReference[]): Promise<{ sender: string; identifier: string } | undefined> {
  for (const ref of refs) {
    const r = await q.query<{ chain_sender: string; chain_identifier: string }>(
      'SELECT chain_sender, chain_identifier FROM external_warnings WHERE sender = $1 AND identifier = $2',
      [ref.sender, ref.identifier],
    );
    const row = r.rows[0];
    if (row) return { sender: row.chain_sender, identifier: row.chain_identifier };
  }
  return undefined;
}

const applied: ExternalAction[] = ['raised', 'regraded', 'unchanged', 'cleared'];

/** The newest (by `sent`) message of the chain that acted on its warning. */
export async function latestApplied(q: Queryable, chain: { sender: string; identifier: string }): Promise<ExternalRow | undefined> {
  const r = await q.query<ExternalRow>(
    `SELECT ${listColumns} FROM external_warnings WHERE chain_sender = $1 AND chain_identifier = $2 AND action = ANY($3)
     ORDER BY sent_at_ms DESC, id DESC LIMIT 1`,
    [chain.sender, chain.identifier, applied],
  );
  return r.rows[0];
}

export async function insertExternal(tx: Queryable, row: NewExternalRow): Promise<ExternalRow> {
  const cols = Object.keys(row) as Array<keyof NewExternalRow>;
  const r = await tx.query<ExternalRow>(
    `INSERT INTO external_warnings (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    cols.map((c) => (c === 'refs' || c === 'alert' ? JSON.stringify(row[c]) : row[c])),
  );
  return r.rows[0] as ExternalRow;
}

export async function setOutcome(tx: Queryable, id: number, action: ExternalAction, warningId: number | null): Promise<ExternalRow> {
  const r = await tx.query<ExternalRow>('UPDATE external_warnings SET action = $2, warning_id = $3 WHERE id = $1 RETURNING *', [id, action, warningId]);
  const row = r.rows[0];
  if (!row) throw new Error(`external warning ${id} vanished inside its transaction`);
  return row;
}

export async function listExternal(q: Queryable, f: ExternalWarningQuery): Promise<Array<Omit<ExternalRow, 'alert' | 'raw_xml'>>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.sender !== undefined) add('sender = ?', f.sender);
  if (f.status !== undefined) add('status = ?', f.status);
  if (f.msgType !== undefined) add('msg_type = ?', f.msgType);
  if (f.action !== undefined) add('action = ?', f.action);
  if (f.warning !== undefined) add('warning_id = ?', f.warning);
  if (f.from !== undefined) add('received_at_ms >= ?', Date.parse(f.from));
  if (f.to !== undefined) add('received_at_ms < ?', Date.parse(f.to));
  if (f.cursor !== undefined) add('id < ?', f.cursor);
  params.push(f.limit);
  const r = await q.query<ExternalRow>(
    `SELECT ${listColumns} FROM external_warnings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows;
}

/**
 * Chains whose warning is open and whose newest applied message has expired by `nowMs`. Driven
 * from the open warnings (a handful, on a partial index), not from the history of alerts.
 */
export async function expiredChains(q: Queryable, nowMs: number, limit: number): Promise<Array<Omit<ExternalRow, 'alert' | 'raw_xml'>>> {
  const r = await q.query<ExternalRow>(
    `WITH open_chains AS (
       SELECT DISTINCT e.chain_sender, e.chain_identifier
       FROM warnings w JOIN external_warnings e ON e.warning_id = w.id
       WHERE w.state <> 'cleared' AND w.subject_type = 'external'
     ), newest AS (
       SELECT DISTINCT ON (e.chain_sender, e.chain_identifier) e.*
       FROM external_warnings e JOIN open_chains USING (chain_sender, chain_identifier)
       WHERE e.action = ANY($2)
       ORDER BY e.chain_sender, e.chain_identifier, e.sent_at_ms DESC, e.id DESC
     )
     SELECT ${listColumns} FROM newest WHERE expires_at_ms <= $1 AND action <> 'cleared' ORDER BY id LIMIT $3`,
    [nowMs, applied, limit],
  );
  return r.rows;
}
