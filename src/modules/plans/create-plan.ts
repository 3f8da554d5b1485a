/**
 * POST /v1/plans (issue 19): what applying a desired-state document would do to each org it selects —
 * `noop`, `draft` (with the field-level diff), `blocked` (validation fails) or `error` (unknown org,
 * an org selected twice, a bad value; with pointers into the document). Nothing is drafted; the plan
 * is stored for PLAN_TTL_SECONDS with what apply will write (secrets sealed) and audited.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson } from '../../lib/canonical-json.js';
import type { FieldError } from '../../lib/errors.js';
import { progressLog } from '../../lib/progress.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgRow } from '../orgs/orgs.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { BULK_MAX_ORGS, eachOrg } from '../sso-versions/bulk-results.js';
import { contentFields } from '../sso-versions/sso-content.js';
import type { ValidationReport } from '../sso-versions/sso-validation.js';
import { ssoVersionsRepository as versions } from '../sso-versions/sso-versions.repository.js';
import { newPlanSession, type OrgOutcome, type PlanOrgDeps, planOrg } from './plan-org.js';
import { interning, type PlannedDraft, secretNumbering } from './planned-draft.js';
import { type PlanRow, plansRepository as plans } from './plans.repository.js';
import type { DesiredStateDocument, PlanOrgView, PlanTotals } from './plans.schemas.js';
import { parseSelector } from './selector.js';

export interface CreatePlanDeps extends PlanOrgDeps {
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly secrets: Pick<SecretsService, 'fingerprint' | 'sealTenantSecret'>;
  readonly logger: Pick<Logger, 'info'>;
  readonly ttlSeconds: number;
  readonly now: () => Date;
}

const entryPointer = (i: number) => `/document/entries/${i}`;

/** The orgs each entry selects, the refs that name no org, and problems of whole entries. */
async function select(deps: CreatePlanDeps, principal: TenantPrincipal, document: DesiredStateDocument) {
  const selected = new Map<string, { org: OrgRow; entries: number[] }>();
  const missing: PlanOrgView[] = [];
  const errors: FieldError[] = [];
  for (const [i, entry] of document.entries.entries()) {
    if ((entry.orgs === undefined) === (entry.selector === undefined)) {
      errors.push({ pointer: entryPointer(i), detail: 'give exactly one of orgs and selector' });
      continue;
    }
    const { found, missing: unknown } = await deps.orgs.select(
      principal,
      entry.orgs ? { orgs: entry.orgs } : { labels: parseSelector(entry.selector as string) },
      BULK_MAX_ORGS,
    );
    for (const org of found) {
      const seen = selected.get(org.id);
      if (seen) seen.entries.push(i);
      else selected.set(org.id, { org, entries: [i] });
    }
    for (const ref of unknown) {
      missing.push(
        orgView({ id: null, slug: ref }, [i], 'error', null, {
          errors: [
            {
              pointer: `${entryPointer(i)}/orgs/${entry.orgs?.indexOf(ref) ?? 0}`,
              detail: `no active org ${ref} (or not visible to this key)`,
            },
          ],
        }),
      );
    }
  }
  return { selected: [...selected.values()], missing, errors };
}

function orgView(
  org: PlanOrgView['org'],
  entries: number[],
  action: PlanOrgView['action'],
  baseVersion: number | null,
  parts: Partial<Pick<PlanOrgView, 'changes' | 'summary' | 'validation' | 'errors'>> = {},
): PlanOrgView {
  return {
    org,
    entries,
    action,
    baseVersion,
    changes: parts.changes ?? [],
    summary: parts.summary ?? [],
    validation: parts.validation ?? null,
    errors: parts.errors ?? [],
  };
}

function viewOf(
  org: OrgRow,
  entries: number[],
  baseVersion: number,
  outcome: OrgOutcome,
  principal: TenantPrincipal,
  now: Date,
) {
  return orgView({ id: org.id, slug: org.slug }, entries, outcome.action, baseVersion, {
    changes: outcome.diff?.changes ?? [],
    summary: outcome.diff?.summary ?? [],
    // Blocked: the whole report, to show why. A draft: the checks that did not pass (its whole report is
    // stored with the version on apply); a thousand full reports would make a plan of megabytes.
    validation: outcome.report && {
      status: outcome.report.status,
      checkedAt: now.toISOString(),
      checkedBy: { id: principal.keyId, name: principal.keyName },
      checks: (outcome.action === 'blocked'
        ? outcome.report.checks
        : outcome.report.checks.filter((c) => c.status !== 'pass')) as never,
      discovery: (outcome.action === 'blocked' ? outcome.report.discovery : null) as never,
    },
    errors: outcome.errors,
  });
}

const totalsOf = (orgs: readonly PlanOrgView[]): PlanTotals => {
  const totals = { noop: 0, draft: 0, blocked: 0, error: 0 };
  for (const o of orgs) totals[o.action] += 1;
  return totals;
};

