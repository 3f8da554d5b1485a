/**
 * What applying a document entry would do to one org: its draft body (placeholders filled, secrets
 * given or kept), checked like any draft, compared field by field with the org's newest version
 * (secrets by fingerprint), and — only when it changes something — validated against its IdP
 * (discovery is cached per issuer). No write happens here.
 */
import type { Db } from '../../db/client.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { createBodyAjv, fieldErrorsOf } from '../../lib/json-schema.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { prepareDraft } from '../sso-versions/create-draft.js';
import {
  contentFields,
  SECRET_FIELDS,
  type SecretField,
  type SsoContent,
} from '../sso-versions/sso-content.js';
import { type Comparable, diffVersions, type VersionDiff } from '../sso-versions/sso-diff.js';
import { fillTemplates } from '../sso-versions/sso-templates.js';
import type { SsoValidator, ValidationReport } from '../sso-versions/sso-validation.js';
import type { VersionRow } from '../sso-versions/sso-versions.repository.js';
import { CreateDraftBody } from '../sso-versions/sso-versions.schemas.js';
import type { SecretSource } from '../sso-versions/version-secrets.js';
import { comparable } from '../sso-versions/version-view.js';
import type { DesiredStateEntry, PlanAction } from './plans.schemas.js';

export interface PlanOrgDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'fingerprint'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly allowHttp: boolean;
}

/**
 * What one plan has learnt of its issuers: an issuer whose discovery document could not be read
 * (unreachable, refused, not JSON) gives every org the same report, so it is asked once per plan, not
 * once per org (a failure is not kept in the discovery cache, which keeps successes only).
 */
export interface PlanSession {
  readonly unreadable: Map<string, Awaited<ReturnType<SsoValidator['validate']>>>;
}

export const newPlanSession = (): PlanSession => ({ unreadable: new Map() });

/** The checks after which a failure means the document itself was never read. */
const READ_CHECKS = new Set(['issuer_url', 'network_policy', 'document_fetched']);

async function validated(
  deps: PlanOrgDeps,
  session: PlanSession,
  content: SsoContent,
  options: { now: Date; clientSecretExpiresAt: Date | null },
) {
  if (content.kind !== 'oidc') return deps.validator.validate(content, options);
  const known = session.unreadable.get(content.idpIssuer);
  // Never read, so nothing of it to take over: the content stays as entered.
  if (known) return { report: known.report, content };
  const outcome = await deps.validator.validate(content, options);
  if (outcome.report.checks.some((c) => c.status === 'fail' && READ_CHECKS.has(c.name))) {
    session.unreadable.set(content.idpIssuer, outcome);
  }
  return outcome;
}

export interface OrgOutcome {
  readonly action: PlanAction;
  readonly diff: VersionDiff | null;
  readonly report: ValidationReport | null;
  readonly errors: FieldError[];
  /** For `draft`: what apply writes. */
  readonly draft?: {
    readonly content: SsoContent;
    readonly sources: Readonly<Record<SecretField, SecretSource>>;
    readonly clientSecretExpiresAt: Date | null;
    readonly report: ValidationReport;
  };
}

const NOTHING: Comparable = {
  number: 0,
  kind: 'none',
  content: {},
  secrets: { idpClientSecret: null, decryptionPrivateKey: null },
};

let validateBody: ReturnType<typeof compileDraftBody> | undefined;
function compileDraftBody() {
  return createBodyAjv().compile(CreateDraftBody);
}

/** A request-body pointer (`/body/…`) as a pointer into the document's entry. */
const intoEntry = (errors: readonly FieldError[], base: string): FieldError[] =>
  errors.map((e) => ({ ...e, pointer: e.pointer.replace(/^\/body/, base) }));

