/**
 * The request and response shapes of SSO versions (§3.2, §4.1). Configuration fields carry Cognigy's
 * own names and limits (the schemas of `@cognigy/rest-api-client` 0.19.0), so a body written for
 * Cognigy's API is a valid draft here, and every stored draft is a valid body there.
 */
import { type Static, type TObject, type TSchema, Type } from 'typebox';
import {
  literals,
  NullableTimestamp,
  PageQuery,
  PRINTABLE_PATTERN,
  Timestamp,
  Uuid,
  VSCHAR_PATTERN,
} from '../../lib/schemas.js';
import { DiscoveryReportView, ISSUER_SHAPE, SCOPE_PATTERN } from '../discovery/discovery.schemas.js';
import { ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from '../discovery/oidc-options.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';

export const SSO_KINDS = ['oidc', 'saml', 'disabled'] as const;
export type SsoKind = (typeof SSO_KINDS)[number];

export const REVIEW_STATES = ['draft', 'approved', 'rejected', 'superseded'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** Cognigy's limit on every text field (15,000 for certificates and keys). */
export const COGNIGY_MAX = 5000;
export const COGNIGY_MAX_PEM = 15000;

const Url = (description: string) =>
  // ajv-formats' `url`, the format Cognigy's own API validates these fields with.
  Type.String({ format: 'url', maxLength: COGNIGY_MAX, description });
export const Nullable = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) =>
  Type.Union([schema, Type.Null()], options);

/** An OIDC client secret as Cognigy accepts it (write-only everywhere). */
export const ClientSecret = (description: string) =>
  Type.String({ minLength: 1, maxLength: COGNIGY_MAX, pattern: VSCHAR_PATTERN, description });

/**
 * When the client secret runs out at the IdP (issue 17): metadata of ours, recorded with the secret,
 * never sent to Cognigy and not part of the content hash. OIDC drafts only.
 */
export const ClientSecretExpiresAt = Nullable(Type.String({ format: 'date-time', maxLength: 64 }), {
  description:
    'When the client secret expires at the IdP (RFC 3339 date-time; recorded with the secret, never sent to Cognigy, not part of the content hash). Omitted: carried over with a kept secret, none with a new one; null: none. A past date is accepted and reported by the validation.',
});

export const Note = Type.String({
  maxLength: 2000,
  pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$',
  description: 'Why this version exists (shown in the timeline and the audit trail)',
});

const BaseVersion = Type.Integer({
  minimum: 0,
  description:
    'The newest version you saw (0 when the org has none): if a newer one was created since, 409. Alternatively send If-Match.',
});

/** The OIDC fields of a draft (Cognigy's `IOidcIdentityProvider`). */
export const OidcFields = {
  idpIssuer: Type.String({
    minLength: 1,
    maxLength: COGNIGY_MAX,
    pattern: ISSUER_SHAPE,
    description:
      'The IdP’s issuer. Validated through discovery; the issuer the IdP publishes (trailing slash included) is what is stored and forwarded.',
    examples: ['https://example.eu.auth0.com/'],
  }),
  idpClientId: Type.String({ minLength: 1, maxLength: COGNIGY_MAX, pattern: VSCHAR_PATTERN }),
  idpClientSecret: Type.Optional(
    ClientSecret(
      'Write-only. Omit it to keep the secret of the version this draft is based on (stored encrypted; shown only as a fingerprint).',
    ),
  ),
  idpIdTokenSignedResponseAlg: Type.Optional(
    literals(ID_TOKEN_ALGS, { description: 'How the IdP signs ID tokens (default RS256)' }),
  ),
  idpTokenEndpointAuthMethod: Type.Optional(
    literals(TOKEN_ENDPOINT_AUTH_METHODS, {
      description: 'How Cognigy authenticates at the token endpoint (default client_secret_basic)',
    }),
  ),
  idpAdditionalScope: Type.Optional(
    Nullable(Type.String({ maxLength: COGNIGY_MAX, pattern: SCOPE_PATTERN, description: 'Extra scopes' })),
  ),
  idpFrontChannelLogoutUrl: Type.Optional(Nullable(Url('Front-channel logout URL'))),
};

/** The SAML 2.0 fields of a draft (Cognigy's `ISamlIdentityProvider`). */
export const SamlFields = {
  idpIssuer: Type.String({
    minLength: 1,
    maxLength: COGNIGY_MAX,
    pattern: PRINTABLE_PATTERN,
    description: 'The IdP’s entity id',
  }),
  idpLoginEndpoint: Url('The IdP’s single sign-on URL'),
  idpLogoutEndpoint: Type.Optional(Nullable(Url('The IdP’s single logout URL'))),
  idpCertificate: Type.String({
    minLength: 1,
    maxLength: COGNIGY_MAX_PEM,
    description:
      'The IdP’s signing certificate, PEM or base64 DER. Parsed and checked (expired: validation fails; expiring within 30 days: warning); stored as base64 DER.',
  }),
  wantAuthnResponseSigned: Type.Optional(
    Nullable(
      Type.Boolean({
        description: 'Newer Cognigy field; null (default) leaves it out of the request',
      }),
    ),
  ),
  idpDisableRequestedAuthnContext: Type.Optional(Type.Boolean({ description: 'Default false' })),
  decryptionPrivateKey: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: COGNIGY_MAX_PEM,
        description:
          'Write-only PEM private key. Omit to keep the based-on version’s key; null to remove it.',
      }),
    ),
  ),
};

