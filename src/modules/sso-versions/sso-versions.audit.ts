/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Changes, Created } from '../audit/audit-actions.js';
import type { BulkResultView } from './sso-bulk.schemas.js';
import type { VersionView } from './sso-versions.schemas.js';

/** What the trail records of a version when it is created: its view without the report. */
export type VersionAuditView = Omit<VersionView, 'validation'> & { readonly validationStatus?: string };

/** A version's review, as approval and rejection record it. */
export interface VersionReview {
  readonly number: number;
  readonly review: VersionView['review'];
}

/** A bulk operation: its request (without secrets), its counts and the orgs that failed. */
export type BulkSummary = Readonly<Record<string, unknown>> &
  BulkResultView['summary'] & { readonly failedOrgs: readonly string[] };

declare module '../audit/audit-actions.js' {
  interface AuditActions {
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
    'sso_bulk.drafted': { target: 'sso_bulk'; diff: Created<BulkSummary> };
    'sso_bulk.approved': { target: 'sso_bulk'; diff: Created<BulkSummary> };
  }
}
