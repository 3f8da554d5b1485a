/**
 * The audit events about deployments, built here for every place that records one (the approval's
 * hooks, a retry; the forwarder's settled outcomes use `deploymentEvent`). What each diff holds is
 * typed in audit-actions.ts.
 */
import type { AuditEntryOf } from '../audit/audit-event.js';

interface DeploymentRef {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
}

/** The tenant, target and org of an event about deployment `d`. */
export const deploymentEvent = (d: DeploymentRef) => ({
  tenantId: d.tenantId,
  target: { type: 'deployment' as const, id: d.id },
  orgId: d.orgId,
});

/** The version whose approval enqueued a deployment. */
interface ApprovedVersion {
  readonly tenantId: string;
  readonly orgId: string;
  readonly number: number;
  readonly contentHash: string;
}

export const deploymentAudit = {
  /** The new pending deployment `id` of the approved version. */
  enqueued(id: string, approved: ApprovedVersion): AuditEntryOf<'deployment.enqueued'> {
    return {
      ...deploymentEvent({ ...approved, id }),
      action: 'deployment.enqueued',
      diff: { after: { state: 'pending', version: approved.number, contentHash: approved.contentHash } },
    };
  },

  /** An older pending deployment of the org, replaced by that of a newer approval. */
  supersededByApproval(
    old: { readonly id: string; readonly versionNumber: number },
    approved: ApprovedVersion,
  ): AuditEntryOf<'deployment.superseded'> {
    return {
      ...deploymentEvent({ ...approved, id: old.id }),
      action: 'deployment.superseded',
      diff: {
        before: { state: 'pending', version: old.versionNumber },
        after: { state: 'superseded', version: old.versionNumber, supersededBy: approved.number },
      },
    };
  },

  /** A failed deployment put back to pending with a fresh attempt budget. */
  retried(
    d: DeploymentRef & { readonly versionNumber: number; readonly attempts: number },
  ): AuditEntryOf<'deployment.retried'> {
    return {
      ...deploymentEvent(d),
      action: 'deployment.retried',
      diff: {
        before: { state: 'failed', version: d.versionNumber, attempts: d.attempts },
        after: { state: 'pending', version: d.versionNumber },
      },
    };
  },
};