const draftCommon = {
  baseVersion: Type.Optional(BaseVersion),
  note: Type.Optional(Note),
};

const OidcDraft = Type.Object(
  {
    kind: Type.Literal('oidc'),
    ...draftCommon,
    ...OidcFields,
    idpClientSecretExpiresAt: Type.Optional(ClientSecretExpiresAt),
    probe: Type.Optional(
      Type.Boolean({
        description:
          'Also test the client id and secret with a token request (see /v1/discovery/check); default false',
      }),
    ),
  },
  { $id: 'OidcDraft', additionalProperties: false },
);
const SamlDraft = Type.Object(
  { kind: Type.Literal('saml'), ...draftCommon, ...SamlFields },
  { $id: 'SamlDraft', additionalProperties: false },
);
const DisabledDraft = Type.Object(
  { kind: Type.Literal('disabled'), ...draftCommon },
  { $id: 'DisabledDraft', additionalProperties: false },
);

/** oneOf with a discriminator: Ajv reports the errors of the branch `kind` names, not of all three. */
const byKind = <T extends TObject[]>(branches: T, description: string) =>
  Type.Unsafe<Static<T[number]>>({
    type: 'object',
    discriminator: { propertyName: 'kind' },
    required: ['kind'],
    oneOf: branches,
    description,
  });

export const CreateDraftBody = byKind(
  [OidcDraft, SamlDraft, DisabledDraft],
  'A new draft: `kind` says which fields follow. `disabled` is forwarded as a reset.',
);
export type CreateDraftBody =
  | Static<typeof OidcDraft>
  | Static<typeof SamlDraft>
  | Static<typeof DisabledDraft>;
export type OidcDraftBody = Static<typeof OidcDraft>;
export type SamlDraftBody = Static<typeof SamlDraft>;

export const OrgVersionParams = Type.Object({
  org: OrgRefParams.properties.org,
  number: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Version number' }),
});
export type OrgVersionParams = Static<typeof OrgVersionParams>;

export const ListVersionsQuery = Type.Object(
  {
    ...PageQuery,
    state: Type.Optional(literals(REVIEW_STATES, { description: 'Only versions in this review state' })),
  },
  { additionalProperties: false },
);
export type ListVersionsQuery = Static<typeof ListVersionsQuery>;

export const DiffQuery = Type.Object(
  {
    against: Type.String({
      pattern: '^(live|[1-9][0-9]{0,8})$',
      description: 'A version number, or `live` (the latest approved version)',
    }),
  },
  { additionalProperties: false },
);
export type DiffQuery = Static<typeof DiffQuery>;

export const Comment = Type.String({
  minLength: 1,
  maxLength: 2000,
  pattern: PRINTABLE_PATTERN.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f'),
});

