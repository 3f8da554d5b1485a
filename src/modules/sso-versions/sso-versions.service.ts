/**
 * SSO versions (§4): drafts validated before they are written, immutable once written, reviewed by
 * a second person, diffed, rolled back. Every change is one transaction with its audit events; no
 * network call happens inside one (validation runs before, forwarding after).
 */
import type { Db, Tx } from '../../db/client.js';
import { decodeCursor, encodeCursor, pageOf } from '../../lib/cursor.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionRequiredError,
} from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { AuditTrailWriter, ChangeRunner } from '../audit/audited-change.js';
import { changes, created } from '../audit/diff.js';
import { canSeeOrg, type TenantPrincipal } from '../auth/principal.js';
import { CryptoError } from '../crypto/crypto-error.js';
import type { SecretLocation, SecretsService } from '../crypto/secrets.service.js';
import { type CognigyRequest, cognigyRequest, maskCognigyRequest } from '../forwarding/cognigy-request.js';
import { deliveryView } from '../forwarding/delivery-state.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { tenantsRepository as tenants } from '../tenants/tenants.repository.js';
import { setupHelp } from './setup-help.js';
import {
  contentFields,
  contentHash,
  contentOf,
  normaliseDraft,
  SECRET_FIELDS,
  type SecretField,
  type SsoContent,
  type SuppliedSecrets,
} from './sso-content.js';
import { type Comparable, diffVersions, type VersionDiff } from './sso-diff.js';
import { type ApproveCommand, decideApproval, decideRejection } from './sso-review.js';
import { readSsoState } from './sso-state.repository.js';
import type { SsoValidator, ValidationReport } from './sso-validation.js';
import {
  type ValidationRow,
  type VersionRow,
  ssoVersionsRepository as versions,
} from './sso-versions.repository.js';
import type {
  ApproveBody,
  CreateDraftBody,
  ListVersionsQuery,
  RollbackBody,
  SsoStateView,
  VersionView,
} from './sso-versions.schemas.js';

/**
 * The seam of the forwarding issue: called inside the approval's transaction with the approved
 * version and the versions it superseded, so that the deployment is enqueued in the same commit
 * (no approval without its deployment, no deployment without its approval — §6).
 */
export type ApprovalHook = (
  tx: Tx,
  trail: AuditTrailWriter,
  approved: VersionRow,
  superseded: readonly VersionRow[],
) => Promise<void>;

export interface SsoVersionsServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'sealSecret' | 'openSecret' | 'fingerprint'>;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite' | 'loadCognigyCredentials'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly allowHttp: boolean;
  readonly onApproved?: ApprovalHook;
  readonly now?: () => Date;
}

/** Where a version's secret is sealed: bound to tenant, org, version number and field. */
export const versionSecretLocation = (
  tenantId: string,
  orgId: string,
  number: number,
  field: SecretField,
): SecretLocation => ({ tenantId, orgId, record: `sso_versions/${number}`, field });

const COLUMNS = {
  idpClientSecret: {
    sealed: 'clientSecretSealed',
    fingerprint: 'clientSecretFingerprint',
    changedIn: 'clientSecretChangedIn',
  },
  decryptionPrivateKey: {
    sealed: 'decryptionKeySealed',
    fingerprint: 'decryptionKeyFingerprint',
    changedIn: 'decryptionKeyChangedIn',
  },
} as const satisfies Record<SecretField, Record<string, keyof VersionRow>>;

function secretRef(row: VersionRow, field: SecretField) {
  const c = COLUMNS[field];
  const fingerprint = row[c.fingerprint];
  return fingerprint === null ? null : { fingerprint, changedIn: row[c.changedIn] as number };
}

export function versionContent(row: VersionRow): SsoContent {
  return contentOf(row.kind, row.content);
}

function toValidationView(row: ValidationRow | null): VersionView['validation'] {
  if (!row) return null;
  const report = row.report as unknown as ValidationReport;
  return {
    status: report.status,
    checkedAt: row.checkedAt.toISOString(),
    checkedBy: { id: row.requestedById, name: row.requestedByName },
    checks: report.checks as never,
    discovery: report.discovery as never,
  };
}

