/**
 * China Telecom CTWing (AEP) subscription push, `POST /api/v1/ingest/ctwing`
 * (docs/adapters.md "CTWing"). Accepted `messageType`s:
 *  - `dataReport`: `payload.serviceData` (LwM2M profile), `payload.APPdata` (transparent,
 *    base64 → `raw` for the device's adapter) or the profile properties directly in `payload`;
 *  - `eventReport`: `eventContent` properties;
 *  - `deviceOnlineOfflineReport`, `commandResponse`, ...: acknowledged with no messages.
 * The device is named by `deviceId`; a 15-digit `IMEI` rides along in `altIds`.
 */
import type { PlatformAdapter, PlatformDecodeResult, PlatformMessage } from '../types.js';
import { base64ToBytes } from '../codecs/bytes.js';
import { idField, isObject, missing, platformTime, scalarProperties, wrongType } from '../lib/platform.js';

export const ctwing: PlatformAdapter = {
  id: 'ctwing',
  name: 'China Telecom CTWing (AEP)',
  description: 'CTWing subscription pushes: dataReport (serviceData, APPdata transparent payloads, profile properties) and eventReport.',
  decode(body): PlatformDecodeResult {
    if (!isObject(body)) return wrongType('/', 'a JSON object (one CTWing push)');
    const type = body.messageType;
    if (type === undefined) return missing('/messageType', 'e.g. dataReport');
    if (typeof type !== 'string') return wrongType('/messageType', 'a string');
    if (type !== 'dataReport' && type !== 'eventReport') return { ok: true, messages: [] };
    const id = idField(body, 'deviceId');
    if (!id.ok) return id;
    const time = platformTime(body.timestamp, '/timestamp');
    if (!time.ok) return time;
    const msg: PlatformMessage = { externalId: id.value, properties: {} };
    if (typeof body.IMEI === 'string' && /^\d{15}$/.test(body.IMEI)) msg.altIds = [body.IMEI];
    if (time.value !== undefined) msg.time = time.value;
    const [path, bag] = type === 'eventReport' ? ['/eventContent', body.eventContent] : ['/payload', body.payload];
    if (bag === undefined) return missing(path, type === 'eventReport' ? 'the event properties' : 'serviceData, APPdata or properties');
    if (!isObject(bag)) return wrongType(path, 'an object');
    if (type === 'dataReport' && bag.APPdata !== undefined) {
      const raw = typeof bag.APPdata === 'string' ? base64ToBytes(bag.APPdata) : undefined;
      if (!raw) return { ok: false, error: { code: 'MALFORMED', message: '/payload/APPdata must be base64 text', field: '/payload/APPdata' } };
      msg.raw = raw;
      return { ok: true, messages: [msg] };
    }
    let props: Record<string, unknown> = bag;
    let propsPath = path;
    if (type === 'dataReport' && bag.serviceData !== undefined) {
      if (!isObject(bag.serviceData)) return wrongType('/payload/serviceData', 'an object');
      props = bag.serviceData;
      propsPath = '/payload/serviceData';
    }
    const scalars = scalarProperties(props, propsPath);
    if (!scalars.ok) return scalars;
    msg.properties = scalars.value;
    return { ok: true, messages: [msg] };
  },
};