/** The draft body the entry makes for this org, based on its newest version. */
function draftBodyFor(entry: DesiredStateEntry, org: OrgRow, head: VersionRow | null, base: string) {
  const { kind, idpClientSecret, decryptionPrivateKey, ...fields } = entry.sso as Record<string, unknown>;
  const body: Record<string, unknown> = {
    kind,
    ...fillTemplates(fields, org, base),
    baseVersion: head?.number ?? 0,
    ...(entry.note ? { note: entry.note } : {}),
  };
  // A secret given as text is the new one; {"keep": true} is left out, which carries the current one over.
  if (typeof idpClientSecret === 'string') body.idpClientSecret = idpClientSecret;
  if (typeof decryptionPrivateKey === 'string' || decryptionPrivateKey === null)
    body.decryptionPrivateKey = decryptionPrivateKey;
  return body;
}

/** The planned draft as the diff compares it: secrets by fingerprint, as a new version would hold them. */
async function candidateOf(
  deps: PlanOrgDeps,
  tenantId: string,
  content: SsoContent,
  sources: Readonly<Record<SecretField, SecretSource>>,
  clientSecretExpiresAt: Date | null,
  head: VersionRow | null,
): Promise<Comparable> {
  const number = (head?.number ?? 0) + 1;
  const headSecrets = head ? comparable(head).secrets : NOTHING.secrets;
  const secrets = {} as Record<SecretField, Comparable['secrets'][SecretField]>;
  for (const field of SECRET_FIELDS) {
    const source = sources[field];
    const held =
      source.kind === 'value'
        ? { fingerprint: await deps.secrets.fingerprint(deps.db, tenantId, source.plain), changedIn: number }
        : source.kind === 'carry'
          ? headSecrets[field]
          : null;
    secrets[field] =
      held && field === 'idpClientSecret'
        ? { ...held, expiresAt: clientSecretExpiresAt?.toISOString() ?? null }
        : held;
  }
  return { number, kind: content.kind, content: contentFields(content), secrets };
}

export async function planOrg(
  deps: PlanOrgDeps,
  tenantId: string,
  org: OrgRow,
  entry: DesiredStateEntry,
  base: string,
  head: VersionRow | null,
  now: Date,
  session: PlanSession,
): Promise<OrgOutcome> {
  const failed = (errors: FieldError[]): OrgOutcome => ({
    action: 'error',
    diff: null,
    report: null,
    errors,
  });
  try {
    const body = draftBodyFor(entry, org, head, base);
    validateBody ??= compileDraftBody();
    if (!validateBody(body)) return failed(intoEntry(fieldErrorsOf('body', validateBody.errors ?? []), base));
    const { normalised, sources, clientSecretExpiresAt } = prepareDraft(
      deps.allowHttp,
      now,
      body as CreateDraftBody,
      head,
    );
    const from = head ? comparable(head) : NOTHING;
    const before = diffVersions(
      from,
      await candidateOf(deps, tenantId, normalised.content, sources, clientSecretExpiresAt, head),
    );
    if (head && before.equal) return { action: 'noop', diff: before, report: null, errors: [] };

    const outcome = await validated(deps, session, normalised.content, { now, clientSecretExpiresAt });
    // The validated content may differ from the entered one (the issuer as the IdP publishes it).
    const diff = diffVersions(
      from,
      await candidateOf(deps, tenantId, outcome.content, sources, clientSecretExpiresAt, head),
    );
    if (head && diff.equal) return { action: 'noop', diff, report: null, errors: [] };
    if (outcome.report.status === 'fail')
      return { action: 'blocked', diff, report: outcome.report, errors: [] };
    return {
      action: 'draft',
      diff,
      report: outcome.report,
      errors: [],
      draft: { content: outcome.content, sources, clientSecretExpiresAt, report: outcome.report },
    };
  } catch (error) {
    if (error instanceof AppError) {
      const errors = error.extra.errors ? intoEntry(error.extra.errors, base) : [];
      return failed(errors.length > 0 ? errors : [{ pointer: base, detail: error.message }]);
    }
    throw error;
  }
}
