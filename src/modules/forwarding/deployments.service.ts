/**
 * Reading deployments and retrying a failed one (§3.2). A retry puts the failed deployment back to
 * pending with a fresh attempt budget — only while its version is still the org's latest approved
 * one (an older version is never sent after a newer one).
 */
import type { Db } from '../../db/client.js';
import { decodeTimeIdCursor, pageOf, timeIdCursor } from '../../lib/cursor.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { deploymentAudit } from './deployment-audit.js';
import { type DeploymentRow, deploymentsRepository as deployments } from './deployments.repository.js';
import type { DeploymentView, ListDeploymentsQuery } from './deployments.schemas.js';

export function toDeploymentView(row: DeploymentRow): DeploymentView {
  return {
    id: row.id,
    orgId: row.orgId,
    version: row.versionNumber,
    contentHash: row.contentHash,
    state: row.state as DeploymentView['state'],
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? row.notBefore.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    lastError: (row.lastError as Record<string, unknown> | null) ?? null,
  };
}

const notFound = () => new NotFoundError('DEPLOYMENT_NOT_FOUND', 'No such deployment');

export function createDeploymentsService(deps: {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite'>;
  /** The number of the org's latest approved version (the versions module's), or null. */
  readonly latestApprovedNumber: (db: Db, orgId: string) => Promise<number | null>;
}) {
  const { db, change, orgs, latestApprovedNumber } = deps;

  return {
    async list(principal: TenantPrincipal, ref: string, query: ListDeploymentsQuery) {
      const org = await orgs.find(principal, ref);
      const limit = query.limit ?? 50;
      const after = decodeTimeIdCursor(query.cursor);
      const rows = await deployments.list(db, org.id, {
        ...(query.state ? { state: query.state } : {}),
        ...(after ? { after } : {}),
        limit: limit + 1,
      });
      return pageOf(rows, limit, timeIdCursor);
    },

    async get(principal: TenantPrincipal, ref: string, id: string) {
      const org = await orgs.find(principal, ref);
      if (!isUuid(id)) throw notFound();
      const row = await deployments.find(db, org.id, id.toLowerCase());
      if (!row) throw notFound();
      const attemptsMade = await deployments.attempts(db, row.id);
      return {
        ...toDeploymentView(row),
        attemptLog: attemptsMade.map((a) => ({
          number: a.number,
          worker: a.worker,
          startedAt: a.startedAt.toISOString(),
          durationMs: a.durationMs,
          outcome: a.outcome as 'success',
          httpStatus: a.httpStatus,
          traceId: a.traceId,
          error: (a.error as Record<string, unknown> | null) ?? null,
        })),
      };
    },

    /** Puts a failed deployment back to pending (approver), if its version is still the one to apply. */
    async retry(ctx: ChangeContext, principal: TenantPrincipal, ref: string, id: string) {
      const org = await orgs.find(principal, ref);
      if (!isUuid(id)) throw notFound();
      return change(ctx, async (tx, trail) => {
        await orgs.lockForWrite(tx, principal, org.id, undefined);
        const row = await deployments.find(tx, org.id, id.toLowerCase());
        if (!row) throw notFound();
        if (row.state !== 'failed') {
          throw new ConflictError(
            'DEPLOYMENT_NOT_FAILED',
            `The deployment is ${row.state}; only a failed one can be retried`,
            {
              body: { current: toDeploymentView(row) },
            },
          );
        }
        const newer = await deployments.countNewerNotFailed(tx, org.id, row.versionNumber);
        const latest = await latestApprovedNumber(tx, org.id);
        if (newer > 0 || latest !== row.versionNumber) {
          throw new ConflictError(
            'DEPLOYMENT_OUTDATED',
            `Version ${row.versionNumber} is no longer the org's latest approved version; retrying it would send an older configuration after a newer one`,
          );
        }
        // A fresh attempt budget and deadline; the attempt log keeps every earlier call.
        const retried = await deployments.retry(tx, row.id);
        await trail.record(deploymentAudit.retried(row));
        return toDeploymentView(retried);
      });
    },
  };
}

export type DeploymentsService = ReturnType<typeof createDeploymentsService>;
