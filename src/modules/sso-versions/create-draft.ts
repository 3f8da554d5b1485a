/**
 * A new draft from a request body (§4.1): normalised, its secrets given or carried over from the
 * version it is based on, validated (network, before any transaction), then written by
 * persistDraft in one transaction with its audit event.
 */
import type { Db } from '../../db/client.js';
import { BadRequestError, PreconditionRequiredError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { assertBase, type DraftPlan, type PersistDraftDeps, persistDraft } from './persist-draft.js';
import { normaliseDraft, type SecretField, type SsoContent, type SuppliedSecrets } from './sso-content.js';
import type { SsoValidator } from './sso-validation.js';
import { type VersionRow, ssoVersionsRepository as versions } from './sso-versions.repository.js';
import type { CreateDraftBody } from './sso-versions.schemas.js';
import { hasSecret, openVersionSecret, type SecretSource } from './version-secrets.js';

export interface PlanDraftDeps {
  readonly db: Db;
  readonly secrets: PersistDraftDeps['secrets'];
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly allowHttp: boolean;
  readonly now: () => Date;
}

export interface CreateDraftDeps extends PlanDraftDeps, PersistDraftDeps {
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite'>;
}

/** Where each secret of a draft made from `supplied` comes from (carried over from `head` when omitted). */
function sourcesFor(content: SsoContent, supplied: SuppliedSecrets, head: VersionRow | null) {
  const carryOrNone = (field: SecretField): SecretSource =>
    head && hasSecret(head, field) ? { kind: 'carry', from: head } : { kind: 'none' };
  const sources: Record<SecretField, SecretSource> = {
    idpClientSecret: { kind: 'none' },
    decryptionPrivateKey: { kind: 'none' },
  };
  if (content.kind === 'oidc') {
    sources.idpClientSecret =
      supplied.idpClientSecret !== undefined
        ? { kind: 'value', plain: supplied.idpClientSecret }
        : carryOrNone('idpClientSecret');
    if (sources.idpClientSecret.kind === 'none') {
      throw new BadRequestError(
        'SSO_CLIENT_SECRET_REQUIRED',
        `idpClientSecret is required: the version this draft is based on (${head ? `v${head.number}, ${head.kind}` : 'none'}) has no client secret to keep`,
        { errors: [{ pointer: '/body/idpClientSecret', detail: 'is required (nothing to carry over)' }] },
      );
    }
  }
  if (content.kind === 'saml') {
    const key = supplied.decryptionPrivateKey;
    sources.decryptionPrivateKey =
      key === undefined
        ? carryOrNone('decryptionPrivateKey')
        : key === null
          ? { kind: 'none' }
          : { kind: 'value', plain: key };
  }
  return sources;
}

/**
 * When the draft's client secret expires: as given (a date, or null for none); omitted, the expiry
 * of a secret carried over comes with it, and a new secret has none.
 */
function clientSecretExpiry(
  supplied: SuppliedSecrets,
  source: SecretSource,
  head: VersionRow | null,
): Date | null {
  if (source.kind === 'none') return null;
  if (supplied.idpClientSecretExpiresAt !== undefined) return supplied.idpClientSecretExpiresAt;
  return source.kind === 'carry' && head ? head.clientSecretExpiresAt : null;
}

/**
 * A new draft from a body as far as it goes without the network: normalised, where each secret comes
 * from (given, or carried over from `head`), and when the client secret expires.
 * @throws BadRequestError when a secret is required and there is none to carry over
 */
export function prepareDraft(allowHttp: boolean, now: Date, body: CreateDraftBody, head: VersionRow | null) {
  const normalised = normaliseDraft(body, { allowHttp, now });
  const sources = sourcesFor(normalised.content, normalised.secrets, head);
  const clientSecretExpiresAt = clientSecretExpiry(normalised.secrets, sources.idpClientSecret, head);
  return { normalised, sources, clientSecretExpiresAt };
}

/** The plan of a new draft from a body: normalise, pick secrets, validate (network, before any transaction). */
export async function planDraft(
  { db, secrets, validator, allowHttp, now }: PlanDraftDeps,
  body: CreateDraftBody,
  head: VersionRow | null,
  extra: Pick<DraftPlan, 'expectedBase' | 'bulkId'>,
): Promise<DraftPlan> {
  const { normalised, sources, clientSecretExpiresAt } = prepareDraft(allowHttp, now(), body, head);
  let probe: { clientId: string; clientSecret: string } | undefined;
  if (body.kind === 'oidc' && body.probe && normalised.content.kind === 'oidc') {
    const source = sources.idpClientSecret;
    const secret =
      source.kind === 'value'
        ? source.plain
        : source.kind === 'carry'
          ? await openVersionSecret(secrets, db, source.from, 'idpClientSecret')
          : null;
    if (secret) probe = { clientId: normalised.content.idpClientId, clientSecret: secret };
  }
  const outcome = await validator.validate(normalised.content, {
    ...(probe ? { probe } : {}),
    now: now(),
    clientSecretExpiresAt,
  });
  return {
    content: outcome.content,
    sources,
    clientSecretExpiresAt,
    report: outcome.report,
    note: body.note ?? null,
    rollbackOf: null,
    ...extra,
  };
}

/** POST …/sso/versions: the draft must name the version it is based on (body or If-Match). */
export async function createDraft(
  deps: CreateDraftDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  body: CreateDraftBody,
  ifMatch: number | undefined,
) {
  const expectedBase = body.baseVersion ?? ifMatch;
  if (body.baseVersion !== undefined && ifMatch !== undefined && body.baseVersion !== ifMatch) {
    throw new BadRequestError('REQUEST_REVISION_MISMATCH', 'If-Match and baseVersion in the body disagree');
  }
  if (expectedBase === undefined) {
    throw new PreconditionRequiredError(
      'SSO_BASE_VERSION_REQUIRED',
      'Name the version this draft is based on: baseVersion in the body (0 for the first) or If-Match with the ETag of GET …/sso/versions',
      { errors: [{ pointer: '/body/baseVersion', detail: 'is required (or send If-Match)' }] },
    );
  }
  const org = await deps.orgs.find(principal, ref);
  const head = await versions.head(deps.db, org.id);
  assertBase(head, expectedBase); // fail before the network; checked again under the lock
  const plan = await planDraft(deps, body, head, { expectedBase, bulkId: null });
  return deps.change(ctx, (tx, trail) => persistDraft(deps, tx, trail, principal, org.id, plan));
}
