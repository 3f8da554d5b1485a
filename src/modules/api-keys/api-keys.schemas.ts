import { type Static, Type } from 'typebox';
import { DisplayName, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';

export const RoleSchema = Type.Union(
  [Type.Literal('admin'), Type.Literal('editor'), Type.Literal('approver'), Type.Literal('auditor')],
  {
    description:
      'admin: tenant settings, API keys, orgs · editor: drafts, rollback · approver: approve/reject, retry · auditor: read everything',
  },
);

export const ApiKeyView = Type.Object({
  id: Uuid('API key id'),
  name: Type.String(),
  displayPrefix: Type.String({ description: 'The start of the key, to recognise it: csso_<prefix>_…' }),
  roles: Type.Array(RoleSchema),
  orgScope: Type.Union([Type.Array(Uuid()), Type.Null()], { description: 'null: every org of the tenant' }),
  createdAt: Timestamp,
  createdById: Type.Union([Uuid(), Type.Null()]),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  revokedById: Type.Union([Uuid(), Type.Null()]),
});
export type ApiKeyView = Static<typeof ApiKeyView>;

export const IssuedApiKeyView = Type.Object({
  apiKey: ApiKeyView,
  token: Type.String({ description: 'The key itself. Shown only in this response; store it now.' }),
});

export const CreateApiKeyBody = Type.Object(
  {
    name: DisplayName('What the key is for, e.g. "ci-pipeline"'),
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true }),
    orgScope: Type.Optional(
      Type.Array(Uuid('Org id'), {
        minItems: 1,
        maxItems: 1000,
        uniqueItems: true,
        description: 'Restrict the key to these orgs (ids). Omit for the whole tenant.',
      }),
    ),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Optional expiry (future)' })),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ListApiKeysQuery = Type.Object(
  { ...PageQuery, includeRevoked: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);
export type ListApiKeysQuery = Static<typeof ListApiKeysQuery>;

export const ApiKeyParams = Type.Object({ id: Uuid('API key id') });