export function toVersionView(row: VersionRow, validation: ValidationRow | null): VersionView {
  return {
    id: row.id,
    orgId: row.orgId,
    number: row.number,
    kind: row.kind as VersionView['kind'],
    content: row.content as VersionView['content'],
    secrets: {
      idpClientSecret: secretRef(row, 'idpClientSecret'),
      decryptionPrivateKey: secretRef(row, 'decryptionPrivateKey'),
    },
    contentHash: row.contentHash,
    baseVersion: row.baseVersion,
    rollbackOf: row.rollbackOf,
    bulkId: row.bulkId,
    note: row.note,
    createdBy: { id: row.createdById, name: row.createdByName },
    createdAt: row.createdAt.toISOString(),
    review: {
      state: row.reviewState as VersionView['review']['state'],
      reviewedBy: row.reviewedByName === null ? null : { id: row.reviewedById, name: row.reviewedByName },
      reviewedAt: row.reviewedAt?.toISOString() ?? null,
      comment: row.reviewComment,
      overrideReason: row.overrideReason,
      selfApproved: row.selfApproved,
      approvedHash: row.approvedHash,
      supersededBy: row.supersededBy,
      supersededAt: row.supersededAt?.toISOString() ?? null,
    },
    validation: toValidationView(validation),
  };
}

/** What the audit trail records of a version: the view without the report (its status only). */
function auditView(row: VersionRow, validationStatus?: string) {
  const { validation: _report, ...view } = toVersionView(row, null);
  return validationStatus ? { ...view, validationStatus } : view;
}

const reviewOf = (row: VersionRow) => ({ review: toVersionView(row, null).review });

const comparable = (row: VersionRow): Comparable => ({
  number: row.number,
  kind: row.kind,
  content: row.content as Record<string, unknown>,
  secrets: {
    idpClientSecret: secretRef(row, 'idpClientSecret'),
    decryptionPrivateKey: secretRef(row, 'decryptionPrivateKey'),
  },
});

const versionNotFound = (number: number) =>
  new NotFoundError('SSO_VERSION_NOT_FOUND', `The org has no version ${number}`);

const secretsUnavailable = (number: number, cause: unknown) =>
  new ConflictError(
    'SSO_SECRETS_UNAVAILABLE',
    `The secrets of version ${number} can no longer be decrypted (the org’s data key was destroyed): supply them anew`,
    { body: { cause: cause instanceof CryptoError ? cause.code : 'unknown' } },
  );

/** Where each secret of a new version comes from. */
type SecretSource =
  | { readonly kind: 'value'; readonly plain: string }
  | { readonly kind: 'carry'; readonly from: VersionRow }
  | { readonly kind: 'none' };

export interface DraftPlan {
  readonly content: SsoContent;
  readonly sources: Readonly<Record<SecretField, SecretSource>>;
  readonly report: ValidationReport;
  /** undefined: based on whatever the head is (rollback without baseVersion). */
  readonly expectedBase: number | undefined;
  readonly note: string | null;
  readonly rollbackOf: number | null;
  readonly bulkId: string | null;
}

