/** The console login settings of a tenant (issue 20): what an admin sends and reads. */
import { type Static, Type } from 'typebox';
import { SLUG_PATTERN, UUID_PATTERN } from '../../lib/identifiers.js';
import { literals, Timestamp, VSCHAR_PATTERN } from '../../lib/schemas.js';
import { RoleSchema } from '../api-keys/api-keys.schemas.js';
import { ISSUER_SHAPE } from '../discovery/discovery.schemas.js';
import { ID_TOKEN_ALGS } from '../discovery/oidc-options.js';
import { Nullable, ValidationReportView } from '../sso-versions/sso-versions.schemas.js';

const OrgRef = Type.String({
  pattern: `(${UUID_PATTERN})|(${SLUG_PATTERN})`,
  maxLength: 63,
  description: 'Org id or slug',
});

export const RoleMapping = Type.Object(
  {
    group: Type.String({
      minLength: 1,
      maxLength: 256,
      pattern: '^[^\\u0000-\\u001f\\u007f]+$',
      description: 'A value of the groups claim, compared exactly',
    }),
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true }),
    orgScope: Nullable(Type.Array(OrgRef, { minItems: 1, maxItems: 100, uniqueItems: true }), {
      description: 'null: every org of the tenant. Otherwise the orgs (ids or slugs) the group may act on.',
    }),
  },
  { additionalProperties: false },
);
export type RoleMapping = Static<typeof RoleMapping>;

const EmailDomain = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$',
  description: 'A domain, e.g. example.com (compared case-insensitively with the part after @)',
});

export const PutConsoleLoginBody = Type.Object(
  {
    issuer: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: ISSUER_SHAPE,
      description:
        'The OIDC issuer of the tenant’s own identity provider (validated through discovery at save)',
    }),
    clientId: Type.String({ minLength: 1, maxLength: 512, pattern: VSCHAR_PATTERN }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: VSCHAR_PATTERN,
        description:
          'Write-only; stored encrypted, shown only as a fingerprint. Omit it to keep the stored one (required the first time).',
      }),
    ),
    idTokenSignedResponseAlg: Type.Optional(
      literals(ID_TOKEN_ALGS, {
        description: 'The only algorithm an ID token may be signed with (default RS256)',
      }),
    ),
    groupsClaim: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9_:/.-]+$',
        description: 'The ID token claim that lists the person’s groups (default groups)',
      }),
    ),
    roleMappings: Type.Array(RoleMapping, {
      maxItems: 100,
      description:
        'Group → roles (and optionally org scope). A person gets the union of their groups’ roles.',
    }),
    allowedEmailDomains: Type.Optional(
      Type.Array(EmailDomain, {
        maxItems: 50,
        uniqueItems: true,
        description: 'Empty: any email. Otherwise the person’s email must end in one of these domains.',
      }),
    ),
    apiKeySignInAllowed: Type.Optional(
      Type.Boolean({
        description: 'Whether the console still offers sign-in with an API key (default true)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PutConsoleLoginBody = Static<typeof PutConsoleLoginBody>;

const StoredRoleMapping = Type.Object({
  group: Type.String(),
  roles: Type.Array(RoleSchema),
  orgScope: Nullable(Type.Array(Type.String({ description: 'Org id' }))),
});

export const ConsoleLoginView = Type.Object({
  configured: Type.Boolean({ description: 'false: console sign-in with the IdP is off for this tenant' }),
  issuer: Nullable(Type.String()),
  clientId: Nullable(Type.String()),
  clientSecretFingerprint: Nullable(Type.String({ description: 'Never the secret itself' })),
  idTokenSignedResponseAlg: Nullable(literals(ID_TOKEN_ALGS)),
  groupsClaim: Nullable(Type.String()),
  roleMappings: Type.Array(StoredRoleMapping),
  allowedEmailDomains: Type.Array(Type.String()),
  apiKeySignInAllowed: Type.Boolean(),
  redirectUri: Type.String({ description: 'Register this redirect URI for the client at the IdP' }),
  loginUrl: Type.String({ description: 'Where the tenant’s people sign in' }),
  validation: Nullable(Type.Omit(ValidationReportView, ['checkedBy'])),
  updatedAt: Nullable(Timestamp),
  etag: Nullable(Type.String()),
});
export type ConsoleLoginView = Static<typeof ConsoleLoginView>;

export const ConsoleLoginOptionsQuery = Type.Object(
  { tenant: Type.String({ pattern: SLUG_PATTERN, maxLength: 63, description: 'Tenant slug' }) },
  { additionalProperties: false },
);

export const ConsoleLoginOptionsView = Type.Object({
  ssoAvailable: Type.Boolean(),
  loginUrl: Nullable(Type.String()),
  apiKeySignInAllowed: Type.Boolean(),
});
