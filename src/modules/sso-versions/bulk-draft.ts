/**
 * POST /v1/sso/bulk (§3.2): one change applied as drafts to every selected org, each based on the
 * org's newest version and validated like a single draft. Each org is its own transaction with its
 * own audit event: a failure in one org never stops the others, and the per-org result says what
 * happened. One summary event records the operation itself.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { AppError, BadRequestError, type FieldError } from '../../lib/errors.js';
import { createBodyAjv, fieldErrorsOf } from '../../lib/json-schema.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import * as bulk from './bulk-results.js';
import type { BulkDraftBody, BulkResultView } from './sso-bulk.schemas.js';
import { contentFields } from './sso-content.js';
import { fillTemplates } from './sso-templates.js';
import { ssoVersionsRepository as versions } from './sso-versions.repository.js';
import { CreateDraftBody } from './sso-versions.schemas.js';
import type { SsoVersionsService } from './sso-versions.service.js';

export interface BulkDraftDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly versions: Pick<
    SsoVersionsService,
    'planDraft' | 'persistDraft' | 'versionContent' | 'changesNothing'
  >;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

let validateBody: ReturnType<typeof compileDraftBody> | undefined;
function compileDraftBody() {
  return createBodyAjv().compile(CreateDraftBody);
}

/** The draft body for one org: its newest version with the change applied (secrets carried over). */
async function bodyFor({ db, versions: service }: BulkDraftDeps, org: OrgRow, body: BulkDraftBody) {
  const head = await versions.head(db, org.id);
  const { kind: wantedKind, ...fields } = body.change;
  const kind = wantedKind ?? head?.kind;
  if (!kind) {
    throw new BadRequestError(
      'BULK_NO_BASE_VERSION',
      `Org ${org.slug} has no version yet: give change.kind and every required field`,
      { errors: [{ pointer: '/change/kind', detail: 'is required for an org without versions' }] },
    );
  }
  const start = head && head.kind === kind ? contentFields(service.versionContent(head)) : {};
  const draft: Record<string, unknown> = {
    kind,
    // A disabled version has no fields: any given are kept, so that validation refuses them.
    ...(kind === 'disabled' ? {} : start),
    ...fillTemplates(fields, org, '/change'),
    baseVersion: head?.number ?? 0,
    ...(body.note ? { note: body.note } : {}),
  };
  validateBody ??= compileDraftBody();
  if (!validateBody(draft)) {
    const errors: FieldError[] = fieldErrorsOf('change', validateBody.errors ?? []).filter(
      (e) => e.pointer !== '/change/baseVersion',
    );
    throw new BadRequestError(
      'SSO_CONFIGURATION_INVALID',
      `The change makes an invalid configuration for org ${org.slug}: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`,
      { errors },
    );
  }
  return { head, draft: draft as CreateDraftBody };
}

export async function bulkDraft(
  deps: BulkDraftDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  body: BulkDraftBody,
): Promise<BulkResultView> {
  const { change, orgs, versions: service, logger } = deps;
  const run = bulk.startBulk(logger, 'bulk draft');
  const { bulkId } = run;
  const dryRun = body.dryRun ?? false;
  const { found, missing } = await orgs.select(principal, body.selector, bulk.BULK_MAX_ORGS);
  const results = missing.map(bulk.missingResult);
  logger.info({ bulkId, orgs: found.length, missing: missing.length, dryRun }, 'bulk draft: starting');
  const tick = run.progress(found.length + missing.length);
  for (const _ref of missing) tick('failed');

  // Build every body first, then validate one org per distinct issuer before the rest run in
  // parallel: discovery is cached per issuer, so each IdP is asked once, not once per org.
  const prepared = await Promise.all(
    found.map(async (org) => {
      try {
        return { org, ...(await bodyFor(deps, org, body)) };
      } catch (error) {
        return { org, error };
      }
    }),
  );
  const firstPerIssuer = new Set<number>();
  const issuers = new Set<string>();
  prepared.forEach((p, i) => {
    if ('draft' in p && p.draft.kind === 'oidc' && !issuers.has(p.draft.idpIssuer)) {
      issuers.add(p.draft.idpIssuer);
      firstPerIssuer.add(i);
    }
  });
  const order = [...firstPerIssuer, ...prepared.map((_p, i) => i).filter((i) => !firstPerIssuer.has(i))];
  const perOrg: bulk.Result[] = new Array(prepared.length);
  const runOne = async (i: number) => {
    const p = prepared[i] as (typeof prepared)[number];
    const ref = p.org.slug;
    let result: bulk.Result;
    try {
      if ('error' in p) throw p.error;
      const plan = await service.planDraft(p.draft, p.head, {
        expectedBase: p.draft.baseVersion,
        bulkId,
      });
      if (await service.changesNothing(plan, p.head)) {
        result = bulk.orgResult(p.org, ref, 'skipped', p.head?.number ?? null, plan.report.status);
      } else if (dryRun) {
        result = bulk.orgResult(p.org, ref, 'validated', null, plan.report.status);
      } else {
        const { version } = await change(ctx, (tx, trail) =>
          service.persistDraft(tx, trail, principal, p.org.id, plan),
        );
        result = bulk.orgResult(p.org, ref, 'created', version.number, plan.report.status);
      }
    } catch (error) {
      if (!(error instanceof AppError))
        logger.error({ err: error, bulkId, orgId: p.org.id }, 'bulk draft: org failed');
      result = bulk.orgResult(p.org, ref, 'failed', null, null, bulk.problemOf(error));
    }
    perOrg[i] = result;
    tick(result.outcome);
  };
  const warm = order.slice(0, firstPerIssuer.size);
  await bulk.eachOrg(warm, runOne);
  await bulk.eachOrg(order.slice(warm.length), runOne);

  const view = run.finish(dryRun, [...perOrg, ...results]);
  if (!dryRun && view.summary.selected > 0) {
    await bulk.recordSummary(change, ctx, principal, 'sso_bulk.drafted', bulkId, view, {
      // The secret itself never enters the trail: each draft's event carries its fingerprint.
      change: {
        ...body.change,
        ...(body.change.idpClientSecret ? { idpClientSecret: '[set: see each version]' } : {}),
      },
      note: body.note ?? null,
    });
  }
  return view;
}
