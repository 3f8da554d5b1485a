/**
 * The `plans` table: a plan's per-org view, what apply writes, and its result. A plan is read and
 * claimed for apply by its tenant only; expired ones are deleted when the tenant next plans.
 */
import { type Selectable, sql } from 'kysely';
import type { Db, Tx } from '../../db/client.js';
import type { Plan } from '../../generated/kysely/types.js';
import type { PlannedDrafts } from './planned-draft.js';
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
  readonly drafts: PlannedDrafts;
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
  drafts: r.drafts as PlannedDrafts,
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
    // Only the creation time comes back: a large plan is megabytes of JSON, not worth reading again.
    const { created_at } = await tx
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
      .returning('created_at')
      .executeTakeFirstOrThrow();
    return {
      ...plan,
      state: 'planned',
      createdAt: created_at,
      appliedById: null,
      appliedByName: null,
      appliedAt: null,
    };
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

  /** Marks the claimed plan applied with each org's result; what apply needed is no longer kept. */
  async finish(
    tx: Tx,
    plan: PlanRow,
    applied: { orgs: readonly PlanOrgView[]; byId: string; byName: string; at: Date },
  ): Promise<PlanRow> {
    const drafts = { secrets: [], reports: [], orgs: [] };
    await tx
      .updateTable('plans')
      .set({
        state: 'applied',
        result: JSON.stringify(applied.orgs),
        drafts: JSON.stringify(drafts),
        applied_by_id: applied.byId,
        applied_by_name: applied.byName,
        applied_at: applied.at,
      })
      .where('id', '=', plan.id)
      .execute();
    return {
      ...plan,
      state: 'applied',
      orgs: applied.orgs,
      drafts,
      appliedById: applied.byId,
      appliedByName: applied.byName,
      appliedAt: applied.at,
    };
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
