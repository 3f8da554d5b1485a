/**
 * Bulk work across many orgs (§3.2, issue "SSO versions" item 9): one change applied as drafts to
 * every selected org, each validated like a single draft, or the selected drafts approved. Each org
 * is its own transaction with its own audit event: a failure in one org never stops the others, and
 * the per-org result says what happened. One summary event records the operation itself.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { AppError, BadRequestError, type FieldError } from '../../lib/errors.js';
import { createBodyAjv, fieldErrorsOf } from '../../lib/json-schema.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { BulkApproveBody, BulkDraftBody, BulkResultView } from './sso-bulk.schemas.js';
import { contentFields } from './sso-content.js';
import { ssoVersionsRepository as versions } from './sso-versions.repository.js';
import { CreateDraftBody } from './sso-versions.schemas.js';
import type { SsoVersionsService } from './sso-versions.service.js';

/** Most orgs one bulk call may select. */
export const BULK_MAX_ORGS = 10_000;
/** Orgs worked on at once: each is a short transaction, and the tenant's audit chain serialises commits anyway. */
const CONCURRENCY = 4;
const PROGRESS_EVERY = 100;

type Result = BulkResultView['results'][number];
type Outcome = Result['outcome'];

export interface SsoBulkServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly versions: Pick<SsoVersionsService, 'planDraft' | 'persistDraft' | 'approve' | 'versionContent'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const TEMPLATE = /\{(org\.slug|org\.id|org\.name|org\.labels\.[a-z0-9._/-]+|cognigy\.organisationId)\}/g;

/** Fills `{org.slug}`-style placeholders from the org. @throws BadRequestError naming the field. */
function fillTemplates(change: Record<string, unknown>, org: OrgRow): Record<string, unknown> {
  const labels = org.labels as Record<string, string>;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(change)) {
    if (typeof value !== 'string') {
      out[field] = value;
      continue;
    }
    out[field] = value.replace(TEMPLATE, (_all, name: string) => {
      let filled: string | null | undefined;
      if (name === 'org.slug') filled = org.slug;
      else if (name === 'org.id') filled = org.id;
      else if (name === 'org.name') filled = org.name;
      else if (name === 'cognigy.organisationId') filled = org.cognigy?.organisationId;
      else filled = labels[name.slice('org.labels.'.length)];
      if (filled === undefined || filled === null) {
        throw new BadRequestError('BULK_TEMPLATE_UNRESOLVED', `{${name}} has no value for org ${org.slug}`, {
          errors: [{ pointer: `/change/${field}`, detail: `{${name}} has no value for this org` }],
        });
      }
      return filled;
    });
  }
  return out;
}

function problemOf(error: unknown): NonNullable<Result['problem']> {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(error.extra.errors ? { errors: [...error.extra.errors] } : {}),
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_ERROR',
    detail: 'An unexpected error occurred for this org (see the service log)',
  };
}

