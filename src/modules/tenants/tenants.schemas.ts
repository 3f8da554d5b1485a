import { type Static, Type } from 'typebox';
import { DisplayName, PageQuery, Slug, Timestamp, Uuid } from '../../lib/schemas.js';
import { IssuedApiKeyView } from '../api-keys/api-keys.schemas.js';

export const TenantView = Type.Object({
  id: Uuid('Tenant id'),
  slug: Type.String(),
  name: Type.String(),
  settings: Type.Object({
    allowSelfApproval: Type.Boolean({
      description: 'Approvers may approve versions they created (marked in the audit trail)',
    }),
    allowRollbackApproval: Type.Boolean({
      description:
        'An approver who rolls an org back may approve the rollback draft in the same call (marked in the audit trail)',
    }),
  }),
  revision: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type TenantView = Static<typeof TenantView>;

export const CreateTenantBody = Type.Object(
  {
    slug: Slug('Unique tenant slug'),
    name: DisplayName('Display name of the MSP account'),
    firstAdminKeyName: Type.Optional(DisplayName('Name of the first admin key (default "first admin")')),
  },
  { additionalProperties: false },
);
export type CreateTenantBody = Static<typeof CreateTenantBody>;

export const CreatedTenantView = Type.Object({
  tenant: TenantView,
  adminKey: IssuedApiKeyView,
});

export const ListTenantsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListTenantsQuery = Static<typeof ListTenantsQuery>;

export const TenantParams = Type.Object({ tenant: Uuid('Tenant id') });

export const UpdateTenantSettingsBody = Type.Object(
  {
    name: Type.Optional(DisplayName('Display name')),
    allowSelfApproval: Type.Optional(Type.Boolean()),
    allowRollbackApproval: Type.Optional(Type.Boolean()),
    revision: Type.Optional(Type.Integer({ minimum: 1, description: 'Alternative to If-Match' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTenantSettingsBody = Static<typeof UpdateTenantSettingsBody>;
