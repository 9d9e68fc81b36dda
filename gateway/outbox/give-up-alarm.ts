import type { DirectWarningInput } from '../warnings/direct.js';
import { districtChannelName } from '../district/types.js';
import type { OutboxMessage } from './types.js';

/**
 * A message given up (older than its maximum age) becomes a warning ops see: orange for the
 * district link (an accepted case or warning did not reach the district: 叫应 by policy), yellow
 * for other channels. The message stays in the outbox, visible and re-sendable.
 */
export function giveUpAlarm(m: OutboxMessage, nowMs: number): DirectWarningInput {
  const district = m.channel === districtChannelName;
  const about = m.subject ? `${m.subject.type} ${m.subject.id}` : `message ${m.id}`;
  return {
    fingerprint: `outbox/given_up/${m.id}`,
    subject: { type: 'delivery', id: m.id },
    grade: district ? 'orange' : 'yellow',
    title: district ? `未能送达区平台：${about}` : `通知未能送达（${m.channel}）：${about}`,
    reason: `delivery ${m.id} on channel "${m.channel}" was given up after ${m.attempts} attempts; re-send it with POST /api/v1/deliveries/${m.id}/retry`,
    category: 'equipment',
    atMs: nowMs,
    data: { messageId: m.id, channel: m.channel, key: m.key, ...(m.subject ? { about: m.subject } : {}) },
  };
}
