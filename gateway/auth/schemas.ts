import { Type, type Static, type TSchema } from 'typebox';
import { RoleSchema, UserRoleSchema } from './roles.js';

/** Wire shapes of the auth routes: one schema each gives validation, serialization, type and OpenAPI. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });
const Id = Type.String({ format: 'uuid' });

const Username = Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Letters, digits and . _ @ -; compared case-insensitively.' });
const DisplayName = Type.String({ minLength: 1, maxLength: 100 });
const Password = Type.String({ minLength: 10, maxLength: 200, description: 'At least 10 characters.' });
const VendorName = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const PlatformId = Type.String({ pattern: '^[a-z0-9._-]{1,64}$', description: 'Adapter registry platform id, e.g. `ctwing`.' });

export const User = Type.Object({
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  role: UserRoleSchema,
  vendor: Nullable(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Time,
  updatedAt: Time,
});
export type User = Static<typeof User>;

export const CreateUser = Type.Object(
  {
    username: Username,
    displayName: DisplayName,
    role: UserRoleSchema,
    vendor: Type.Optional(VendorName),
    password: Password,
  },
  { additionalProperties: false },
);

export const UpdateUser = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    role: Type.Optional(UserRoleSchema),
    vendor: Type.Optional(Nullable(VendorName)),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ApiKey = Type.Object({
  id: Id,
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it; the key itself is never stored.' }),
  role: RoleSchema,
  vendor: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  ownerUser: Nullable(Id),
  createdBy: Type.String(),
  createdAt: Time,
  lastUsedAt: Nullable(Time),
  expiresAt: Nullable(Time),
  revokedAt: Nullable(Time),
});
export type ApiKey = Static<typeof ApiKey>;

export const CreateApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: RoleSchema,
    vendor: Type.Optional(VendorName),
    platform: Type.Optional(PlatformId),
    ownerUser: Type.Optional(Id),
    expiresAt: Type.Optional(Time),
  },
  { additionalProperties: false },
);

export const CreatedApiKey = Type.Object({
  key: Type.String({ description: 'The API key. Shown this once; store it now.' }),
  apiKey: ApiKey,
});

export const Login = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const Session = Type.Object({
  token: Type.String({ description: 'Bearer token for `Authorization: Bearer <token>`.' }),
  expiresAt: Time,
  user: User,
});

export const IdParams = Type.Object({ id: Id });
