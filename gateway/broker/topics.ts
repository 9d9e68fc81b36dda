import { Type, type Static } from 'typebox';

/**
 * The MQTT topic contract (DESIGN.md "Device-facing MQTT"): one place that knows how topics are
 * spelled, with the payload each pattern carries. Everything else parses and formats through here.
 */
export const TOPIC_ROOT = 'cityops/v1';
export const DEVICE_PREFIX = `${TOPIC_ROOT}/devices/`;
export const WARNING_PREFIX = `${TOPIC_ROOT}/warnings/`;
export const CASE_PREFIX = `${TOPIC_ROOT}/cases/`;
/** Notifier `mqtt` channels publish here by default (gateway/outbox/channels/mqtt.ts). */
export const NOTIFICATION_PREFIX = `${TOPIC_ROOT}/notifications/`;

/** What a device may publish (`up`, `event`, `status`) and what it receives (`down`). */
export const deviceSuffixes = ['up', 'event', 'status', 'down'] as const;
export type DeviceSuffix = (typeof deviceSuffixes)[number];

export const warningGrades = ['blue', 'yellow', 'orange', 'red'] as const;
export type WarningGrade = (typeof warningGrades)[number];

/** Retained on `cityops/v1/devices/{id}/status`, published by the broker itself. */
export const DeviceStatusPayloadSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    at: Type.String({ description: 'ISO 8601 time of the change.' }),
    reason: Type.Optional(Type.String({ description: 'Why the device went offline: disconnect, keepalive_timeout, connection_lost, ...' })),
  },
  { additionalProperties: false },
);
export type DeviceStatusPayload = Static<typeof DeviceStatusPayloadSchema>;

/**
 * Topic pattern → payload type. Device payloads are vendor bytes (the adapter decodes them); the
 * warning payload is defined by the warnings module, so it stays `unknown` here until its schema
 * narrows it.
 */
export interface TopicPayloads {
  'cityops/v1/devices/{deviceId}/up': Buffer;
  'cityops/v1/devices/{deviceId}/event': Buffer;
  'cityops/v1/devices/{deviceId}/status': DeviceStatusPayload | Buffer;
  'cityops/v1/devices/{deviceId}/down': Buffer;
  'cityops/v1/warnings/{grade}/{kind}': unknown;
}
export type TopicPattern = keyof TopicPayloads;

export interface DeviceTopic {
  deviceId: string;
  suffix: DeviceSuffix;
  /** Levels below the suffix (`up/raw` → `['raw']`); empty for the plain topic. */
  rest: string[];
}

/**
 * A single topic level usable as an id: non-empty, no separator, no wildcard, no NUL
 * [MQTT-4.7.3-2], and not starting with `$` (reserved for the server, [MQTT-4.7.2-1]).
 */
export function isTopicLevel(s: string): boolean {
  return isPublishTopic(s) && !s.includes('/');
}

/** A topic the gateway may publish to: no wildcards [MQTT-3.3.2-2], no NUL, no `$` prefix. */
export function isPublishTopic(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000') && !topic.startsWith('$');
}

/** Parses `cityops/v1/devices/{id}/{suffix}[/...]`; null for anything else (wildcards included). */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (!topic.startsWith(DEVICE_PREFIX)) return null;
  const [deviceId, suffix, ...rest] = topic.slice(DEVICE_PREFIX.length).split('/');
  if (deviceId === undefined || suffix === undefined || !isTopicLevel(deviceId)) return null;
  if (!(deviceSuffixes as readonly string[]).includes(suffix)) return null;
  if (!rest.every(isTopicLevel)) return null;
  return { deviceId, suffix: suffix as DeviceSuffix, rest };
}

export function deviceTopic(deviceId: string, suffix: DeviceSuffix, ...rest: string[]): string {
  for (const level of [deviceId, ...rest]) {
    if (!isTopicLevel(level)) throw new TypeError(`not a valid topic level: ${JSON.stringify(level)}`);
  }
  return [`${DEVICE_PREFIX}${deviceId}`, suffix, ...rest].join('/');
}

export function warningTopic(grade: WarningGrade, kind: string): string {
  if (!isTopicLevel(kind)) throw new TypeError(`not a valid topic level: ${JSON.stringify(kind)}`);
  return `${WARNING_PREFIX}${grade}/${kind}`;
}

export function parseWarningTopic(topic: string): { grade: WarningGrade; kind: string } | null {
  if (!topic.startsWith(WARNING_PREFIX)) return null;
  const levels = topic.slice(WARNING_PREFIX.length).split('/');
  const [grade, kind] = levels;
  if (levels.length !== 2 || grade === undefined || kind === undefined) return null;
  if (!(warningGrades as readonly string[]).includes(grade) || !isTopicLevel(kind)) return null;
  return { grade: grade as WarningGrade, kind };
}

/** Topics only the gateway writes: never writable by a device or a subscriber. */
export function isPlatformTopic(topic: string): boolean {
  return topic.startsWith(WARNING_PREFIX) || topic.startsWith(CASE_PREFIX) || topic.startsWith(NOTIFICATION_PREFIX);
}

export function statusPayload(status: 'online' | 'offline', atMs: number, reason?: string): Buffer {
  const body: DeviceStatusPayload = reason === undefined ? { status, at: new Date(atMs).toISOString() } : { status, at: new Date(atMs).toISOString(), reason };
  return Buffer.from(JSON.stringify(body));
}
