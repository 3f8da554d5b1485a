/**
 * Where forwarding meets the versions module: the approval transaction enqueues the deployment
 * (and supersedes the org's older pending one) with its audit events, so there is no approval
 * without its deployment and no deployment without its approval (§6). (The org's delivery state is
 * read with its SSO state: delivery-state.ts.)
 */
import type { Tx } from '../../db/client.js';
import type { AuditTrailWriter } from '../audit/audited-change.js';
import { deploymentAudit } from './deployment-audit.js';
import { deploymentsRepository as deployments } from './deployments.repository.js';

interface ApprovedVersion {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly number: number;
  readonly contentHash: string;
}

export function createDeploymentHooks() {
  return {
    async enqueueApproved(tx: Tx, trail: AuditTrailWriter, approved: ApprovedVersion): Promise<void> {
      const { created, superseded } = await deployments.enqueue(tx, {
        tenantId: approved.tenantId,
        orgId: approved.orgId,
        versionId: approved.id,
        versionNumber: approved.number,
        contentHash: approved.contentHash,
      });
      for (const old of superseded) await trail.record(deploymentAudit.supersededByApproval(old, approved));
      await trail.record(deploymentAudit.enqueued(created.id, approved));
    },
  };
}
