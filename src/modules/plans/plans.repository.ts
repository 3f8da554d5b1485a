/**
 * The `plans` table: a plan's per-org view, what apply writes, and its result. A plan is read and
 * claimed for apply by its tenant only; expired ones are deleted when the tenant next plans.
 */
import { type Selectable, sql } from 'kysely';
import type { Db, Tx } from '../../db/client.js';
import type { Plan } from '../../generated/kysely/types.js';
import type { PlannedDraft } from './planned-draft.js';
import type { PlanOrgView, PlanTotals } from './plans.schemas.js';

export interface PlanRow {
  readonly id: string;
  readonly tenantId: string;
  readonly hash: string;
  readonly state: 'planned' | 'applying' | 'applied';
  readonly orgIds: readonly string[];
  readonly totals: PlanTotals;
  readonly orgs: readonly PlanOrgView[];
  readonly errors: readonly { pointer: string; detail: string }[];
  readonly drafts: readonly PlannedDraft[];
  readonly createdById: string;
  readonly createdByName: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly appliedById: string | null;
  readonly appliedByName: string | null;
  readonly appliedAt: Date | null;
}

const planOf = (r: Selectable<Plan>): PlanRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  hash: r.hash,
  state: r.state as PlanRow['state'],
  orgIds: r.org_ids ?? [],
  totals: r.totals as PlanTotals,
  // After apply, `result` holds the per-org view with each org's result.
  orgs: (r.result ?? r.orgs) as PlanOrgView[],
  errors: r.errors as PlanRow['errors'],
  drafts: r.drafts as PlannedDraft[],
  createdById: r.created_by_id,
  createdByName: r.created_by_name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  appliedById: r.applied_by_id,
  appliedByName: r.applied_by_name,
  appliedAt: r.applied_at,
});

export type NewPlan = Omit<PlanRow, 'state' | 'appliedById' | 'appliedByName' | 'appliedAt' | 'createdAt'>;

export const plansRepository = {
  async insert(tx: Tx, plan: NewPlan): Promise<PlanRow> {
    const row = await tx
      .insertInto('plans')
      .values({
        id: plan.id,
        tenant_id: plan.tenantId,
        hash: plan.hash,
        org_ids: [...plan.orgIds],
        totals: JSON.stringify(plan.totals),
        orgs: JSON.stringify(plan.orgs),
        errors: JSON.stringify(plan.errors),
        drafts: JSON.stringify(plan.drafts),
        created_by_id: plan.createdById,
        created_by_name: plan.createdByName,
        expires_at: plan.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return planOf(row);
  },

  /** The tenant's plan, unless it has expired. */
  async find(db: Db, tenantId: string, id: string, now: Date): Promise<PlanRow | undefined> {
    const row = await db
      .selectFrom('plans')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row && planOf(row);
  },

  /** Takes a planned plan for apply (one caller wins); undefined when it is not `planned` any more. */
  async claim(db: Db, tenantId: string, id: string, now: Date): Promise<PlanRow | undefined> {
    const row = await db
      .updateTable('plans')
      .set({ state: 'applying' })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'planned')
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row && planOf(row);
  },

  async finish(
    tx: Tx,
    id: string,
    applied: { orgs: readonly PlanOrgView[]; byId: string; byName: string; at: Date },
  ): Promise<PlanRow> {
    const row = await tx
      .updateTable('plans')
      .set({
        state: 'applied',
        result: JSON.stringify(applied.orgs),
        // What apply needed is no longer kept: the sealed secrets go with it.
        drafts: JSON.stringify([]),
        applied_by_id: applied.byId,
        applied_by_name: applied.byName,
        applied_at: applied.at,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return planOf(row);
  },

  /** Deletes the tenant's expired plans. */
  async purgeExpired(tx: Tx, tenantId: string, now: Date): Promise<number> {
    const result = await tx
      .deleteFrom('plans')
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '<=', sql<Date>`${now}`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
