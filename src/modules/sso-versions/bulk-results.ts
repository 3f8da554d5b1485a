/**
 * What the two bulk operations share: the per-org result and its problem, work on a few orgs at a
 * time, progress and summary in the log, and the one audit event that records the operation itself.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.js';
import { progressLog } from '../../lib/progress.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { BulkResultView } from './sso-bulk.schemas.js';

/** Most orgs one bulk call may select. */
export const BULK_MAX_ORGS = 10_000;
/** Orgs worked on at once: each is a short transaction, and the tenant's audit chain serialises commits anyway. */
const CONCURRENCY = 4;
const PROGRESS_EVERY = 100;

export type Result = BulkResultView['results'][number];
export type Outcome = Result['outcome'];

/** Runs `work` over `items` with at most CONCURRENCY at a time, in order of start. */
export async function eachOrg<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** The result of one org. */
export const orgResult = (
  org: OrgRow,
  ref: string,
  outcome: Outcome,
  version: number | null,
  validation: Result['validation'],
  problem: Result['problem'] = null,
): Result => ({ org: { id: org.id, slug: org.slug, ref }, outcome, version, validation, problem });

/** The result of a selected ref that names no org the principal can see. */
export const missingResult = (ref: string): Result => ({
  org: { id: null, slug: null, ref },
  outcome: 'failed',
  version: null,
  validation: null,
  problem: { status: 404, code: 'ORG_NOT_FOUND', detail: 'No such org' },
});

/** What failed for one org, as a problem the caller can read (the detail of an unknown error goes to the log only). */
export function problemOf(error: unknown): NonNullable<Result['problem']> {
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

/**
 * One bulk operation's run: its id, a progress counter that logs every hundred orgs (or five
 * seconds) and at the end, and its summary (logged when it finishes).
 */
export function startBulk(logger: Pick<Logger, 'info'>, label: 'bulk draft' | 'bulk approve') {
  const startedAt = Date.now();
  const bulkId = randomUUID();
  return {
    bulkId,
    progress(total: number) {
      const tick = progressLog(logger, `${label}: progress`, { bulkId }, total, PROGRESS_EVERY);
      return (outcome: Outcome) => tick(outcome === 'failed');
    },
    finish(dryRun: boolean, results: Result[]): BulkResultView {
      const count = (...outcomes: Outcome[]) => results.filter((r) => outcomes.includes(r.outcome)).length;
      const view = {
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
      logger.info({ bulkId, ...view.summary }, `${label}: finished`);
      return view;
    },
  };
}

/** The one audit event of the operation: what it was asked to do, its summary and the orgs that failed. */
export async function recordSummary(
  change: ChangeRunner,
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
