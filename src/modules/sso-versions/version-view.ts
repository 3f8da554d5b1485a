/**
 * A version row as the API shows it, as the audit trail records it, and as the diff compares it.
 * Secrets appear as their fingerprints only.
 */
import type { SsoContent } from './sso-content.js';
import { contentOf } from './sso-content.js';
import type { Comparable } from './sso-diff.js';
import type { ValidationReport } from './sso-validation.js';
import type { ValidationRow } from './sso-validations.repository.js';
import type { VersionRow } from './sso-versions.repository.js';
import type { VersionView } from './sso-versions.schemas.js';
import { secretRef } from './version-secrets.js';

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

/** The secrets as fingerprints; the client secret with the expiry recorded with it. */
const secretsOf = (row: VersionRow) => {
  const clientSecret = secretRef(row, 'idpClientSecret');
  return {
    idpClientSecret: clientSecret && {
      ...clientSecret,
      expiresAt: row.clientSecretExpiresAt?.toISOString() ?? null,
    },
    decryptionPrivateKey: secretRef(row, 'decryptionPrivateKey'),
  };
};

export function toVersionView(row: VersionRow, validation: ValidationRow | null): VersionView {
  return {
    id: row.id,
    orgId: row.orgId,
    number: row.number,
    kind: row.kind as VersionView['kind'],
    content: row.content as VersionView['content'],
    secrets: secretsOf(row),
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
export function auditView(row: VersionRow, validationStatus?: string) {
  const { validation: _report, ...view } = toVersionView(row, null);
  return validationStatus ? { ...view, validationStatus } : view;
}

/** A version's review as approval and rejection record it. */
export const reviewOf = (row: VersionRow) => ({
  number: row.number,
  review: toVersionView(row, null).review,
});

/** The tenant, target and org of an audit event about version `row`. */
export const versionEvent = (tenantId: string, row: Pick<VersionRow, 'id' | 'orgId'>) => ({
  tenantId,
  target: { type: 'sso_version' as const, id: row.id },
  orgId: row.orgId,
});

/** What the diff compares of a version. */
export const comparable = (row: VersionRow): Comparable => ({
  number: row.number,
  kind: row.kind,
  content: row.content as Record<string, unknown>,
  secrets: secretsOf(row),
});
