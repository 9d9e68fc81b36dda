import type { Queryable } from '../storage/db.js';
import type { WarningView } from './schema.js';
import type { NewEvent, PlatformEvent } from '../events/types.js';
import type { EngineNotice, Transition, VersionedRule } from '../../rules/engine/types.js';

export type Emit = (e: NewEvent) => Promise<PlatformEvent>;

/**
 * Where engine transitions become warnings: one row per fingerprint, graded in place, with a
 * timeline entry per transition. Inside the caller's transaction (with the rule states that
 * produced them), so a restart never sees one without the other.
 */
export interface WarningService {
  /**
   * Upserts warnings, records the timeline, emits warning.* events, queues notifications on the
   * outbox (unless silenced), starts / cancels 叫应 callouts, applies storm control, and marks
   * grades whose actions open a case or ask for a picture (once per warning: idempotent).
   */
  apply(tx: Queryable, emit: Emit, transitions: readonly Transition[], rules: (ruleId: string) => VersionedRule | undefined, nowMs: number): Promise<void>;
  /** A rule disabled at run time (and similar) becomes a system warning ops see; late readings are logged on the warning log. */
  notice(tx: Queryable, emit: Emit, notice: EngineNotice, nowMs: number): Promise<void>;
}

/**
 * Opens the case a warning asks for (gateway/cases implements it), inside the warning's
 * transaction so a warning that asked for a case always has one. Idempotent per warning.
 */
export interface CaseOpener {
  openForWarning(tx: Queryable, emit: Emit, warning: WarningView, nowMs: number): Promise<void>;
}
