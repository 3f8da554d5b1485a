/**
 * The associated data that binds each ciphertext to where it belongs. A value copied to another
 * tenant, org, record or field no longer decrypts. One function per kind of sealed value, so the
 * strings are written in exactly one place.
 */

/** Where a secret lives: tenant, org, record (table/id) and field. */
export interface SecretLocation {
  readonly tenantId: string;
  readonly orgId: string;
  /** e.g. `cognigy_targets/<org id>` or `sso_versions/<version id>` */
  readonly record: string;
  readonly field: string;
}

/** Where a secret of the tenant itself lives: tenant, record (table/id) and field. */
export interface TenantSecretLocation {
  readonly tenantId: string;
  /** e.g. `webhook_endpoints/<endpoint id>` */
  readonly record: string;
  readonly field: string;
}

const PREFIX = 'cognigy-sso/v1';

export const associatedData = {
  secret: (l: SecretLocation) =>
    `${PREFIX}|secret|tenant=${l.tenantId}|org=${l.orgId}|record=${l.record}|field=${l.field}`,
  orgDataKey: (tenantId: string, orgId: string) => `${PREFIX}|org-data-key|tenant=${tenantId}|org=${orgId}`,
  tenantSecretKey: (tenantId: string) => `${PREFIX}|tenant-secret-key|tenant=${tenantId}`,
  /** A secret of the tenant itself (no org): a webhook endpoint's signing secret. */
  tenantSecret: (l: TenantSecretLocation) =>
    `${PREFIX}|tenant-secret|tenant=${l.tenantId}|record=${l.record}|field=${l.field}`,
  tenantDataKey: (tenantId: string) => `${PREFIX}|tenant-data-key|tenant=${tenantId}`,
  idempotentResponse: (recordId: string) => `${PREFIX}|idempotent-response|record=${recordId}`,
} as const;