export function createSsoVersionsService(deps: SsoVersionsServiceDeps) {
  const { db, change, secrets, orgs, validator, allowHttp, onApproved } = deps;
  const now = deps.now ?? (() => new Date());

  function assertBase(head: VersionRow | null, expected: number | undefined): void {
    const current = head?.number ?? 0;
    if (expected !== undefined && expected !== current) {
      throw new ConflictError(
        'SSO_BASE_VERSION_STALE',
        `The org’s newest version is ${current}, not ${expected}: someone created a version since you read it. Review it and base your draft on it.`,
        { body: { current: head ? toVersionView(head, null) : null, headVersion: current } },
      );
    }
  }

  async function openVersionSecret(
    row: VersionRow,
    field: SecretField,
    client: Db = db,
  ): Promise<string | null> {
    const sealed = row[COLUMNS[field].sealed];
    if (sealed === null) return null;
    try {
      return await secrets.openSecret(
        client,
        versionSecretLocation(row.tenantId, row.orgId, row.number, field),
        sealed,
      );
    } catch (error) {
      throw secretsUnavailable(row.number, error);
    }
  }

  /** Where each secret of a draft made from `supplied` comes from (carried over from `head` when omitted). */
  function sourcesFor(content: SsoContent, supplied: SuppliedSecrets, head: VersionRow | null) {
    const carryOrNone = (field: SecretField): SecretSource =>
      head && head[COLUMNS[field].sealed] !== null ? { kind: 'carry', from: head } : { kind: 'none' };
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

  /** Seals each secret for the new version's own location: carried ciphertext is re-bound, never shared. */
  async function sealSecrets(
    tx: Tx,
    tenantId: string,
    orgId: string,
    number: number,
    head: VersionRow | null,
    sources: DraftPlan['sources'],
  ) {
    const out: Record<string, string | number | null> = {};
    const fingerprints = {} as Record<SecretField, string | null>;
    for (const field of SECRET_FIELDS) {
      const source = sources[field];
      const c = COLUMNS[field];
      let plain: string | null = null;
      let fingerprint: string | null = null;
      if (source.kind === 'value') {
        plain = source.plain;
        fingerprint = await secrets.fingerprint(tx, tenantId, plain);
      } else if (source.kind === 'carry') {
        plain = await openVersionSecret(source.from, field, tx);
        fingerprint = source.from[c.fingerprint];
      }
      if (plain === null || fingerprint === null) {
        out[c.sealed] = null;
        out[c.fingerprint] = null;
        out[c.changedIn] = null;
        fingerprints[field] = null;
        continue;
      }
      out[c.sealed] = await secrets.sealSecret(
        tx,
        versionSecretLocation(tenantId, orgId, number, field),
        plain,
      );
      out[c.fingerprint] = fingerprint;
      // "Changed in vN": unchanged from the predecessor keeps the predecessor's N.
      out[c.changedIn] = head && head[c.fingerprint] === fingerprint ? (head[c.changedIn] as number) : number;
      fingerprints[field] = fingerprint;
    }
    return {
      columns: out as unknown as Pick<
        VersionRow,
        (typeof COLUMNS)[SecretField][keyof (typeof COLUMNS)[SecretField]]
      >,
      fingerprints,
    };
  }

  /** Writes a planned draft (lock the org, check the base, seal, hash, insert, audit). */
  async function persistDraft(
    tx: Tx,
    trail: AuditTrailWriter,
    principal: TenantPrincipal,
    orgId: string,
    plan: DraftPlan,
  ): Promise<{ version: VersionRow; validation: ValidationRow }> {
    const org = await orgs.lockForWrite(tx, principal, orgId, undefined);
    const head = await versions.head(tx, org.id);
    assertBase(head, plan.expectedBase);
    const number = (head?.number ?? 0) + 1;
    const sealed = await sealSecrets(tx, principal.tenantId, org.id, number, head, plan.sources);
    const version = await versions.insert(tx, {
      tenantId: principal.tenantId,
      orgId: org.id,
      number,
      kind: plan.content.kind,
      content: contentFields(plan.content) as object,
      ...sealed.columns,
      contentHash: contentHash(org.id, plan.content, sealed.fingerprints),
      baseVersion: head?.number ?? null,
      rollbackOf: plan.rollbackOf,
      bulkId: plan.bulkId,
      note: plan.note,
      createdById: principal.keyId,
      createdByName: principal.keyName,
    });
    const validation = await versions.insertValidation(tx, {
      tenantId: principal.tenantId,
      orgId: org.id,
      versionId: version.id,
      status: plan.report.status,
      report: plan.report as object,
      requestedById: principal.keyId,
      requestedByName: principal.keyName,
    });
    await trail.record({
      tenantId: principal.tenantId,
      action: plan.rollbackOf === null ? 'sso_version.created' : 'sso_version.rollback_created',
      target: { type: 'sso_version', id: version.id },
      orgId: org.id,
      diff: created(auditView(version, plan.report.status)),
    });
    return { version, validation };
  }

  /** Approves `version` inside the caller's transaction (the org row is locked by the caller). */
  async function approveInTx(
    tx: Tx,
    trail: AuditTrailWriter,
    principal: TenantPrincipal,
    version: VersionRow,
    command: ApproveCommand & { comment?: string },
  ): Promise<VersionRow> {
    const validation = await versions.latestValidation(tx, version.id);
    const latestApproved = await versions.latestApproved(tx, version.orgId);
    const settings = await tenants.settings(tx, principal.tenantId);
    const decision = decideApproval(
      {
        version,
        validation: validation?.report as unknown as ValidationReport,
        latestApproved: latestApproved?.number ?? null,
        settings,
      },
      principal,
      command,
    );
    const approved = await versions.review(tx, version.id, {
      reviewState: decision.state,
      reviewedById: principal.keyId,
      reviewedByName: principal.keyName,
      reviewedAt: now(),
      reviewComment: command.comment ?? null,
      overrideReason: decision.overrideReason,
      selfApproved: decision.selfApproved,
      approvedHash: decision.approvedHash,
    });
    const superseded = await versions.supersedeOlderApproved(tx, version.orgId, version.number);
    await trail.record({
      tenantId: principal.tenantId,
      action: 'sso_version.approved',
      target: { type: 'sso_version', id: version.id },
      orgId: version.orgId,
      diff: changes(
        { number: version.number, ...reviewOf(version) },
        { number: version.number, ...reviewOf(approved), validationStatus: validation?.status ?? null },
      ),
    });
    for (const old of superseded) {
      await trail.record({
        tenantId: principal.tenantId,
        action: 'sso_version.superseded',
        target: { type: 'sso_version', id: old.id },
        orgId: old.orgId,
        diff: {
          before: { number: old.number, state: 'approved' },
          after: { number: old.number, state: 'superseded', supersededBy: version.number },
        },
      });
    }
    if (onApproved) await onApproved(tx, trail, approved, superseded);
    return approved;
  }

  /** Locks the org for this change and reads one of its versions (404 when it has none of that number). */
  async function lockVersion(tx: Tx, principal: TenantPrincipal, ref: string, number: number) {
    const org = await orgs.lockForWrite(tx, principal, ref, undefined);
    const row = await versions.get(tx, org.id, number);
    if (!row) throw versionNotFound(number);
    return row;
  }

  async function findVersion(principal: TenantPrincipal, ref: string, number: number) {
    const org = await orgs.find(principal, ref);
    const row = await versions.get(db, org.id, number);
    if (!row) throw versionNotFound(number);
    return { org, row };
  }

  /** The plan of a new draft from a body: normalise, pick secrets, validate (network, before any transaction). */
  async function planDraft(
    body: CreateDraftBody,
    head: VersionRow | null,
    extra: Pick<DraftPlan, 'expectedBase' | 'bulkId'>,
  ): Promise<DraftPlan> {
    const normalised = normaliseDraft(body, { allowHttp, now: now() });
    const sources = sourcesFor(normalised.content, normalised.secrets, head);
    let probe: { clientId: string; clientSecret: string } | undefined;
    if (body.kind === 'oidc' && body.probe && normalised.content.kind === 'oidc') {
      const source = sources.idpClientSecret;
      const secret =
        source.kind === 'value'
          ? source.plain
          : source.kind === 'carry'
            ? await openVersionSecret(source.from, 'idpClientSecret')
            : null;
      if (secret) probe = { clientId: normalised.content.idpClientId, clientSecret: secret };
    }
    const outcome = await validator.validate(normalised.content, { ...(probe ? { probe } : {}), now: now() });
    return {
      content: outcome.content,
      sources,
      report: outcome.report,
      note: body.note ?? null,
      rollbackOf: null,
      ...extra,
    };
  }

  return {
    /** A version as forwarding needs it: content, hashes, and its secrets opened on demand. */
    async forwardable(versionId: string) {
      const row = await versions.byId(db, versionId);
      if (!row) return null;
      return {
        content: versionContent(row),
        contentHash: row.contentHash,
        approvedHash: row.approvedHash,
        openSecrets: async () => ({
          idpClientSecret: (await openVersionSecret(row, 'idpClientSecret')) ?? undefined,
          decryptionPrivateKey: await openVersionSecret(row, 'decryptionPrivateKey'),
        }),
      };
    },
    view: toVersionView,
    versionContent,
    persistDraft,
    planDraft,
    approveInTx,

    async createDraft(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      body: CreateDraftBody,
      ifMatch: number | undefined,
    ) {
      const expectedBase = body.baseVersion ?? ifMatch;
      if (body.baseVersion !== undefined && ifMatch !== undefined && body.baseVersion !== ifMatch) {
        throw new BadRequestError(
          'REQUEST_REVISION_MISMATCH',
          'If-Match and baseVersion in the body disagree',
        );
      }
      if (expectedBase === undefined) {
        throw new PreconditionRequiredError(
          'SSO_BASE_VERSION_REQUIRED',
          'Name the version this draft is based on: baseVersion in the body (0 for the first) or If-Match with the ETag of GET …/sso/versions',
          { errors: [{ pointer: '/body/baseVersion', detail: 'is required (or send If-Match)' }] },
        );
      }
      const org = await orgs.find(principal, ref);
      const head = await versions.head(db, org.id);
      assertBase(head, expectedBase); // fail before the network; checked again under the lock
      const plan = await planDraft(body, head, { expectedBase, bulkId: null });
      return change(ctx, (tx, trail) => persistDraft(tx, trail, principal, org.id, plan));
    },

    async list(principal: TenantPrincipal, ref: string, query: ListVersionsQuery) {
      const org = await orgs.find(principal, ref);
      const limit = query.limit ?? 50;
      const before = query.cursor ? Number(decodeCursor(query.cursor, ['number'])[0]) : undefined;
      if (before !== undefined && !(Number.isInteger(before) && before >= 1 && before <= 2_147_483_647)) {
        throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued');
      }
      const { rows, reports, head } = await versions.pageWithReports(db, org.id, {
        ...(query.state ? { state: query.state } : {}),
        ...(before !== undefined ? { before } : {}),
        limit: limit + 1,
      });
      const page = pageOf(rows, limit, (last) => encodeCursor([last.number]));
      return {
        items: page.items.map((r) => toVersionView(r, reports.get(r.id) ?? null)),
        nextCursor: page.nextCursor,
        headVersion: head,
      };
    },

    async get(principal: TenantPrincipal, ref: string, number: number) {
      const { row } = await findVersion(principal, ref, number);
      return toVersionView(row, await versions.latestValidation(db, row.id));
    },

    /** Re-runs validation (fresh discovery by default) and stores the new report. */
    async validateAgain(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      number: number,
      refresh: boolean,
    ) {
      const { org, row } = await findVersion(principal, ref, number);
      const previous = await versions.latestValidation(db, row.id);
      const { report } = await validator.validate(versionContent(row), { refresh, now: now() });
      return change(ctx, async (tx, trail) => {
        await orgs.lockForWrite(tx, principal, org.id, undefined);
        const validation = await versions.insertValidation(tx, {
          tenantId: principal.tenantId,
          orgId: org.id,
          versionId: row.id,
          status: report.status,
          report: report as object,
          requestedById: principal.keyId,
          requestedByName: principal.keyName,
        });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'sso_version.validated',
          target: { type: 'sso_version', id: row.id },
          orgId: org.id,
          diff: {
            before: { number, validationStatus: previous?.status ?? null },
            after: {
              number,
              validationStatus: report.status,
              failedChecks: report.checks.filter((c) => c.status === 'fail').map((c) => c.name),
            },
          },
        });
        return toVersionView(row, validation);
      });
    },

    async approve(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      number: number,
      body: ApproveBody,
    ) {
      return change(ctx, async (tx, trail) => {
        const row = await lockVersion(tx, principal, ref, number);
        const approved = await approveInTx(tx, trail, principal, row, body);
        return toVersionView(approved, await versions.latestValidation(tx, row.id));
      });
    },

    async reject(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      number: number,
      comment: string,
    ) {
      return change(ctx, async (tx, trail) => {
        const row = await lockVersion(tx, principal, ref, number);
        const decision = decideRejection({ version: row });
        const rejected = await versions.review(tx, row.id, {
          reviewState: decision.state,
          reviewedById: principal.keyId,
          reviewedByName: principal.keyName,
          reviewedAt: now(),
          reviewComment: comment,
        });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'sso_version.rejected',
          target: { type: 'sso_version', id: row.id },
          orgId: row.orgId,
          diff: changes({ number, ...reviewOf(row) }, { number, ...reviewOf(rejected) }),
        });
        return toVersionView(rejected, await versions.latestValidation(tx, row.id));
      });
    },

    /** A new draft equal to version `number` (secrets included); optionally approved in the same call. */
    async rollback(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      number: number,
      body: RollbackBody,
      ifMatch: number | undefined,
    ) {
      const { org, row: target } = await findVersion(principal, ref, number);
      if (body.approve) {
        if (!principal.roles.includes('approver')) {
          throw new ForbiddenError(
            'AUTH_ROLE_REQUIRED',
            'Approving a rollback in the same call needs the approver role',
          );
        }
        const settings = await tenants.settings(db, principal.tenantId);
        if (!settings.allowRollbackApproval) {
          throw new ForbiddenError(
            'SSO_ROLLBACK_APPROVAL_DISABLED',
            'This tenant does not allow approving a rollback in the same call (setting allowRollbackApproval); create the rollback draft and have it approved',
          );
        }
      }
      const expectedBase = body.baseVersion ?? ifMatch;
      const head = await versions.head(db, org.id);
      assertBase(head, expectedBase);
      const content = versionContent(target);
      const { report } = await validator.validate(content, { now: now() });
      const sources = Object.fromEntries(
        SECRET_FIELDS.map((field) => [
          field,
          target[COLUMNS[field].sealed] === null ? { kind: 'none' } : { kind: 'carry', from: target },
        ]),
      ) as Record<SecretField, SecretSource>;
      const note = `Rollback to v${number}${body.note ? `: ${body.note}` : ''}`;
      return change(ctx, async (tx, trail) => {
        const { version, validation } = await persistDraft(tx, trail, principal, org.id, {
          content,
          sources,
          report,
          expectedBase,
          note,
          rollbackOf: number,
          bulkId: null,
        });
        if (!body.approve) return toVersionView(version, validation);
        const approved = await approveInTx(tx, trail, principal, version, {
          viaRollback: true,
          ...(body.overrideReason ? { overrideReason: body.overrideReason } : {}),
          comment: note,
        });
        return toVersionView(approved, validation);
      });
    },

    async diff(
      principal: TenantPrincipal,
      ref: string,
      number: number,
      against: string,
    ): Promise<VersionDiff & { orgId: string }> {
      const { org, row } = await findVersion(principal, ref, number);
      let other: VersionRow | null;
      if (against === 'live') {
        other = await versions.latestApproved(db, org.id);
        if (!other) {
          throw new ConflictError(
            'SSO_NO_LIVE_VERSION',
            'The org has no approved version yet: diff against a version number',
          );
        }
      } else {
        other = await versions.get(db, org.id, Number(against));
        if (!other) throw versionNotFound(Number(against));
      }
      return { orgId: org.id, ...diffVersions(comparable(other), comparable(row)) };
    },

    /** The exact request forwarding would send, with the API key and secrets masked. */
    async cognigyRequest(principal: TenantPrincipal, ref: string, number: number) {
      const { org, row } = await findVersion(principal, ref, number);
      const target = await orgs.loadCognigyCredentials(principal.tenantId, org.id).catch((error: unknown) => {
        throw secretsUnavailable(number, error);
      });
      if (!target || !org.cognigy) {
        throw new ConflictError(
          'COGNIGY_TARGET_MISSING',
          'The org has no Cognigy target yet: set it with PUT /v1/orgs/{org}/cognigy',
        );
      }
      const plain = {
        idpClientSecret: (await openVersionSecret(row, 'idpClientSecret')) ?? undefined,
        decryptionPrivateKey: await openVersionSecret(row, 'decryptionPrivateKey'),
      };
      const request: CognigyRequest = cognigyRequest(target, versionContent(row), plain);
      const masked = maskCognigyRequest(request, {
        apiKey: org.cognigy.apiKeyFingerprint,
        ...(row.clientSecretFingerprint ? { idpClientSecret: row.clientSecretFingerprint } : {}),
        ...(row.decryptionKeyFingerprint ? { decryptionPrivateKey: row.decryptionKeyFingerprint } : {}),
      });
      return { version: row.number, contentHash: row.contentHash, ...masked };
    },

    async state(principal: TenantPrincipal, ref: string): Promise<SsoStateView> {
      const row = await readSsoState(
        db,
        principal.tenantId,
        isUuid(ref) ? { id: ref.toLowerCase() } : { slug: ref },
      );
      if (!row || !canSeeOrg(principal, row.org_id)) throw new NotFoundError('ORG_NOT_FOUND', 'No such org');
      return {
        orgId: row.org_id,
        headVersion: row.head,
        desired:
          row.desired_number !== null
            ? {
                number: row.desired_number,
                kind: row.desired_kind as VersionView['kind'],
                contentHash: row.desired_hash as string,
                approvedAt: (row.desired_at as Date).toISOString(),
                approvedBy: { id: row.desired_by_id, name: row.desired_by_name as string },
              }
            : null,
        pendingDrafts: row.drafts,
        ...deliveryView(row),
        setup: setupHelp(
          row.api_base === null ? null : { apiBase: row.api_base, organisationId: row.organisation_id },
        ),
      };
    },
  };
}

export type SsoVersionsService = ReturnType<typeof createSsoVersionsService>;
