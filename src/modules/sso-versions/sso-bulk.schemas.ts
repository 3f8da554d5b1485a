/**
 * The request and response shapes of bulk work across orgs (§3.2; sso-bulk.service.ts). The fields of
 * a bulk change are those of a draft, looser (each org's resulting draft is validated like a single one).
 */
import { type Static, Type } from 'typebox';
import { Labels, literals, Uuid } from '../../lib/schemas.js';
import { ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from '../discovery/oidc-options.js';
import { TEMPLATE_NAMES } from './sso-templates.js';
import {
  ClientSecret,
  ClientSecretExpiresAt,
  COGNIGY_MAX,
  COGNIGY_MAX_PEM,
  Comment,
  Note,
  Nullable,
  SSO_KINDS,
} from './sso-versions.schemas.js';

export const OrgSelector = Type.Object(
  {
    orgs: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        minItems: 1,
        maxItems: 10000,
        description: 'Org ids or slugs',
      }),
    ),
    labels: Type.Optional(Labels),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'Orgs by id or slug, or by labels (both: orgs that match both)',
  },
);
export type OrgSelector = Static<typeof OrgSelector>;

const templated = (description: string) => `${description}. May contain ${TEMPLATE_NAMES}.`;

export const BulkDraftBody = Type.Object(
  {
    selector: OrgSelector,
    change: Type.Object(
      {
        kind: Type.Optional(
          literals(SSO_KINDS, { description: 'Default: the kind of each org’s newest version' }),
        ),
        idpIssuer: Type.Optional(
          Type.String({ minLength: 1, maxLength: COGNIGY_MAX, description: templated('Issuer') }),
        ),
        idpClientId: Type.Optional(
          Type.String({ minLength: 1, maxLength: COGNIGY_MAX, description: templated('Client id') }),
        ),
        idpClientSecret: Type.Optional(
          ClientSecret(
            'Write-only: one new secret for every selected org (e.g. a new multi-tenant IdP app). Omit to keep each org’s own.',
          ),
        ),
        idpClientSecretExpiresAt: Type.Optional(ClientSecretExpiresAt),
        idpIdTokenSignedResponseAlg: Type.Optional(literals(ID_TOKEN_ALGS)),
        idpTokenEndpointAuthMethod: Type.Optional(literals(TOKEN_ENDPOINT_AUTH_METHODS)),
        idpAdditionalScope: Type.Optional(Nullable(Type.String({ maxLength: COGNIGY_MAX }))),
        idpFrontChannelLogoutUrl: Type.Optional(Nullable(Type.String({ maxLength: COGNIGY_MAX }))),
        idpLoginEndpoint: Type.Optional(
          Type.String({ maxLength: COGNIGY_MAX, description: templated('SAML login URL') }),
        ),
        idpLogoutEndpoint: Type.Optional(Nullable(Type.String({ maxLength: COGNIGY_MAX }))),
        idpCertificate: Type.Optional(Type.String({ minLength: 1, maxLength: COGNIGY_MAX_PEM })),
        wantAuthnResponseSigned: Type.Optional(Nullable(Type.Boolean())),
        idpDisableRequestedAuthnContext: Type.Optional(Type.Boolean()),
      },
      {
        additionalProperties: false,
        description:
          'Fields to set on each org’s newest version (secrets not given are carried over). Each resulting draft is validated like a single one.',
      },
    ),
    note: Type.Optional(Note),
    dryRun: Type.Optional(
      Type.Boolean({ description: 'Validate and report per org without creating drafts (default false)' }),
    ),
  },
  { additionalProperties: false },
);
export type BulkDraftBody = Static<typeof BulkDraftBody>;

export const BulkApproveBody = Type.Object(
  {
    selector: Type.Optional(OrgSelector),
    bulkId: Type.Optional(Uuid('Approve the drafts of this bulk operation')),
    comment: Type.Optional(Comment),
    overrideReason: Type.Optional(Comment),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'Approves each selected org’s newest version if it is a draft (or the drafts of one bulk operation), under the same rules as a single approval.',
  },
);
export type BulkApproveBody = Static<typeof BulkApproveBody>;

export const BulkResultView = Type.Object({
  bulkId: Uuid('Bulk operation id (recorded on every draft it made and in the audit trail)'),
  dryRun: Type.Boolean(),
  summary: Type.Object({
    selected: Type.Integer(),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
    durationMs: Type.Integer(),
  }),
  results: Type.Array(
    Type.Object({
      org: Type.Object({ id: Nullable(Type.String()), slug: Nullable(Type.String()), ref: Type.String() }),
      outcome: literals(['created', 'validated', 'approved', 'failed', 'skipped']),
      version: Nullable(Type.Integer()),
      validation: Nullable(literals(['pass', 'warn', 'fail'])),
      problem: Nullable(
        Type.Object({
          status: Type.Integer(),
          code: Type.String(),
          detail: Type.String(),
          errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
        }),
      ),
    }),
  ),
});
export type BulkResultView = Static<typeof BulkResultView>;
