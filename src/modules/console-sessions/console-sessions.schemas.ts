/** Console sessions as the API shows them (issue 20): never the secret session id. */
import { Type } from 'typebox';
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';
import { RoleSchema } from '../api-keys/api-keys.schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const PersonView = Type.Object({
  id: Uuid('The person’s id: the actor id of what they do'),
  issuer: Type.String(),
  subject: Type.String(),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
});

const OrgScope = Type.Union([Type.Array(Uuid()), Type.Null()], {
  description: 'null: every org of the tenant',
});

export const CurrentSessionView = Type.Object({
  person: PersonView,
  tenant: Type.Object({ id: Uuid(), slug: Type.String(), name: Type.String() }),
  roles: Type.Array(RoleSchema),
  orgScope: OrgScope,
  csrfToken: Type.String({
    description: 'Send it as X-CSRF-Token with every request that changes something',
  }),
  idleExpiresAt: Timestamp,
  expiresAt: Timestamp,
});

export const SessionView = Type.Object({
  id: Uuid('The session’s public id (never its secret)'),
  person: PersonView,
  roles: Type.Array(RoleSchema),
  orgScope: OrgScope,
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  idleExpiresAt: Timestamp,
  expiresAt: Timestamp,
  sourceIp: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  current: Type.Boolean({ description: 'The session making this call' }),
});

export const ListSessionsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const SessionParams = Type.Object({ id: Uuid('Session id') });

export const SignedOutView = Type.Object({
  endSessionUrl: Type.Union([Type.String(), Type.Null()], {
    description:
      'Where to send the browser to sign out at the IdP too (null: it has no end-session endpoint)',
  }),
});
