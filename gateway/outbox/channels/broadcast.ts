import type { Channel, OutboxMessage } from '../types.js';
import { exchange, isRecord, type HttpChannelOptions, type HttpDeliveryResult } from './http-post.js';

export interface BroadcastOptions extends HttpChannelOptions {
  /** Grid block prefixes this controller covers; empty: all. */
  blocks: readonly string[];
}

/** What a controller is asked to play or show (docs/notifications.md). */
export interface BroadcastRequest {
  id: string;
  block: string;
  text: string;
  grade: string | null;
  repeat: number;
}

/**
 * A public broadcast controller: community loudspeakers (大喇叭), LED boards (电子屏), the
 * district emergency-broadcast platform (seed 002 社区 6; seed 003 §四 3). The controller must
 * answer with a receipt `{ receiptId, played: true }` or `{ receiptId, displayed: true }`: a
 * 2xx without one is retried, since "accepted" is not "heard". A message for a block the
 * controller does not cover is delivered as skipped, with the reason as its receipt.
 */
export function broadcastChannel(opts: BroadcastOptions): Channel {
  return {
    name: opts.name,
    type: 'broadcast',
    async deliver(msg, signal): Promise<HttpDeliveryResult> {
      const req = broadcastRequest(msg);
      if (typeof req === 'string') return { ok: false, retryable: false, error: req };
      if (!broadcastCovers(opts.blocks, req.block)) return { ok: true, receipt: { skipped: true, reason: `block ${req.block} is not covered by ${opts.name}` } };
      const sent = await exchange(opts, msg, req, signal);
      if ('failure' in sent) return sent.failure;
      const { answer } = sent;
      const receipt = answer.json;
      const valid = isRecord(receipt) && typeof receipt['receiptId'] === 'string' && receipt['receiptId'] !== '' && (receipt['played'] === true || receipt['displayed'] === true);
      if (!valid) return { ok: false, retryable: true, error: `HTTP ${answer.status} without a delivery receipt ({ receiptId, played | displayed: true }): ${answer.text.slice(0, 200)}`, status: answer.status };
      return { ok: true, receipt, status: answer.status };
    },
  };
}

/** Whether a controller covering these block prefixes serves this block (no prefixes: every block). */
export function broadcastCovers(blocks: readonly string[], block: string): boolean {
  return blocks.length === 0 || blocks.some((prefix) => block.startsWith(prefix));
}

/**
 * The request from a notification payload: `blockCode` (or `block`), `text` (or `summary`,
 * `message`), `grade`, `repeat` (1–10, default 1). A string says what is missing.
 */
export function broadcastRequest(msg: OutboxMessage): BroadcastRequest | string {
  const p = msg.payload;
  const block = firstString(p, ['blockCode', 'block']);
  const text = firstString(p, ['text', 'summary', 'message']);
  if (block === undefined) return 'the payload has no blockCode to broadcast in';
  if (text === undefined) return 'the payload has no text (or summary) to broadcast';
  const repeat = typeof p['repeat'] === 'number' && Number.isInteger(p['repeat']) && p['repeat'] >= 1 && p['repeat'] <= 10 ? p['repeat'] : 1;
  return { id: msg.id, block, text, grade: typeof p['grade'] === 'string' ? p['grade'] : null, repeat };
}

function firstString(p: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = p[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}
