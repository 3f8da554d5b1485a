/**
 * Review (§4.2): approving a draft (four-eyes, a failed validation only with an override reason;
 * the rules are sso-review.ts's) supersedes the older approved versions and, through the approval
 * hook, enqueues the deployment in the same transaction; rejecting records the reviewer's comment.
 */
import type { Tx } from '../../db/client.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { AuditTrailWriter, ChangeRunner } from '../audit/audited-change.js';
import { changes } from '../audit/diff.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { tenantsRepository as tenants } from '../tenants/tenants.repository.js';
import { type ApproveCommand, decideApproval, decideRejection } from './sso-review.js';
import type { ValidationReport } from './sso-validation.js';
import { ssoValidationsRepository as validations } from './sso-validations.repository.js';
import { type VersionRow, ssoVersionsRepository as versions } from './sso-versions.repository.js';
import type { ApproveBody } from './sso-versions.schemas.js';
import { lockVersion } from './version-lookup.js';
import { reviewOf, toVersionView, versionEvent } from './version-view.js';

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

export interface ApproveInTxDeps {
  readonly now: () => Date;
  readonly onApproved?: ApprovalHook;
}

export interface ReviewDeps extends ApproveInTxDeps {
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'lockForWrite'>;
}

/** Approves `version` inside the caller's transaction (the org row is locked by the caller). */
export async function approveInTx(
  { now, onApproved }: ApproveInTxDeps,
  tx: Tx,
  trail: AuditTrailWriter,
  principal: TenantPrincipal,
  version: VersionRow,
  command: ApproveCommand & { comment?: string },
): Promise<VersionRow> {
  const validation = await validations.latest(tx, version.id);
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
    ...versionEvent(principal.tenantId, version),
    action: 'sso_version.approved',
    diff: changes(reviewOf(version), { ...reviewOf(approved), validationStatus: validation?.status ?? null }),
  });
  for (const old of superseded) {
    await trail.record({
      ...versionEvent(principal.tenantId, old),
      action: 'sso_version.superseded',
      diff: {
        before: { number: old.number, state: 'approved' },
        after: { number: old.number, state: 'superseded', supersededBy: version.number },
      },
    });
  }
  if (onApproved) await onApproved(tx, trail, approved, superseded);
  return approved;
}

/** POST …/versions/{n}/approve. */
export async function approve(
  deps: ReviewDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  number: number,
  body: ApproveBody,
) {
  return deps.change(ctx, async (tx, trail) => {
    const row = await lockVersion(deps.orgs, tx, principal, ref, number);
    const approved = await approveInTx(deps, tx, trail, principal, row, body);
    return toVersionView(approved, await validations.latest(tx, row.id));
  });
}

/** POST …/versions/{n}/reject. */
export async function reject(
  { change, orgs, now }: ReviewDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  number: number,
  comment: string,
) {
  return change(ctx, async (tx, trail) => {
    const row = await lockVersion(orgs, tx, principal, ref, number);
    const decision = decideRejection({ version: row });
    const rejected = await versions.review(tx, row.id, {
      reviewState: decision.state,
      reviewedById: principal.keyId,
      reviewedByName: principal.keyName,
      reviewedAt: now(),
      reviewComment: comment,
    });
    await trail.record({
      ...versionEvent(principal.tenantId, row),
      action: 'sso_version.rejected',
      diff: changes(reviewOf(row), reviewOf(rejected)),
    });
    return toVersionView(rejected, await validations.latest(tx, row.id));
  });
}
