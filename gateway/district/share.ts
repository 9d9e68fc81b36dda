import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { clockTicker } from '../core/ticker.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { Outbox } from '../outbox/types.js';
import { chinaTime } from '../events/store.js';
import { districtKeys, districtMaxAge, orderKeys, sharedDatasets, sharedPayload, type SharedDataOf, type SharedDataset, type SharedMessage } from './messages.js';
import { periodStart, sharedDevices, sharedDuty, sharedWarnings } from './share-data.js';
import { districtChannelName } from './types.js';

/**
 * Data sharing with the district (seed S4): within a minute of the start of every period of
 * district.shareEveryMs (periods aligned to Beijing midnight) three `shared` messages go out:
 * devices, warnings, today's duty roster. The keys name the period, so when several processes
 * (or a restart) share the same period it is queued once.
 */

export interface ShareOptions {
  db: Db;
  outbox: Pick<Outbox, 'enqueue' | 'poke'>;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'district'>;
}

export interface DistrictShare {
  /** Shares the current period (unless already queued) and then each next one as it starts; nothing while no district endpoint is configured. */
  start(): void;
  stop(): Promise<void>;
  /** Queues the datasets of the period holding `nowMs` that are not queued yet; returns those it queued. */
  shareNow(nowMs?: number): Promise<SharedDataset[]>;
  /** Resolves when no share is running (tests). */
  settled(): Promise<void>;
}

const checkEveryMs = 60_000;

async function collect(q: Queryable, dataset: SharedDataset, periodMs: number, everyMs: number, nowMs: number): Promise<SharedDataOf[SharedDataset]> {
  if (dataset === 'devices') return sharedDevices(q);
  if (dataset === 'warnings') return sharedWarnings(q, periodMs - everyMs, periodMs);
  return sharedDuty(q, nowMs);
}

export function createDistrictShare(opts: ShareOptions): DistrictShare {
  const { db, clock } = opts;
  const everyMs = opts.config.district.shareEveryMs;
  const maxAgeMs = districtMaxAge(opts.config.district);
  const log = componentLogger(opts.logger, 'district-share');
  let running: Promise<unknown> = Promise.resolve();

  async function shareNow(nowMs = clock.now()): Promise<SharedDataset[]> {
    if (everyMs <= 0) return [];
    const periodMs = periodStart(nowMs, everyMs);
    const keys = sharedDatasets.map((d) => districtKeys.shared(d, periodMs));
    const queued = new Set((await db.query<{ idem_key: string }>('SELECT idem_key FROM outbox WHERE channel = $1 AND idem_key = ANY($2::text[])', [districtChannelName, keys])).rows.map((r) => r.idem_key));
    const due = sharedDatasets.filter((d) => !queued.has(districtKeys.shared(d, periodMs)));
    if (due.length === 0) return [];
    const added = await db.transaction(async (tx) => {
      const out: SharedDataset[] = [];
      for (const dataset of due) {
        const key = districtKeys.shared(dataset, periodMs);
        const message = { kind: 'shared', key, dataset, at: chinaTime(nowMs), data: await collect(tx, dataset, periodMs, everyMs, nowMs) } as SharedMessage;
        const r = await opts.outbox.enqueue(tx, { channel: districtChannelName, key, payload: sharedPayload(message), orderKey: orderKeys.shared(dataset), maxAgeMs, subject: { type: 'shared', id: dataset } });
        if (!r.duplicate) out.push(dataset);
      }
      return out;
    });
    if (added.length > 0) {
      opts.outbox.poke();
      log.info({ period: chinaTime(periodMs), datasets: added }, 'shared data queued for the district');
    }
    return added;
  }

  const failed = (e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'sharing data with the district failed; trying again at the next check');
  const run = (nowMs: number) => (running = shareNow(nowMs).catch(failed));
  // A check is one indexed lookup of the period's keys: cheap enough to look every minute.
  const ticker = clockTicker(clock, Math.min(checkEveryMs, Math.max(everyMs, 1)), run, failed);

  return {
    start() {
      // Snapshots for a district that is not there would only pile up in the outbox.
      if (everyMs <= 0 || opts.config.district.primaryUrl === '') return;
      void run(clock.now());
      ticker.start();
    },
    async stop() {
      await ticker.stop();
      await running;
    },
    shareNow,
    async settled() {
      await running;
    },
  };
}
