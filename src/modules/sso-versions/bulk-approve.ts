/**
 * POST /v1/sso/bulk/approve (§3.2): the newest version of each selected org, or the drafts of one
 * bulk operation, approved under the single-approval rules, each org in its own transaction.
 * Versions that are no longer drafts are skipped. One summary event records the operation itself.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { AppError, BadRequestError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import * as bulk from './bulk-results.js';
import type { BulkApproveBody, BulkResultView } from './sso-bulk.schemas.js';
import { ssoVersionsRepository as versions } from './sso-versions.repository.js';
import type { SsoVersionsService } from './sso-versions.service.js';

export interface BulkApproveDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly versions: Pick<SsoVersionsService, 'approve'>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

/** The orgs to approve and the version of each (null: the org has none). */
async function targetsOf(
  { db, orgs }: BulkApproveDeps,
  principal: TenantPrincipal,
  body: BulkApproveBody,
): Promise<{ targets: { org: OrgRow; number: number | null }[]; missing: bulk.Result[] }> {
  if (body.bulkId) {
    const drafted = await versions.draftsOfBulk(db, principal.tenantId, body.bulkId);
    const { found, missing } = await orgs.select(
      principal,
      { ...body.selector, orgs: body.selector?.orgs ?? drafted.map((d) => d.orgId) },
      bulk.BULK_MAX_ORGS,
    );
    const numbers = new Map(drafted.map((d) => [d.orgId, d.number]));
    return {
      targets: found
        .filter((o) => numbers.has(o.id))
        .map((org) => ({ org, number: numbers.get(org.id) as number })),
      missing: body.selector?.orgs ? missing.map(bulk.missingResult) : [],
    };
  }
  const { found, missing } = await orgs.select(principal, body.selector ?? {}, bulk.BULK_MAX_ORGS);
  const heads = await versions.heads(
    db,
    found.map((o) => o.id),
  );
  return {
    targets: found.map((org) => ({ org, number: heads.get(org.id) ?? null })),
    missing: missing.map(bulk.missingResult),
  };
}

export async function bulkApprove(
  deps: BulkApproveDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  body: BulkApproveBody,
): Promise<BulkResultView> {
  const { change, versions: service, logger } = deps;
  const run = bulk.startBulk(logger, 'bulk approve');
  const { bulkId } = run;
  if (!body.selector && !body.bulkId) {
    throw new BadRequestError('BULK_SELECTION_REQUIRED', 'Give a selector or the bulkId of a bulk draft', {
      errors: [{ pointer: '/body/selector', detail: 'selector or bulkId is required' }],
    });
  }
  const { targets, missing: results } = await targetsOf(deps, principal, body);
  logger.info({ bulkId, orgs: targets.length }, 'bulk approve: starting');
  const tick = run.progress(targets.length + results.length);
  const perOrg: bulk.Result[] = new Array(targets.length);
  await bulk.eachOrg(targets, async ({ org, number }, i) => {
    let result: bulk.Result;
    if (number === null) {
      result = bulk.orgResult(org, org.slug, 'skipped', null, null, {
        status: 409,
        code: 'SSO_NO_VERSION',
        detail: 'The org has no version',
      });
    } else {
      try {
        const approved = await service.approve(ctx, principal, org.id, number, {
          ...(body.comment ? { comment: body.comment } : {}),
          ...(body.overrideReason ? { overrideReason: body.overrideReason } : {}),
        });
        result = bulk.orgResult(org, org.slug, 'approved', number, approved.validation?.status ?? null);
      } catch (error) {
        if (!(error instanceof AppError))
          logger.error({ err: error, bulkId, orgId: org.id }, 'bulk approve: org failed');
        const problem = bulk.problemOf(error);
        const notDraft = problem.code === 'SSO_VERSION_NOT_DRAFT';
        result = bulk.orgResult(org, org.slug, notDraft ? 'skipped' : 'failed', number, null, problem);
      }
    }
    perOrg[i] = result;
    tick(result.outcome);
  });
  const view = run.finish(false, [...perOrg, ...results]);
  if (view.summary.succeeded > 0 || view.summary.failed > 0) {
    await bulk.recordSummary(change, ctx, principal, 'sso_bulk.approved', bulkId, view, {
      ofBulk: body.bulkId ?? null,
      comment: body.comment ?? null,
      overrideReason: body.overrideReason ?? null,
    });
  }
  return view;
}
