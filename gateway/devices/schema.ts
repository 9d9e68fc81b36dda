import { Type, type Static } from 'typebox';
import { deviceKinds } from '../../adapters/types.js';

/**
 * Device registry schemas: one schema per shape gives the route validation, the OpenAPI
 * document and the TypeScript type.
 */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'; // one MQTT topic level: no '/', '+', '#'

export const DeviceKindSchema = Type.Enum(deviceKinds);

export const LocationInput = Type.Object(
  {
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    crs: Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02'), Type.Literal('bd09')], {
      default: 'wgs84',
      description: 'Coordinate system of lon/lat. GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are converted to WGS-84 on input.',
    }),
    address: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

const Tag = Type.String({ pattern: '^[^,;\\s][^,;]{0,63}$', description: 'Free label, e.g. `flood-season` or `road=G60`.' });

export const DeviceInput = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN, description: 'Unique device id; also the MQTT username and topic level.' }),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    kind: DeviceKindSchema,
    adapter: Type.String({ minLength: 1, description: 'Adapter id from GET /api/v1/adapters.' }),
    location: LocationInput,
    blockCode: Type.String({ description: 'Grid block code town-grid-community-block (17 digits, dashes optional).' }),
    ownerUnit: Type.Optional(Type.String({ maxLength: 128 })),
    vendor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Owning vendor account; set from the caller for vendor principals.' })),
    tags: Type.Array(Tag, { default: [], maxItems: 32 }),
    platform: Type.Optional(Type.String({ description: 'Platform that pushes this device (ctwing, onenet).' })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "The platform's id for the device (CTWing deviceId or IMEI, OneNET device name)." })),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'Expected reporting interval; overrides the per-kind default.' })),
    exercise: Type.Boolean({ default: false, description: 'A drill or demo device (the simulated town): what it produces is marked as an exercise.' }),
  },
  { additionalProperties: false },
);
export type DeviceInput = Static<typeof DeviceInput>;

export const DevicePatch = Type.Partial(Type.Omit(DeviceInput, ['id']), { additionalProperties: false });
export type DevicePatch = Static<typeof DevicePatch>;

export const DeviceStatusSchema = Type.Union([Type.Literal('unknown'), Type.Literal('online'), Type.Literal('offline')]);
export type DeviceStatus = Static<typeof DeviceStatusSchema>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Device = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: DeviceKindSchema,
  adapter: Type.String(),
  vendor: Nullable(Type.String()),
  ownerUnit: Nullable(Type.String()),
  location: Type.Object({
    lon: Type.Number({ description: 'WGS-84' }),
    lat: Type.Number({ description: 'WGS-84' }),
    address: Nullable(Type.String()),
    input: Type.Object({ lon: Type.Number(), lat: Type.Number(), crs: Type.String() }, { description: 'As given, before conversion.' }),
  }),
  blockCode: Type.String({ description: 'Formatted town-grid-community-block.' }),
  tags: Type.Array(Type.String()),
  platform: Nullable(Type.String()),
  externalId: Nullable(Type.String()),
  heartbeatMs: Type.Integer({ description: 'Effective expected reporting interval.' }),
  exercise: Type.Boolean({ description: 'Created by the simulated town (demo); its data is an exercise.' }),
  status: DeviceStatusSchema,
  statusReason: Nullable(Type.String()),
  statusChangedAt: Nullable(Type.String({ format: 'date-time' })),
  lastSeen: Nullable(Type.String({ format: 'date-time' })),
  credentialsRotatedAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Device = Static<typeof Device>;

export const Credentials = Type.Object(
  {
    username: Type.String(),
    password: Type.String({ description: 'Shown once; only its scrypt hash is stored.' }),
  },
  { description: 'MQTT credentials for the device.' },
);

export const DeviceWithCredentials = Type.Object({ device: Device, credentials: Credentials });

export const DeviceQuery = Type.Object({
  kind: Type.Optional(DeviceKindSchema),
  block: Type.Optional(Type.String({ description: 'Block code or area prefix (town, grid, community).' })),
  status: Type.Optional(DeviceStatusSchema),
  vendor: Type.Optional(Type.String()),
  tag: Type.Optional(Type.String()),
  after: Type.Optional(Type.String({ description: 'Cursor: the last id of the previous page.' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type DeviceQuery = Static<typeof DeviceQuery>;

export const StatusEvent = Type.Object({ status: Type.String(), reason: Type.String(), at: Type.String({ format: 'date-time' }) });
