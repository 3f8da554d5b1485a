/**
 * POST /v1/plans/{id}/apply (issue 19): exactly the plan's drafts, one transaction per org with its
 * audit events, authored by the plan's author. An org whose newest version moved since the plan is
 * refused (409) for that org alone, through the same base check every draft passes. With
 * `approve: true` an approver other than the author approves each draft in its transaction (four
 * eyes as everywhere; the approval enqueues the deployment). A plan applies once: a second call
 * answers the first result.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.js';
import { progressLog } from '../../lib/progress.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { eachOrg } from '../sso-versions/bulk-results.js';
import { ssoVersionsRepository as versions } from '../sso-versions/sso-versions.repository.js';
import type { SsoVersionsService } from '../sso-versions/sso-versions.service.js';
import { tenantsRepository as tenants } from '../tenants/tenants.repository.js';
import { draftPlanOf, type PlannedDraft, planSecretOpener } from './planned-draft.js';
import { type PlanRow, plansRepository as plans } from './plans.repository.js';
import type { ApplyPlanBody, PlanOrgView } from './plans.schemas.js';

export interface ApplyPlanDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'openTenantSecret'>;
  readonly versions: Pick<SsoVersionsService, 'persistDraft' | 'approveInTx'>;
  readonly logger: Pick<Logger, 'info'>;
  readonly now: () => Date;
}

/** The plan, if this key may see it: its tenant's, and (a key with an org scope) only of orgs in scope. */
export async function visiblePlan(
  db: Db,
  principal: TenantPrincipal,
  id: string,
  now: Date,
): Promise<PlanRow> {
  const plan = await plans.find(db, principal.tenantId, id, now);
  const scope = principal.orgScope;
  if (!plan || (scope !== null && plan.orgIds.some((orgId) => !scope.includes(orgId)))) {
    throw new NotFoundError('PLAN_NOT_FOUND', `No plan ${id} (plans are kept for a limited time)`);
  }
  return plan;
}

type OrgResult = NonNullable<PlanOrgView['result']>;

async function checkApprover(db: Db, principal: TenantPrincipal, plan: PlanRow) {
  if (!principal.roles.includes('approver')) {
    throw new ForbiddenError('AUTH_ROLE_REQUIRED', 'approve: true needs the approver role');
  }
  const settings = await tenants.settings(db, principal.tenantId);
  if (principal.keyId === plan.createdById && !settings.allowSelfApproval) {
    throw new ForbiddenError(
      'SSO_SELF_APPROVAL_FORBIDDEN',
      'You made this plan; another approver must approve its drafts (four-eyes rule; apply without approve, and let another approver approve)',
    );
  }
}

async function applyOne(
  deps: ApplyPlanDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  plan: PlanRow,
  planned: PlannedDraft,
  body: ApplyPlanBody,
  openPlanSecret: (index: number) => Promise<string>,
): Promise<OrgResult> {
  // The drafts are the plan author's: the trail records who applied them (the actor of each event).
  const author: TenantPrincipal = { ...principal, keyId: plan.createdById, keyName: plan.createdByName };
  try {
    return await deps.change(ctx, async (tx, trail) => {
      const head = await versions.head(tx, planned.orgId);
      const draft = await draftPlanOf(openPlanSecret, plan, planned, head);
      const { version } = await deps.versions.persistDraft(tx, trail, author, planned.orgId, draft);
      if (body.approve) {
        await deps.versions.approveInTx(tx, trail, principal, version, {
          ...(body.comment ? { comment: body.comment } : {}),
        });
      }
      return { status: 201, version: version.number, approved: body.approve === true, problem: null };
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const errors = error.extra.errors;
    return {
      status: error.status,
      version: null,
      approved: false,
      problem: { code: error.code, detail: error.message, ...(errors ? { errors: [...errors] } : {}) },
    };
  }
}

export async function applyPlan(
  deps: ApplyPlanDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  id: string,
  body: ApplyPlanBody,
): Promise<PlanRow> {
  const now = deps.now();
  const seen = await visiblePlan(deps.db, principal, id, now);
  if (seen.state === 'applied') return seen;
  if (body.approve) await checkApprover(deps.db, principal, seen);
  const plan = await plans.claim(deps.db, principal.tenantId, id, now);
  if (!plan) {
    const again = await visiblePlan(deps.db, principal, id, now);
    if (again.state === 'applied') return again;
    throw new ConflictError('PLAN_BEING_APPLIED', `Plan ${id} is being applied by another request`);
  }
  const drafts = plan.drafts.orgs;
  deps.logger.info({ planId: id, drafts: drafts.length }, 'plan apply: starting');
  const tick = progressLog(deps.logger, 'plan apply: progress', { planId: id }, drafts.length);
  const openPlanSecret = planSecretOpener(
    deps.secrets,
    deps.db,
    { tenantId: plan.tenantId, planId: id },
    plan.drafts.secrets,
  );
  const results = new Map<number, OrgResult>();
  await eachOrg(drafts, async (planned) => {
    const result = await applyOne(deps, ctx, principal, plan, planned, body, openPlanSecret);
    results.set(planned.position, result);
    tick(result.status !== 201);
  });
  const orgs = plan.orgs.map((view, position) => {
    const result = results.get(position);
    return result ? { ...view, result } : view;
  });
  const refused = [...results.values()].filter((r) => r.status !== 201);
  const finished = await deps.change(ctx, async (tx, trail) => {
    const row = await plans.finish(tx, plan, {
      orgs,
      byId: principal.keyId,
      byName: principal.keyName,
      at: deps.now(),
    });
    await trail.record({
      tenantId: principal.tenantId,
      action: 'plan.applied',
      target: { type: 'plan', id },
      diff: {
        after: {
          hash: plan.hash,
          drafted: results.size - refused.length,
          approved: [...results.values()].filter((r) => r.approved).length,
          refused: refused.length,
          refusedOrgs: drafts.filter((d) => results.get(d.position)?.status !== 201).map((d) => d.orgId),
        },
      },
    });
    return row;
  });
  deps.logger.info(
    { planId: id, drafted: results.size - refused.length, refused: refused.length },
    'plan apply: finished',
  );
  return finished;
}
