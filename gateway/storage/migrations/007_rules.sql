-- Rule versions (docs/rules.md "Versions"): every create or update of a rule is a new,
-- immutable version with who, why and the change against the previous version.
CREATE TABLE IF NOT EXISTS rule_versions (
  rule_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  body jsonb NOT NULL,
  hash text NOT NULL,
  author text NOT NULL,
  reason text NOT NULL,
  created_at_ms bigint NOT NULL,
  -- [{ path, before, after }] against version - 1 (empty for version 1).
  diff jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (rule_id, version)
);

-- The running set: at most one active version per rule. No row: the rule is not running.
CREATE TABLE IF NOT EXISTS rule_active (
  rule_id text PRIMARY KEY,
  version integer NOT NULL,
  activated_at_ms bigint NOT NULL,
  activated_by text NOT NULL,
  FOREIGN KEY (rule_id, version) REFERENCES rule_versions (rule_id, version)
);

-- Every activation, rollback and deactivation, oldest first; rollback reads it to find the
-- version that ran before. version NULL: deactivated.
CREATE TABLE IF NOT EXISTS rule_activations (
  id bigserial PRIMARY KEY,
  rule_id text NOT NULL,
  version integer,
  action text NOT NULL CHECK (action IN ('activate', 'rollback', 'deactivate')),
  at_ms bigint NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS rule_activations_rule ON rule_activations (rule_id, id);

-- Live engine state per (rule, subject), written in the same transaction as the warnings the
-- state produced, so a restart resumes mid-`for` / mid-`clearFor` where it stopped.
-- rule_hash: the rule content the state was built for (a changed rule starts fresh).
-- partition: the subject's block code, for a later split of subjects across processes.
CREATE TABLE IF NOT EXISTS rule_states (
  rule_id text NOT NULL,
  subject_key text NOT NULL,
  partition text NOT NULL,
  rule_hash text NOT NULL,
  state jsonb NOT NULL,
  updated_at_ms bigint NOT NULL,
  PRIMARY KEY (rule_id, subject_key)
);
