/** The response of GET /v1/orgs/{org}/sso: desired version, drafts, delivery state, setup help (sso-state.ts). */
import { type Static, Type } from 'typebox';
import { literals, Timestamp, Uuid } from '../../lib/schemas.js';
import { Actor, Nullable, SSO_KINDS } from './sso-versions.schemas.js';

const SetupUrls = Type.Object({
  loginUrl: Type.String(),
  callbackUrl: Type.String(),
});

export const SsoStateView = Type.Object({
  orgId: Uuid('Org id'),
  headVersion: Nullable(Type.Integer({ description: 'The newest version (any state)' })),
  desired: Nullable(
    Type.Object({
      number: Type.Integer(),
      kind: literals(SSO_KINDS),
      contentHash: Type.String(),
      approvedAt: Timestamp,
      approvedBy: Actor,
    }),
    { description: 'The latest approved version: what Cognigy should have' },
  ),
  pendingDrafts: Type.Array(Type.Integer(), { description: 'Drafts newer than the desired version' }),
  applied: Nullable(Type.Object({ number: Type.Integer(), appliedAt: Timestamp })),
  inFlight: Nullable(
    Type.Object({
      number: Type.Integer(),
      deploymentId: Uuid('The deployment being sent'),
      since: Timestamp,
    }),
    { description: 'The deployment whose call to Cognigy is under way (at most one per org)' },
  ),
  waiting: Nullable(
    Type.Object({
      number: Type.Integer(),
      deploymentId: Uuid('The deployment waiting'),
      notBefore: Timestamp,
    }),
    {
      description:
        'The deployment waiting to be sent (after the one in flight, or after a backoff until notBefore)',
    },
  ),
  lastError: Nullable(Type.Object({ number: Type.Integer(), at: Timestamp, detail: Type.String() })),
  setup: Nullable(
    Type.Object(
      {
        organisationId: Type.String(),
        apiOrigin: Type.String(),
        oidc: SetupUrls,
        saml: Type.Object({ loginUrl: Type.String(), assertionConsumerServiceUrl: Type.String() }),
      },
      {
        description:
          'What the IdP application must allow (§4.3); null until the Cognigy target has an organisationId',
      },
    ),
  ),
});
export type SsoStateView = Static<typeof SsoStateView>;