/** What the plan would do, org by org: the same plan of the same state has the same hash. */
const hashOf = (orgs: readonly PlanOrgView[], errors: readonly FieldError[]) =>
  createHash('sha256')
    .update(
      canonicalJson({
        errors,
        orgs: orgs.map((o) => ({
          org: o.org,
          action: o.action,
          base: o.baseVersion,
          changes: o.changes,
          errors: o.errors,
        })),
      }),
    )
    .digest('hex');

export async function createPlan(
  deps: CreatePlanDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  document: DesiredStateDocument,
): Promise<PlanRow> {
  const now = deps.now();
  const started = performance.now();
  const planId = uuidv7();
  const { selected, missing, errors } = await select(deps, principal, document);
  const heads = await versions.newestOf(
    deps.db,
    selected.map((s) => s.org.id),
  );
  deps.logger.info({ planId, orgs: selected.length, unknown: missing.length }, 'plan: starting');
  const tick = progressLog(deps.logger, 'plan: progress', { planId }, selected.length);

  // One org per issuer first, then the rest: discovery is cached per issuer, so each IdP is asked once.
  const firstPerIssuer: number[] = [];
  const issuers = new Set<string>();
  selected.forEach(({ entries }, i) => {
    const sso = document.entries[entries[0] as number]?.sso as { kind: string; idpIssuer?: unknown };
    const issuer = sso.kind === 'oidc' ? String(sso.idpIssuer) : null;
    if (entries.length === 1 && issuer !== null && !issuer.includes('{') && !issuers.has(issuer)) {
      issuers.add(issuer);
      firstPerIssuer.push(i);
    }
  });
  const first = new Set(firstPerIssuer);
  const rest = selected.map((_s, i) => i).filter((i) => !first.has(i));

  const session = newPlanSession();
  const views: PlanOrgView[] = new Array(selected.length);
  const outcomes: (OrgOutcome | undefined)[] = new Array(selected.length);
  const planOne = async (i: number) => {
    const { org, entries } = selected[i] as (typeof selected)[number];
    const head = heads.get(org.id) ?? null;
    const baseVersion = head?.number ?? 0;
    if (entries.length > 1) {
      const pointers = entries.map(entryPointer);
      views[i] = orgView({ id: org.id, slug: org.slug }, entries, 'error', baseVersion, {
        errors: pointers.map((p) => ({
          pointer: p,
          detail: `selects org ${org.slug}, as does ${pointers.filter((q) => q !== p).join(' and ')}`,
        })),
      });
    } else {
      const index = entries[0] as number;
      const entry = document.entries[index] as DesiredStateDocument['entries'][number];
      const outcome = await planOrg(
        deps,
        principal.tenantId,
        org,
        entry,
        `${entryPointer(index)}/sso`,
        head,
        now,
        session,
      );
      outcomes[i] = outcome;
      views[i] = viewOf(org, entries, baseVersion, outcome, principal, now);
    }
    tick(views[i]?.action === 'error');
  };
  await eachOrg(firstPerIssuer, planOne);
  await eachOrg(rest, planOne);

  const plannedMs = Math.round(performance.now() - started);
  const orgs = [...views, ...missing];
  const totals = totalsOf(orgs);
  const expiresAt = new Date(now.getTime() + deps.ttlSeconds * 1000);
  const row = await deps.change(ctx, async (tx, trail) => {
    await plans.purgeExpired(tx, principal.tenantId, now);
    const numbering = secretNumbering();
    const reports = interning<ValidationReport>();
    const drafts: PlannedDraft[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome?.action !== 'draft' || !outcome.draft) continue;
      const { org, entries } = selected[i] as (typeof selected)[number];
      const planned = outcome.draft;
      drafts.push({
        orgId: org.id,
        position: i,
        baseVersion: views[i]?.baseVersion ?? 0,
        kind: planned.content.kind,
        content: contentFields(planned.content),
        secrets: numbering.refOf(planned.sources),
        clientSecretExpiresAt: planned.clientSecretExpiresAt?.toISOString() ?? null,
        report: reports.indexOf(planned.report),
        note: document.entries[entries[0] as number]?.note ?? null,
      });
    }
    const sealed = await numbering.seal(deps.secrets, tx, principal.tenantId, planId);
    const hash = hashOf(orgs, errors);
    const inserted = await plans.insert(tx, {
      id: planId,
      tenantId: principal.tenantId,
      hash,
      orgIds: selected.map((s) => s.org.id),
      totals,
      orgs,
      errors,
      drafts: { secrets: sealed, reports: reports.values(), orgs: drafts },
      createdById: principal.keyId,
      createdByName: principal.keyName,
      expiresAt,
    });
    await trail.record({
      tenantId: principal.tenantId,
      action: 'plan.created',
      target: { type: 'plan', id: planId },
      diff: { after: { hash, totals, orgs: orgs.length, expiresAt: expiresAt.toISOString() } },
    });
    return inserted;
  });
  const durationMs = Math.round(performance.now() - started);
  deps.logger.info(
    { planId, ...totals, plannedMs, storedMs: durationMs - plannedMs, durationMs },
    'plan: finished',
  );
  return row;
}
