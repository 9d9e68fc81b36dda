import type { Channel } from '../types.js';
import { exchange, isRecord, type HttpChannelOptions, type HttpDeliveryResult } from './http-post.js';

export type WebhookOptions = HttpChannelOptions;

/**
 * A JSON POST per message, `{ id, key, channel, createdAt, payload }`: the shape SMS, phone
 * and DingTalk gateways are put behind (docs/notifications.md). A 2xx is a success unless its
 * JSON body says otherwise (`ok: false`, `success: false`, or a non-zero DingTalk-style
 * `errcode`): gateways that answer 200 to everything still get retried.
 */
export function webhookChannel(opts: WebhookOptions): Channel {
  return {
    name: opts.name,
    type: 'webhook',
    async deliver(msg, signal): Promise<HttpDeliveryResult> {
      const body = { id: msg.id, key: msg.key, channel: msg.channel, createdAt: new Date(msg.createdAtMs).toISOString(), payload: msg.payload };
      const sent = await exchange(opts, msg, body, signal);
      if ('failure' in sent) return sent.failure;
      const { answer } = sent;
      const refusal = bodyRefusal(answer.json);
      if (refusal !== null) return { ok: false, retryable: true, error: `HTTP ${answer.status} but the receiver refused: ${refusal}`, status: answer.status };
      const receipt = isRecord(answer.json) && answer.text.length <= 4096 ? answer.json : undefined;
      return { ok: true, status: answer.status, ...(receipt ? { receipt } : {}) };
    },
  };
}

/** Why a 2xx JSON body says the message was not taken, or null when it does not. */
export function bodyRefusal(json: unknown): string | null {
  if (!isRecord(json)) return null;
  const refused = json['ok'] === false || json['success'] === false || (typeof json['errcode'] === 'number' && json['errcode'] !== 0);
  if (!refused) return null;
  for (const k of ['error', 'message', 'msg', 'errmsg']) {
    const v = json[k];
    if (typeof v === 'string' && v !== '') return v.slice(0, 300);
  }
  return JSON.stringify(json).slice(0, 300);
}