export const ApproveBody = Type.Object(
  {
    comment: Type.Optional(Comment),
    overrideReason: Type.Optional({
      ...Comment,
      description: 'Required to approve a version whose validation failed; recorded with the approval',
    }),
    expectedHash: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        maxLength: 71,
        description: 'The contentHash you reviewed: if the version is not that content, 409',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ApproveBody = Static<typeof ApproveBody>;

export const RejectBody = Type.Object(
  { comment: { ...Comment, description: 'Why the version is rejected (required)' } },
  { additionalProperties: false },
);
export type RejectBody = Static<typeof RejectBody>;

export const RollbackBody = Type.Object(
  {
    baseVersion: Type.Optional(BaseVersion),
    note: Type.Optional(Note),
    approve: Type.Optional(
      Type.Boolean({
        description:
          'Approve the rollback draft in the same call (needs the approver role and the tenant setting allowRollbackApproval)',
      }),
    ),
    overrideReason: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

export const ValidateBody = Type.Object(
  {
    refresh: Type.Optional(
      Type.Boolean({ description: 'Ignore the cached discovery document (default true)' }),
    ),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------
// Views

const secretRefFields = {
  fingerprint: Type.String({ description: 'Keyed HMAC of the secret (never the secret)' }),
  changedIn: Type.Integer({ description: 'The version in which this secret last changed' }),
};
const SecretRef = Nullable(Type.Object(secretRefFields));
const ClientSecretRef = Nullable(
  Type.Object({
    ...secretRefFields,
    expiresAt: Type.Union([Timestamp, Type.Null()], {
      description:
        'When the secret expires at the IdP, as recorded with it (null: none recorded); never sent to Cognigy',
    }),
  }),
);

export const Actor = Type.Object({ id: Nullable(Uuid('API key id')), name: Type.String() });

const OidcContentView = Type.Object({
  idpIssuer: Type.String(),
  idpClientId: Type.String(),
  idpIdTokenSignedResponseAlg: literals(ID_TOKEN_ALGS),
  idpTokenEndpointAuthMethod: literals(TOKEN_ENDPOINT_AUTH_METHODS),
  idpAdditionalScope: Nullable(Type.String()),
  idpFrontChannelLogoutUrl: Nullable(Type.String()),
});
const SamlContentView = Type.Object({
  idpIssuer: Type.String(),
  idpLoginEndpoint: Type.String(),
  idpLogoutEndpoint: Nullable(Type.String()),
  idpCertificate: Type.String({ description: 'Base64 DER' }),
  wantAuthnResponseSigned: Nullable(Type.Boolean()),
  idpDisableRequestedAuthnContext: Type.Boolean(),
});

const CheckView = Type.Object({
  name: Type.String(),
  status: literals(['pass', 'warn', 'fail', 'skip']),
  message: Type.String(),
  details: Type.Optional(
    Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
  ),
});

export const ValidationReportView = Type.Object(
  {
    status: literals(['pass', 'warn', 'fail']),
    checkedAt: Timestamp,
    checkedBy: Actor,
    checks: Type.Array(CheckView, { description: 'Every check with a sentence a person understands' }),
    discovery: Nullable(Type.Omit(DiscoveryReportView, ['checks', 'status'])),
  },
  { description: 'The newest validation report of the version (§5)' },
);

export const VersionView = Type.Object({
  id: Uuid('Version id'),
  orgId: Uuid('Org id'),
  number: Type.Integer(),
  kind: literals(SSO_KINDS),
  content: Type.Union([OidcContentView, SamlContentView, Type.Object({})], {
    description: 'The non-secret fields in Cognigy’s names (empty for disabled)',
  }),
  secrets: Type.Object({
    idpClientSecret: ClientSecretRef,
    decryptionPrivateKey: SecretRef,
  }),
  contentHash: Type.String({ description: 'sha256 of content, secret fingerprints and org' }),
  baseVersion: Nullable(Type.Integer()),
  rollbackOf: Nullable(Type.Integer()),
  bulkId: Nullable(Uuid('Bulk operation that drafted it')),
  note: Nullable(Type.String()),
  createdBy: Actor,
  createdAt: Timestamp,
  review: Type.Object({
    state: literals(REVIEW_STATES),
    reviewedBy: Nullable(Actor),
    reviewedAt: NullableTimestamp,
    comment: Nullable(Type.String()),
    overrideReason: Nullable(Type.String()),
    selfApproved: Type.Boolean(),
    approvedHash: Nullable(Type.String()),
    supersededBy: Nullable(Type.Integer()),
    supersededAt: NullableTimestamp,
  }),
  validation: Nullable(ValidationReportView),
});
export type VersionView = Static<typeof VersionView>;

export const DiffView = Type.Object({
  orgId: Uuid('Org id'),
  from: Type.Integer({ description: 'The version compared against (`against`)' }),
  to: Type.Integer({ description: 'The version in the path' }),
  equal: Type.Boolean({
    description:
      'true when the two versions configure exactly the same and record the same about their secrets (a client secret’s expiry)',
  }),
  changes: Type.Array(
    Type.Object({
      field: Type.String({
        description:
          'A field in Cognigy’s names, `kind`, or `idpClientSecret.expiresAt` (recorded with the secret, never sent to Cognigy)',
      }),
      before: Type.Unknown(),
      after: Type.Unknown(),
      secret: Type.Boolean({ description: 'Values are fingerprints' }),
    }),
  ),
  summary: Type.Array(Type.String(), { description: 'The changes as sentences' }),
});
