/**
 * SSO as code (issue 19): the desired-state document, a plan of it and the apply request. A document
 * names orgs (by slug or a label selector) and the SSO content they should have; values may contain
 * per-org placeholders; a secret is given, or `{ "keep": true }` to carry the org's current one over.
 */
import { type Static, Type } from 'typebox';
import { literals, Timestamp, Uuid } from '../../lib/schemas.js';
import { TEMPLATE_NAMES } from '../sso-versions/sso-templates.js';
import {
  Actor,
  COGNIGY_MAX_PEM,
  Comment,
  Note,
  Nullable,
  SSO_KINDS,
  ValidationReportView,
} from '../sso-versions/sso-versions.schemas.js';

/** `key=value` pairs, comma-separated; an org matches when it has every one of the labels. */
export const SELECTOR_PATTERN = '^[a-z0-9][a-z0-9._/-]*=[^,=]*(,[a-z0-9][a-z0-9._/-]*=[^,=]*)*$';

const Keep = Type.Object(
  { keep: Type.Literal(true) },
  { additionalProperties: false, description: 'Carry the org’s current secret over' },
);
const SecretValue = (what: string) =>
  Type.Union([Type.String({ minLength: 1, maxLength: COGNIGY_MAX_PEM, description: `The ${what}` }), Keep], {
    description: `Write-only: the ${what}, or {"keep": true} to carry the org’s current one over`,
  });

export const DesiredSso = Type.Object(
  {
    kind: literals(SSO_KINDS),
    idpClientSecret: Type.Optional(SecretValue('client secret')),
    decryptionPrivateKey: Type.Optional(Type.Union([SecretValue('SAML decryption key (PEM)'), Type.Null()])),
  },
  {
    additionalProperties: true,
    description: `The SSO content the orgs should have: \`kind\` and Cognigy’s fields, as for a draft (each org's result is validated like one). String values may contain ${TEMPLATE_NAMES}.`,
  },
);
export type DesiredSso = Static<typeof DesiredSso>;

export const DesiredStateEntry = Type.Object(
  {
    orgs: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        minItems: 1,
        maxItems: 10000,
        description: 'Org slugs (or ids)',
      }),
    ),
    selector: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 2000,
        pattern: SELECTOR_PATTERN,
        description: 'A label selector, e.g. `env=prod,region=eu`: the orgs with all of these labels',
      }),
    ),
    note: Type.Optional(Note),
    sso: DesiredSso,
  },
  {
    additionalProperties: false,
    description: 'Orgs (exactly one of `orgs` and `selector`) and their SSO content',
  },
);
export type DesiredStateEntry = Static<typeof DesiredStateEntry>;

export const DesiredStateDocument = Type.Object(
  { entries: Type.Array(DesiredStateEntry, { maxItems: 10000 }) },
  { additionalProperties: false, description: 'The desired SSO state of a set of orgs' },
);
export type DesiredStateDocument = Static<typeof DesiredStateDocument>;

export const CreatePlanBody = Type.Object(
  { document: DesiredStateDocument },
  { additionalProperties: false },
);
export type CreatePlanBody = Static<typeof CreatePlanBody>;

export const PlanParams = Type.Object({ id: Uuid('Plan id') });

export const ApplyPlanBody = Type.Object(
  {
    approve: Type.Optional(
      Type.Boolean({
        description:
          'Also approve each draft in the same transaction (an approver other than the plan’s author; four eyes as everywhere)',
      }),
    ),
    comment: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type ApplyPlanBody = Static<typeof ApplyPlanBody>;

export const ExportQuery = Type.Object(
  {
    selector: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 2000,
        pattern: SELECTOR_PATTERN,
        description: 'Only orgs with these labels',
      }),
    ),
  },
  { additionalProperties: false },
);

const PointerError = Type.Object({ pointer: Type.String(), detail: Type.String() });

export const PLAN_ACTIONS = ['noop', 'draft', 'blocked', 'error'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

const FieldChangeView = Type.Object({
  field: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  secret: Type.Boolean({ description: 'A secret: before and after are fingerprints' }),
});

export const PlanOrgView = Type.Object({
  org: Type.Object({ id: Nullable(Uuid()), slug: Type.String({ description: 'As the document names it' }) }),
  entries: Type.Array(Type.Integer(), { description: 'The document’s entries that select this org' }),
  action: literals(PLAN_ACTIONS),
  baseVersion: Nullable(Type.Integer({ description: 'The org’s newest version when planned (0: none)' })),
  changes: Type.Array(FieldChangeView, { description: 'Field by field against the newest version' }),
  summary: Type.Array(Type.String()),
  validation: Nullable(ValidationReportView, {
    description:
      '`blocked`: the whole validation report; `draft`: its status and the checks that did not pass',
  }),
  errors: Type.Array(PointerError, { description: 'Why the action is `error`: pointers into the request' }),
  result: Type.Optional(
    Type.Object({
      status: Type.Integer({ description: '201 drafted, 409 the org moved since the plan, …' }),
      version: Nullable(Type.Integer()),
      approved: Type.Boolean(),
      problem: Nullable(
        Type.Object({
          code: Type.String(),
          detail: Type.String(),
          errors: Type.Optional(Type.Array(PointerError)),
        }),
      ),
    }),
  ),
});
export type PlanOrgView = Static<typeof PlanOrgView>;

const Totals = Type.Object({
  noop: Type.Integer(),
  draft: Type.Integer(),
  blocked: Type.Integer(),
  error: Type.Integer(),
});
export type PlanTotals = Static<typeof Totals>;

export const PlanView = Type.Object({
  id: Uuid(),
  hash: Type.String({ description: 'SHA-256 of what the plan would do, org by org' }),
  state: literals(['planned', 'applying', 'applied']),
  createdAt: Timestamp,
  createdBy: Actor,
  expiresAt: Timestamp,
  appliedAt: Nullable(Timestamp),
  appliedBy: Nullable(Actor),
  totals: Totals,
  errors: Type.Array(PointerError, { description: 'Problems of the document that concern no single org' }),
  orgs: Type.Array(PlanOrgView),
});
export type PlanView = Static<typeof PlanView>;
