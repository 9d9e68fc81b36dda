import type { EventFeed } from '../../events/types.js';
import type { Channel } from '../types.js';

const grades = ['blue', 'yellow', 'orange', 'red'] as const;
type Grade = (typeof grades)[number];

/**
 * Puts the message on the event feed as a `notification` event (dashboards and the district
 * read it through `/api/v1/events/stream`). Its subject is the delivery; the data is
 * `{ key, subject, payload }` with what the message is about, and a client that sees the same
 * key twice (a delivery repeated after a crash) shows it once.
 */
export function sseChannel(opts: { feed: EventFeed; name?: string }): Channel {
  return {
    name: opts.name ?? 'sse',
    type: 'sse',
    async deliver(msg) {
      const p = msg.payload;
      const grade = typeof p['grade'] === 'string' && (grades as readonly string[]).includes(p['grade']) ? (p['grade'] as Grade) : null;
      try {
        const event = await opts.feed.transaction((_tx, emit) =>
          emit({
            type: 'notification',
            subject: { type: 'delivery', id: msg.id },
            blockCode: typeof p['blockCode'] === 'string' ? p['blockCode'] : null,
            grade,
            exercise: p['exercise'] === true,
            data: { key: msg.key, subject: msg.subject, payload: p },
          }),
        );
        return { ok: true, receipt: { eventId: event.id } };
      } catch (e) {
        return { ok: false, retryable: true, error: e instanceof Error ? e.message : String(e) };
      }
    },
  };
}
