/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { PlanTotals } from './plans.schemas.js';

/** A plan as its events record it: what it would do, never a secret (diffs live in the plan). */
export interface PlanSnapshot {
  readonly hash: string;
  readonly totals: PlanTotals;
  readonly orgs: number;
  readonly expiresAt: string;
}

export interface PlanApplied {
  readonly hash: string;
  readonly drafted: number;
  readonly approved: number;
  readonly refused: number;
  readonly refusedOrgs: readonly string[];
}

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'plan.created': { target: 'plan'; diff: { readonly after: PlanSnapshot } };
    'plan.applied': { target: 'plan'; diff: { readonly after: PlanApplied } };
  }
}
