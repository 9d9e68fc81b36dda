import { parseDeviceTopic, type DeviceTopic } from './topics.js';
import type { Principal } from './types.js';

/**
 * Topic rules, pure so they can be tested without a broker (DESIGN.md "Device-facing MQTT").
 *
 * Devices publish only under `cityops/v1/devices/{own id}/`: `up` and `event`, each with optional
 * literal subtopics (`up/raw`, vendors like them), and the plain `status`. They never write `down`
 * (the gateway does), another device's topics, or platform topics (`warnings/…`, `cases/…`).
 * Devices subscribe only to their own `down` (or literal subtopics of it), never with wildcards.
 * Subscribers (district role) only read, within the filters their API key allows.
 * Refusing is the server's right: [MQTT-3.3.5-2] for PUBLISH, return code 0x80 in SUBACK [MQTT-3.9.3].
 */
export type AclDecision = { ok: true } | { ok: false; reason: string };

export type PublishDecision =
  | { ok: true; topic: DeviceTopic & { suffix: 'up' | 'event' | 'status' }; retainAllowed: boolean }
  | { ok: false; reason: string };

export function authorizePublish(principal: Principal, topic: string): PublishDecision {
  if (principal.kind !== 'device') return { ok: false, reason: 'subscribers are read-only' };
  const parsed = parseDeviceTopic(topic);
  if (!parsed) return { ok: false, reason: 'outside cityops/v1/devices/{id}/{up|event|status}' };
  if (parsed.deviceId !== principal.id) return { ok: false, reason: "another device's topic" };
  const { suffix } = parsed;
  if (suffix === 'down') return { ok: false, reason: 'down is written by the gateway only' };
  if (suffix === 'status' && parsed.rest.length > 0) return { ok: false, reason: 'status has no subtopics' };
  // Retained messages live in broker memory: only `status` (one per device) may keep one, so a
  // device cannot grow the retained store with `up/...` subtopics.
  return { ok: true, topic: { ...parsed, suffix }, retainAllowed: suffix === 'status' };
}

/** A device's Last Will may only speak for itself, on its own status topic. */
export function authorizeWill(principal: Principal, topic: string): AclDecision {
  const decision = authorizePublish(principal, topic);
  if (!decision.ok) return decision;
  if (decision.topic.suffix !== 'status') return { ok: false, reason: 'a will may only go to the own status topic' };
  return { ok: true };
}

export function authorizeSubscribe(principal: Principal, filter: string): AclDecision {
  // `$SYS/...` and other `$` topics are the server's [MQTT-4.7.2-1]; nobody outside reads them.
  if (filter.startsWith('$')) return { ok: false, reason: '$ topics are reserved' };
  if (principal.kind === 'device') {
    const parsed = parseDeviceTopic(filter); // null for any wildcard
    if (!parsed || parsed.suffix !== 'down') return { ok: false, reason: 'a device subscribes only to its own down topic, without wildcards' };
    if (parsed.deviceId !== principal.id) return { ok: false, reason: "another device's down topic" };
    return { ok: true };
  }
  if (principal.readTopics.some((allowed) => filterCovers(allowed, filter))) return { ok: true };
  return { ok: false, reason: 'outside the filters this API key may read' };
}

/**
 * True when every topic `requested` can match is also matched by `allowed` (MQTT 3.1.1 §4.7:
 * `+` one level, `#` this level and everything below [MQTT-4.7.1-2]).
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  // A wildcard in the first level does not match `$` topics [MQTT-4.7.2-1].
  if (r[0]?.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; ; i++) {
    const al = a[i];
    const rl = r[i];
    if (al === '#') return true;
    if (al === undefined || rl === undefined) return al === undefined && rl === undefined;
    if (rl === '#') return false; // only an allowed `#` covers a requested one
    if (al === '+') continue; // covers a literal or a requested `+`
    if (rl === '+' || rl !== al) return false;
  }
}
