import type { Channel } from '../types.js';

/** How the channel reaches the broker: the service passes `broker.publishPlatform`. */
export type Publish = (topic: string, payload: Buffer, opts: { qos: 0 | 1; retain: boolean }) => Promise<void>;

export interface MqttChannelOptions {
  /** Default `mqtt` (the built-in channel). */
  name?: string;
  /** Used when the payload names no `topic`; `{grade}` is replaced by the payload's grade. Default `cityops/v1/notifications/{grade}`. */
  topic?: string;
  publish: Publish;
  /** Per-attempt timeout; default 5 s. */
  timeoutMs?: number;
}

export const defaultNotificationTopic = 'cityops/v1/notifications/{grade}';

/** Publishes the payload as JSON (QoS 1, not retained) to `payload.topic` or the configured topic. */
export function mqttChannel(opts: MqttChannelOptions): Channel {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    name: opts.name ?? 'mqtt',
    type: 'mqtt',
    async deliver(msg, signal) {
      const topic = notificationTopic(msg.payload, opts.topic !== undefined && opts.topic !== '' ? opts.topic : defaultNotificationTopic);
      if (!isPublishTopic(topic)) return { ok: false, retryable: false, error: `not a topic one can publish to: ${JSON.stringify(topic)}` };
      const limit = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      try {
        await abortable(opts.publish(topic, Buffer.from(JSON.stringify(msg.payload)), { qos: 1, retain: false }), limit);
        return { ok: true, receipt: { topic } };
      } catch (e) {
        const timedOut = e instanceof Error && e.name === 'TimeoutError';
        return { ok: false, retryable: true, error: timedOut ? `publish not completed within ${timeoutMs} ms` : e instanceof Error ? e.message : String(e) };
      }
    },
  };
}

export function notificationTopic(payload: Record<string, unknown>, template: string): string {
  const own = payload['topic'];
  if (typeof own === 'string' && own !== '') return own;
  const grade = typeof payload['grade'] === 'string' && /^[a-z]+$/.test(payload['grade']) ? payload['grade'] : 'none';
  return template.replaceAll('{grade}', grade);
}

// [MQTT-3.3.2-2] no wildcards in a PUBLISH topic; `$` topics belong to the broker.
function isPublishTopic(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000') && !topic.startsWith('$');
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
