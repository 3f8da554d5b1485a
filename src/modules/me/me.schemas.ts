import { type Static, Type } from 'typebox';
import { Uuid } from '../../lib/schemas.js';
import { RoleSchema } from '../api-keys/api-keys.schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** The caller — an API key, or a person in a console session — as the service sees it (never a secret). */
export const MeView = Type.Object({
  id: Uuid('The actor id of the audit events the caller causes: the API key id, or the person id'),
  name: Type.String(),
  keyId: Type.Union([Uuid(), Type.Null()], { description: 'The API key id; null in a console session' }),
  person: Type.Union(
    [
      Type.Object({
        id: Uuid(),
        issuer: Type.String(),
        subject: Type.String(),
        email: Nullable(Type.String()),
        name: Nullable(Type.String()),
      }),
      Type.Null(),
    ],
    { description: 'The person of a console session; null for an API key' },
  ),
  tenantId: Uuid('Tenant id'),
  roles: Type.Array(RoleSchema),
  orgScope: Type.Union([Type.Array(Uuid()), Type.Null()], { description: 'null: every org of the tenant' }),
});
export type MeView = Static<typeof MeView>;