export function createSsoBulkService({ db, change, orgs, versions: service, logger }: SsoBulkServiceDeps) {
  const validateBody = createBodyAjv().compile(CreateDraftBody);

  /** The draft body for one org: its newest version with the change applied (secrets carried over). */
  async function bodyFor(org: OrgRow, body: BulkDraftBody) {
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
      ...fillTemplates(fields, org),
      baseVersion: head?.number ?? 0,
      ...(body.note ? { note: body.note } : {}),
    };
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

  function progress(label: string, bulkId: string, total: number) {
    let done = 0;
    let failed = 0;
    let lastLog = Date.now();
    return (outcome: Outcome) => {
      done += 1;
      if (outcome === 'failed') failed += 1;
      if (done % PROGRESS_EVERY === 0 || done === total || Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        logger.info({ bulkId, done, total, failed }, `${label}: progress`);
      }
    };
  }

  function summarise(bulkId: string, dryRun: boolean, results: Result[], startedAt: number): BulkResultView {
    const count = (...outcomes: Outcome[]) => results.filter((r) => outcomes.includes(r.outcome)).length;
    return {
      bulkId,
      dryRun,
      summary: {
        selected: results.length,
        succeeded: count('created', 'validated', 'approved'),
        failed: count('failed'),
        skipped: count('skipped'),
        durationMs: Date.now() - startedAt,
      },
      results,
    };
  }

  const missingResult = (ref: string): Result => ({
    org: { id: null, slug: null, ref },
    outcome: 'failed',
    version: null,
    validation: null,
    problem: { status: 404, code: 'ORG_NOT_FOUND', detail: 'No such org' },
  });

  const orgRef = (org: OrgRow, ref: string) => ({ id: org.id, slug: org.slug, ref });

  async function recordSummary(
    ctx: ChangeContext,
    principal: TenantPrincipal,
    action: 'sso_bulk.drafted' | 'sso_bulk.approved',
    bulkId: string,
    view: BulkResultView,
    detail: Record<string, unknown>,
  ) {
    await change(ctx, async (_tx, trail) => {
      await trail.record({
        tenantId: principal.tenantId,
        action,
        target: { type: 'sso_bulk', id: bulkId },
        diff: {
          after: {
            ...detail,
            ...view.summary,
            failedOrgs: view.results.filter((r) => r.outcome === 'failed').map((r) => r.org.id ?? r.org.ref),
          },
        },
      });
    });
  }

  return {
    async draft(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      body: BulkDraftBody,
    ): Promise<BulkResultView> {
      const startedAt = Date.now();
      const bulkId = randomUUID();
      const dryRun = body.dryRun ?? false;
      const { found, missing } = await orgs.select(principal, body.selector, BULK_MAX_ORGS);
      const results: Result[] = missing.map(missingResult);
      const total = found.length + missing.length;
      logger.info({ bulkId, orgs: found.length, missing: missing.length, dryRun }, 'bulk draft: starting');
      const tick = progress('bulk draft', bulkId, total);
      for (const _ref of missing) tick('failed');

      // Build every body first, then validate one org per distinct issuer before the rest run in
      // parallel: discovery is cached per issuer, so each IdP is asked once, not once per org.
      const prepared = await Promise.all(
        found.map(async (org) => {
          try {
            return { org, ...(await bodyFor(org, body)) };
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
      const perOrg: Result[] = new Array(prepared.length);
      const runOne = async (i: number) => {
        const p = prepared[i] as (typeof prepared)[number];
        const ref = p.org.slug;
        let result: Result;
        try {
          if ('error' in p) throw p.error;
          const plan = await service.planDraft(p.draft, p.head, {
            expectedBase: p.draft.baseVersion,
            bulkId,
          });
          const unchanged =
            p.head !== null && canonicalJson(plan.content) === canonicalJson(service.versionContent(p.head));
          if (unchanged) {
            result = {
              org: orgRef(p.org, ref),
              outcome: 'skipped',
              version: p.head?.number ?? null,
              validation: plan.report.status,
              problem: null,
            };
          } else if (dryRun) {
            result = {
              org: orgRef(p.org, ref),
              outcome: 'validated',
              version: null,
              validation: plan.report.status,
              problem: null,
            };
          } else {
            const { version } = await change(ctx, (tx, trail) =>
              service.persistDraft(tx, trail, principal, p.org.id, plan),
            );
            result = {
              org: orgRef(p.org, ref),
              outcome: 'created',
              version: version.number,
              validation: plan.report.status,
              problem: null,
            };
          }
        } catch (error) {
          if (!(error instanceof AppError))
            logger.error({ err: error, bulkId, orgId: p.org.id }, 'bulk draft: org failed');
          result = {
            org: orgRef(p.org, ref),
            outcome: 'failed',
            version: null,
            validation: null,
            problem: problemOf(error),
          };
        }
        perOrg[i] = result;
        tick(result.outcome);
      };
      const warm = order.slice(0, firstPerIssuer.size);
      await eachLimited(warm, CONCURRENCY, runOne);
      await eachLimited(order.slice(warm.length), CONCURRENCY, runOne);

      const view = summarise(bulkId, dryRun, [...perOrg, ...results], startedAt);
      logger.info({ bulkId, ...view.summary }, 'bulk draft: finished');
      if (!dryRun && view.summary.selected > 0) {
        await recordSummary(ctx, principal, 'sso_bulk.drafted', bulkId, view, {
          // The secret itself never enters the trail: each draft's event carries its fingerprint.
          change: {
            ...body.change,
            ...(body.change.idpClientSecret ? { idpClientSecret: '[set: see each version]' } : {}),
          },
          note: body.note ?? null,
        });
      }
      return view;
    },

    async approve(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      body: BulkApproveBody,
    ): Promise<BulkResultView> {
      const startedAt = Date.now();
      const bulkId = randomUUID();
      if (!body.selector && !body.bulkId) {
        throw new BadRequestError(
          'BULK_SELECTION_REQUIRED',
          'Give a selector or the bulkId of a bulk draft',
          {
            errors: [{ pointer: '/body/selector', detail: 'selector or bulkId is required' }],
          },
        );
      }
      let targets: { org: OrgRow; number: number | null }[];
      let results: Result[] = [];
      if (body.bulkId) {
        const drafted = await versions.draftsOfBulk(db, principal.tenantId, body.bulkId);
        const { found, missing } = await orgs.select(
          principal,
          { ...body.selector, orgs: body.selector?.orgs ?? drafted.map((d) => d.orgId) },
          BULK_MAX_ORGS,
        );
        const numbers = new Map(drafted.map((d) => [d.orgId, d.number]));
        targets = found
          .filter((o) => numbers.has(o.id))
          .map((org) => ({ org, number: numbers.get(org.id) as number }));
        results = body.selector?.orgs ? missing.map(missingResult) : [];
      } else {
        const { found, missing } = await orgs.select(principal, body.selector ?? {}, BULK_MAX_ORGS);
        const heads = await versions.heads(
          db,
          found.map((o) => o.id),
        );
        targets = found.map((org) => ({ org, number: heads.get(org.id) ?? null }));
        results = missing.map(missingResult);
      }
      logger.info({ bulkId, orgs: targets.length }, 'bulk approve: starting');
      const tick = progress('bulk approve', bulkId, targets.length + results.length);
      const perOrg: Result[] = new Array(targets.length);
      await eachLimited(targets, CONCURRENCY, async ({ org, number }, i) => {
        let result: Result;
        if (number === null) {
          result = {
            org: orgRef(org, org.slug),
            outcome: 'skipped',
            version: null,
            validation: null,
            problem: { status: 409, code: 'SSO_NO_VERSION', detail: 'The org has no version' },
          };
        } else {
          try {
            const approved = await service.approve(ctx, principal, org.id, number, {
              ...(body.comment ? { comment: body.comment } : {}),
              ...(body.overrideReason ? { overrideReason: body.overrideReason } : {}),
            });
            result = {
              org: orgRef(org, org.slug),
              outcome: 'approved',
              version: number,
              validation: approved.validation?.status ?? null,
              problem: null,
            };
          } catch (error) {
            if (!(error instanceof AppError))
              logger.error({ err: error, bulkId, orgId: org.id }, 'bulk approve: org failed');
            const problem = problemOf(error);
            const notDraft = problem.code === 'SSO_VERSION_NOT_DRAFT';
            result = {
              org: orgRef(org, org.slug),
              outcome: notDraft ? 'skipped' : 'failed',
              version: number,
              validation: null,
              problem,
            };
          }
        }
        perOrg[i] = result;
        tick(result.outcome);
      });
      const view = summarise(bulkId, false, [...perOrg, ...results], startedAt);
      logger.info({ bulkId, ...view.summary }, 'bulk approve: finished');
      if (view.summary.succeeded > 0 || view.summary.failed > 0) {
        await recordSummary(ctx, principal, 'sso_bulk.approved', bulkId, view, {
          ofBulk: body.bulkId ?? null,
          comment: body.comment ?? null,
          overrideReason: body.overrideReason ?? null,
        });
      }
      return view;
    },
  };
}

export type SsoBulkService = ReturnType<typeof createSsoBulkService>;
