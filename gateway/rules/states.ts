import type { Queryable } from '../storage/db.js';
import type { PersistedState } from '../../rules/engine/types.js';

/** The engine's live states in `rule_states` (one row per rule and subject). */
export async function loadStates(q: Queryable): Promise<PersistedState[]> {
  const r = await q.query<{ rule_id: string; subject_key: string; partition: string; rule_hash: string; state: unknown }>(
    'SELECT rule_id, subject_key, partition, rule_hash, state FROM rule_states ORDER BY rule_id, subject_key',
  );
  return r.rows.map((x) => ({ ruleId: x.rule_id, subjectKey: x.subject_key, partition: x.partition, ruleHash: x.rule_hash, state: x.state }));
}

/** Upserts states in one statement; a state of null (the engine forgot the subject) deletes its row. */
export async function saveStates(q: Queryable, states: readonly PersistedState[], nowMs: number): Promise<void> {
  if (states.length === 0) return;
  const live = states.filter((s) => s.state !== null && s.state !== undefined);
  const gone = states.filter((s) => s.state === null || s.state === undefined);
  if (live.length > 0) {
    await q.query(
      `INSERT INTO rule_states (rule_id, subject_key, partition, rule_hash, state, updated_at_ms)
       SELECT s.rule_id, s.subject_key, s.partition, s.rule_hash, s.state, $2
         FROM jsonb_to_recordset($1::jsonb) AS s(rule_id text, subject_key text, partition text, rule_hash text, state jsonb)
       ON CONFLICT (rule_id, subject_key) DO UPDATE
         SET partition = excluded.partition, rule_hash = excluded.rule_hash, state = excluded.state, updated_at_ms = excluded.updated_at_ms`,
      [JSON.stringify(live.map((s) => ({ rule_id: s.ruleId, subject_key: s.subjectKey, partition: s.partition, rule_hash: s.ruleHash, state: s.state }))), nowMs],
    );
  }
  if (gone.length > 0) {
    await q.query(
      'DELETE FROM rule_states WHERE (rule_id, subject_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [gone.map((s) => s.ruleId), gone.map((s) => s.subjectKey)],
    );
  }
}
