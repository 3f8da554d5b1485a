import { type Static, Type } from 'typebox';
import { SLUG_PATTERN, UUID_PATTERN } from '../../lib/identifiers.js';
import {
  DisplayName,
  Labels,
  NullableTimestamp,
  PageQuery,
  Slug,
  Timestamp,
  Uuid,
} from '../../lib/schemas.js';

export const OrgRefParams = Type.Object({
  org: Type.String({
    pattern: `(${UUID_PATTERN})|(${SLUG_PATTERN})`,
    maxLength: 63,
    description: 'The org id or its slug',
  }),
});

export const CognigyTargetView = Type.Object({
  apiBase: Type.String({ description: 'e.g. https://api-trial.cognigy.ai/new' }),
  organisationId: Type.Union([Type.String(), Type.Null()]),
  apiKey: Type.Object({
    set: Type.Boolean({ description: 'false once the org’s secrets were crypto-shredded' }),
    fingerprint: Type.String({
      description: 'Keyed HMAC of the API key: shows that it changed, never what it is',
    }),
  }),
  updatedAt: Timestamp,
});

export const OrgView = Type.Object({
  id: Uuid('Org id'),
  slug: Type.String(),
  name: Type.String(),
  labels: Labels,
  revision: Type.Integer({ description: 'Increases with every change; the ETag' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  archivedAt: NullableTimestamp,
  cognigy: Type.Union([CognigyTargetView, Type.Null()]),
});
export type OrgView = Static<typeof OrgView>;

export const CreateOrgBody = Type.Object(
  {
    slug: Slug('Unique among the tenant’s active orgs'),
    name: DisplayName('Display name'),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);
export type CreateOrgBody = Static<typeof CreateOrgBody>;

export const UpdateOrgBody = Type.Object(
  {
    slug: Type.Optional(Slug('New slug')),
    name: Type.Optional(DisplayName('Display name')),
    labels: Type.Optional(Labels),
    revision: Type.Optional(Type.Integer({ minimum: 1, description: 'Alternative to If-Match' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOrgBody = Static<typeof UpdateOrgBody>;

export const ListOrgsQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Text in the slug or name' })),
    label: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?=.{0,200}$' }), {
        maxItems: 20,
        description: 'key=value; repeat for several (all must match)',
      }),
    ),
    archived: Type.Optional(
      Type.Boolean({ default: false, description: 'true lists archived orgs instead' }),
    ),
  },
  { additionalProperties: false },
);
export type ListOrgsQuery = Static<typeof ListOrgsQuery>;

export const ArchiveOrgQuery = Type.Object(
  {
    shredSecrets: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Also delete the org’s data key: every secret of the org becomes unrecoverable (offboarding)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PutCognigyTargetBody = Type.Object(
  {
    apiBase: Type.String({
      minLength: 8,
      maxLength: 2048,
      description: 'API base of the Cognigy installation, e.g. https://api-trial.cognigy.ai/new (https only)',
    }),
    apiKey: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 512,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'Cognigy API key (write-only). Omit to keep the current one.',
      }),
    ),
    organisationId: Type.Optional(
      Type.Union([Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), Type.Null()], {
        description: 'Cognigy organisation id, used to show the callback URLs the IdP must allow',
      }),
    ),
    revision: Type.Optional(Type.Integer({ minimum: 1, description: 'Alternative to If-Match' })),
  },
  { additionalProperties: false },
);
export type PutCognigyTargetBody = Static<typeof PutCognigyTargetBody>;
