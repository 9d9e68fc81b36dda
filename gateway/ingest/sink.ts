import type { Db } from '../storage/db.js';
import { writeReadings } from '../storage/readings-writer.js';
import type { IngestSink } from './drain.js';
import type { DeadLetterRow, ReadingRow } from './record.js';

/**
 * The database end of the drain: readings through the batch writer (one statement), dead
 * letters beside them in the same transaction. Both are idempotent, so a batch replayed after a
 * crash changes nothing.
 */
export function databaseSink(db: Db): IngestSink {
  return {
    async write(rows: ReadingRow[], dead: DeadLetterRow[]) {
      if (dead.length === 0) {
        await writeReadings(db, rows);
        return;
      }
      await db.transaction(async (tx) => {
        if (rows.length > 0) await writeReadings(tx, rows);
        await tx.query(
          `INSERT INTO dead_letters (received_at, received_us, source, device_id, adapter, reason_code, reason, payload)
           SELECT timestamptz 'epoch' + us * interval '1 microsecond', us, src, dev, ad, code, why, decode(body, 'base64')
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS d(us, src, dev, ad, code, why, body)
           ON CONFLICT (source, received_us) WHERE received_us IS NOT NULL DO NOTHING`,
          [
            dead.map((d) => d.atUs),
            dead.map((d) => d.source),
            dead.map((d) => d.deviceId),
            dead.map((d) => d.adapter),
            dead.map((d) => d.reasonCode),
            dead.map((d) => d.reason),
            dead.map((d) => Buffer.from(d.payload).toString('base64')),
          ],
        );
      });
    },
  };
}
