/**
 * China Mobile OneNET pushes, `POST /api/v1/ingest/onenet` (docs/adapters.md "OneNET").
 * Accepted bodies:
 *  1. HTTP data push: `{"msg": <message or its JSON text>, "signature", "nonce", "time", "id"}`;
 *  2. a bare OneNET Studio rule-engine message:
 *     `{"productId", "deviceName", "messageType": "notify", "notifyType": "property" | "event",
 *       "data": {"id", "version", "params": {"temp": {"value": 23.6, "time": 1599534283111}}}}`
 *     (`lifeCycle` and other message types are acknowledged with no messages);
 *  3. a relayed OneJSON post: `{"topic": "$sys/{pid}/{device}/thing/property/post",
 *     "payload": {"id", "version", "params": {...}}}` (also `.../thing/event/post`);
 *  4. legacy multi-protocol data points: `"msg": {"type": 1, "dev_id", "ds_id", "at", "value"}`
 *     or an array of them (type 2 online/offline is acknowledged with no messages).
 * Params with different times become one message per time, oldest first.
 */
import type { PlatformAdapter, PlatformDecodeResult, PlatformMessage } from '../types.js';
import { idField, isObject, missing, platformTime, wrongType, type Checked } from '../lib/platform.js';

type Result = Checked<PlatformMessage[]>;
const topicRe = /^\$sys\/([^/]+)\/([^/]+)\/thing\/(property|event)\/post$/;

export const onenet: PlatformAdapter = {
  id: 'onenet',
  name: 'China Mobile OneNET',
  description: 'OneNET HTTP data push and rule-engine messages (OneJSON property / event posts), plus legacy data-point pushes.',
  decode(body): PlatformDecodeResult {
    const res = decodeBody(body);
    return res.ok ? { ok: true, messages: res.value } : res;
  },
};

function decodeBody(body: unknown): Result {
  if (!isObject(body)) return wrongType('/', 'a JSON object (one OneNET push)');
  if (typeof body.topic === 'string') return relayed(body);
  if (body.messageType !== undefined) return studio(body, '');
  if (body.msg === undefined) return missing('/msg', 'a push carries its message in msg');
  let msg: unknown = body.msg;
  if (typeof msg === 'string') {
    try {
      msg = JSON.parse(msg) as unknown;
    } catch {
      return { ok: false, error: { code: 'MALFORMED', message: '/msg is text but not JSON', field: '/msg' } };
    }
  }
  if (Array.isArray(msg)) return legacyList(msg);
  if (!isObject(msg)) return wrongType('/msg', 'an object, an array or JSON text');
  if (msg.messageType !== undefined) return studio(msg, '/msg');
  if (msg.type !== undefined) return legacyList([msg]);
  return missing('/msg/messageType', 'notify, lifeCycle, ... or a legacy type');
}

function studio(m: Record<string, unknown>, path: string): Result {
  if (m.messageType !== 'notify') return { ok: true, value: [] };
  const name = idField(m, 'deviceName', path);
  if (!name.ok) return name;
  const kind = m.notifyType;
  if (kind !== 'property' && kind !== 'event') return { ok: true, value: [] };
  if (!isObject(m.data)) return isMissing(m.data, `${path}/data`, 'the OneJSON body');
  const imei = typeof m.imei === 'string' && /^\d{15}$/.test(m.imei) ? [m.imei] : undefined;
  return fromParams(name.value, m.data, `${path}/data`, kind, imei);
}

function relayed(body: Record<string, unknown>): Result {
  const t = topicRe.exec(body.topic as string);
  if (!t) return wrongType('/topic', 'a OneNET post topic, $sys/{pid}/{device}/thing/property/post or .../event/post');
  let payload = body.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload) as unknown;
    } catch {
      return { ok: false, error: { code: 'MALFORMED', message: '/payload is text but not JSON', field: '/payload' } };
    }
  }
  if (!isObject(payload)) return isMissing(payload, '/payload', 'the OneJSON body');
  return fromParams(t[2] ?? '', payload, '/payload', t[3] === 'event' ? 'event' : 'property', undefined);
}

/** OneJSON `params`: `{ name: { value, time? } }`; an event's object value spreads into properties. */
function fromParams(device: string, body: Record<string, unknown>, path: string, kind: 'property' | 'event', altIds: string[] | undefined): Result {
  const params = body.params;
  if (!isObject(params)) return isMissing(params, `${path}/params`, 'the reported properties');
  const byTime = new Map<number | undefined, PlatformMessage>();
  for (const [name, entry] of Object.entries(params)) {
    const field = `${path}/params/${name}`;
    if (!isObject(entry)) return wrongType(field, 'an object {"value": ..., "time": ...}');
    const time = platformTime(entry.time, `${field}/time`);
    if (!time.ok) return time;
    const values: Record<string, unknown> = kind === 'event' && isObject(entry.value) ? entry.value : { [name]: entry.value };
    let msg = byTime.get(time.value);
    if (!msg) {
      msg = { externalId: device, properties: {} };
      if (altIds) msg.altIds = altIds;
      if (time.value !== undefined) msg.time = time.value;
      byTime.set(time.value, msg);
    }
    for (const [k, v] of Object.entries(values)) {
      if (v === null) continue;
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return wrongType(`${field}/value`, 'a number, string or boolean');
      if (typeof v === 'number' && !Number.isFinite(v)) return wrongType(`${field}/value`, 'a finite number');
      msg.properties[k] = v;
    }
  }
  const messages = [...byTime.values()].filter((m) => Object.keys(m.properties).length > 0);
  messages.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return { ok: true, value: messages };
}

/** Legacy data points: each `{type: 1, dev_id, ds_id, at, value}` is one property of one device. */
function legacyList(list: unknown[]): Result {
  const out: PlatformMessage[] = [];
  for (const [i, item] of list.entries()) {
    const path = `/msg/${i}`;
    if (!isObject(item)) return wrongType(path, 'an object');
    if (item.type !== 1) continue; // 2 = online/offline, 7 = command result: nothing to ingest
    const dev = item.dev_id;
    if (typeof dev !== 'number' && typeof dev !== 'string') return isMissing(dev, `${path}/dev_id`, 'the device id');
    if (typeof item.ds_id !== 'string' || item.ds_id === '') return isMissing(item.ds_id, `${path}/ds_id`, 'the data stream name');
    const v = item.value;
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return wrongType(`${path}/value`, 'a number, string or boolean');
    if (typeof v === 'number' && !Number.isFinite(v)) return wrongType(`${path}/value`, 'a finite number');
    const time = platformTime(item.at, `${path}/at`);
    if (!time.ok) return time;
    const msg: PlatformMessage = { externalId: String(dev), properties: { [item.ds_id]: v } };
    if (time.value !== undefined) msg.time = time.value;
    out.push(msg);
  }
  return { ok: true, value: out };
}

function isMissing(v: unknown, field: string, what: string): Result {
  return v === undefined ? missing(field, what) : wrongType(field, 'an object');
}
