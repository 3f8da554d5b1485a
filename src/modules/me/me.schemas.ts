import { type Static, Type } from 'typebox';
import { Uuid } from '../../lib/schemas.js';
import { RoleSchema } from '../api-keys/api-keys.schemas.js';

/** The API key making the call, as the service sees it (never the key itself). */
export const MeView = Type.Object({
  id: Uuid('API key id (the `actor.id` of the audit events this key causes)'),
  name: Type.String(),
  tenantId: Uuid('Tenant id'),
  roles: Type.Array(RoleSchema),
  orgScope: Type.Union([Type.Array(Uuid()), Type.Null()], { description: 'null: every org of the tenant' }),
});
export type MeView = Static<typeof MeView>;
