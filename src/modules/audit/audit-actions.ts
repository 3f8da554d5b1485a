/**
 * Every action the audit trail knows (`noun.past_tense`), the type of thing it is about and what its
 * diff records. Types only: the events stored so far hold exactly these shapes, and an event's hash
 * covers its diff, so a shape here may be described more precisely but never written differently.
 * Diffs of API views carry secrets only as fingerprints.
 */
import type { ApiKeyView } from '../api-keys/api-keys.schemas.js';
import type { RotationReport } from '../secrets/rotation.js';
import type { OrgView } from '../orgs/orgs.schemas.js';
import type { BulkResultView, VersionView } from '../sso-versions/sso-versions.schemas.js';
import type { TenantView } from '../tenants/tenants.schemas.js';
import type { ExportAuditEventsQuery } from './audit.schemas.js';

/** The diff of a thing created: its view. */
export interface Created<View> {
  readonly after: View;
}

/** The top-level fields that changed, before and after (`changes` in diff.ts). */
export interface Changes<View> {
  readonly before: Partial<View>;
  readonly after: Partial<View>;
}

/** What the trail records of a version when it is created: its view without the report. */
export type VersionAuditView = Omit<VersionView, 'validation'> & { readonly validationStatus?: string };

/** A version's review, as approval and rejection record it. */
export interface VersionReview {
  readonly number: number;
  readonly review: VersionView['review'];
}

/** A deployment as its events record it: its state and version, and what explains the change. */
export interface DeploymentSnapshot {
  readonly state: 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'superseded';
  readonly version: number;
  readonly contentHash?: string;
  /** Calls made, counting the one that settled it. */
  readonly attempts?: number;
  readonly httpStatus?: number;
  readonly traceId?: string;
  readonly error?: Readonly<Record<string, unknown>>;
  /** The version whose deployment replaced this one. */
  readonly supersededBy?: number;
  readonly reason?: string;
  readonly leaseOwner?: string | null;
}

/** A deployment's change of state: before (absent when the event alone explains it) and after. */
export interface DeploymentChange {
  readonly before?: DeploymentSnapshot;
  readonly after: DeploymentSnapshot;
}

/** A bulk operation: its request (without secrets), its counts and the orgs that failed. */
export type BulkSummary = Readonly<Record<string, unknown>> &
  BulkResultView['summary'] & { readonly failedOrgs: readonly string[] };

/** Action → the type of its target and its diff. */
export interface AuditActions {
  'tenant.created': { target: 'tenant'; diff: Created<TenantView> };
  'tenant.updated': { target: 'tenant'; diff: Changes<TenantView> };
  'api_key.created': { target: 'api_key'; diff: Created<ApiKeyView> };
  'api_key.revoked': {
    target: 'api_key';
    diff: { readonly before: { readonly revokedAt: null }; readonly after: Pick<ApiKeyView, 'revokedAt'> };
  };
  'org.created': { target: 'org'; diff: Created<OrgView> };
  'org.updated': { target: 'org'; diff: Changes<OrgView> };
  'org.archived': { target: 'org'; diff: Changes<OrgView> };
  'org.secrets_shredded': {
    target: 'org';
    diff: {
      readonly before: { readonly dataKey: 'present' };
      readonly after: { readonly dataKey: 'destroyed' };
    };
  };
  'cognigy_target.updated': { target: 'cognigy_target'; diff: Changes<Pick<OrgView, 'cognigy'>> };
  'sso_version.created': { target: 'sso_version'; diff: Created<VersionAuditView> };
  'sso_version.rollback_created': { target: 'sso_version'; diff: Created<VersionAuditView> };
  'sso_version.validated': {
    target: 'sso_version';
    diff: {
      readonly before: { readonly number: number; readonly validationStatus: string | null };
      readonly after: {
        readonly number: number;
        readonly validationStatus: string;
        readonly failedChecks: readonly string[];
      };
    };
  };
  'sso_version.approved': {
    target: 'sso_version';
    diff: Changes<VersionReview & { readonly validationStatus: string | null }>;
  };
  'sso_version.rejected': { target: 'sso_version'; diff: Changes<VersionReview> };
  'sso_version.superseded': {
    target: 'sso_version';
    diff: {
      readonly before: { readonly number: number; readonly state: 'approved' };
      readonly after: {
        readonly number: number;
        readonly state: 'superseded';
        readonly supersededBy: number;
      };
    };
  };
  'deployment.enqueued': { target: 'deployment'; diff: Omit<DeploymentChange, 'before'> };
  'deployment.succeeded': { target: 'deployment'; diff: DeploymentChange };
  'deployment.failed': { target: 'deployment'; diff: DeploymentChange };
  'deployment.superseded': { target: 'deployment'; diff: DeploymentChange };
  'deployment.retried': { target: 'deployment'; diff: Required<DeploymentChange> };
  'sso_bulk.drafted': { target: 'sso_bulk'; diff: Created<BulkSummary> };
  'sso_bulk.approved': { target: 'sso_bulk'; diff: Created<BulkSummary> };
  /** The platform's event names the counts; each affected tenant's, its own keys re-wrapped. */
  'keys.rotated': {
    target: 'keyring';
    diff: Created<
      Omit<RotationReport, 'byTenant'> | { readonly activeKeyId: string; readonly rewrappedKeys: number }
    >;
  };
  'audit.exported': {
    target: 'audit_trail';
    diff: Created<{
      readonly format: NonNullable<ExportAuditEventsQuery['format']>;
      readonly filters: Omit<ExportAuditEventsQuery, 'format'>;
    }>;
  };
}

export type AuditAction = keyof AuditActions;

/** What a change records of `action`; the trail adds chain, sequence, time and hashes. */
export interface AuditEntryOf<A extends AuditAction> {
  readonly tenantId: string | null;
  readonly action: A;
  readonly target: { readonly type: AuditActions[A]['target']; readonly id: string };
  readonly orgId?: string | null;
  readonly diff: AuditActions[A]['diff'];
  readonly outcome?: 'success';
}

/** What a change records: one of the actions, with the target type and diff of that action. */
export type AuditEntry = { [A in AuditAction]: AuditEntryOf<A> }[AuditAction];
