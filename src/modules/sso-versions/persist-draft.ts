/**
 * Writing a planned draft (§4.1, §4.2), the one path every new version takes — a single draft, a
 * rollback and each org of a bulk draft: lock the org, check the base version, seal the secrets for
 * the new version's own location, hash, insert the version and its validation report, record the
 * audit event. Runs inside the caller's transaction; no network call happens here.
 */
import type { Tx } from '../../db/client.js';
import { ConflictError } from '../../lib/errors.js';
import type { AuditTrailWriter } from '../audit/audited-change.js';
import { created } from '../audit/diff.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import {
  contentFields,
  contentHash,
  SECRET_FIELDS,
  type SecretField,
  type SsoContent,
} from './sso-content.js';
import type { ValidationReport } from './sso-validation.js';
import { type ValidationRow, ssoValidationsRepository as validations } from './sso-validations.repository.js';
import { type VersionRow, ssoVersionsRepository as versions } from './sso-versions.repository.js';
import {
  openVersionSecret,
  SECRET_COLUMNS,
  type SecretColumns,
  type SecretSource,
  versionSecretLocation,
} from './version-secrets.js';
import { auditView, toVersionView, versionEvent } from './version-view.js';

export interface DraftPlan {
  readonly content: SsoContent;
  readonly sources: Readonly<Record<SecretField, SecretSource>>;
  /** When the client secret expires (recorded with it; not hashed, never forwarded). Null without one. */
  readonly clientSecretExpiresAt: Date | null;
  readonly report: ValidationReport;
  /** undefined: based on whatever the head is (rollback without baseVersion). */
  readonly expectedBase: number | undefined;
  readonly note: string | null;
  readonly rollbackOf: number | null;
  readonly bulkId: string | null;
}

export interface PersistDraftDeps {
  readonly secrets: Pick<SecretsService, 'sealSecret' | 'openSecret' | 'fingerprint'>;
  readonly orgs: Pick<OrgsService, 'lockForWrite'>;
}

/** 409 SSO_BASE_VERSION_STALE when the org's newest version is not the one the caller based its draft on. */
export function assertBase(head: VersionRow | null, expected: number | undefined): void {
  const current = head?.number ?? 0;
  if (expected !== undefined && expected !== current) {
    throw new ConflictError(
      'SSO_BASE_VERSION_STALE',
      `The org’s newest version is ${current}, not ${expected}: someone created a version since you read it. Review it and base your draft on it.`,
      { body: { current: head ? toVersionView(head, null) : null, headVersion: current } },
    );
  }
}

/** Seals each secret for the new version's own location: carried ciphertext is re-bound, never shared. */
async function sealSecrets(
  secrets: PersistDraftDeps['secrets'],
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
    const c = SECRET_COLUMNS[field];
    let plain: string | null = null;
    let fingerprint: string | null = null;
    if (source.kind === 'value') {
      plain = source.plain;
      fingerprint = await secrets.fingerprint(tx, tenantId, plain);
    } else if (source.kind === 'carry') {
      plain = await openVersionSecret(secrets, tx, source.from, field);
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
  return { columns: out as unknown as SecretColumns, fingerprints };
}

/** Stores a validation report of `version`, as run for `principal`. */
export const insertReport = (
  tx: Tx,
  principal: TenantPrincipal,
  version: Pick<VersionRow, 'id' | 'orgId'>,
  report: ValidationReport,
): Promise<ValidationRow> =>
  validations.insert(tx, {
    tenantId: principal.tenantId,
    orgId: version.orgId,
    versionId: version.id,
    status: report.status,
    report: report as object,
    requestedById: principal.keyId,
    requestedByName: principal.keyName,
  });

/** Writes a planned draft (lock the org, check the base, seal, hash, insert, audit). */
export async function persistDraft(
  { secrets, orgs }: PersistDraftDeps,
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
  const sealed = await sealSecrets(secrets, tx, principal.tenantId, org.id, number, head, plan.sources);
  const version = await versions.insert(tx, {
    tenantId: principal.tenantId,
    orgId: org.id,
    number,
    kind: plan.content.kind,
    content: contentFields(plan.content) as object,
    ...sealed.columns,
    clientSecretExpiresAt: plan.clientSecretExpiresAt,
    // The expiry is not hashed: two drafts that differ only in it configure Cognigy the same.
    contentHash: contentHash(org.id, plan.content, sealed.fingerprints),
    baseVersion: head?.number ?? null,
    rollbackOf: plan.rollbackOf,
    bulkId: plan.bulkId,
    note: plan.note,
    createdById: principal.keyId,
    createdByName: principal.keyName,
  });
  const validation = await insertReport(tx, principal, version, plan.report);
  await trail.record({
    ...versionEvent(principal.tenantId, version),
    action: plan.rollbackOf === null ? 'sso_version.created' : 'sso_version.rollback_created',
    diff: created(auditView(version, plan.report.status)),
  });
  return { version, validation };
}
