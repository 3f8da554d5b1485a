/**
 * A plan as the service answers it (POST /v1/plans, GET /v1/plans/{id}, POST /v1/plans/{id}/apply),
 * in the shape csso renders. Written to the API contract of issue 19; the service's own types
 * (src/client/openapi-types.ts) are checked against it where the calls are made.
 */

export type PlanAction = 'noop' | 'draft' | 'blocked' | 'error';

export interface PointerError {
  readonly pointer: string;
  readonly detail: string;
}

export interface FieldChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ReportCheck {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
}

export interface PlanProblem {
  readonly title?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly errors?: readonly PointerError[];
}

export interface OrgResult {
  readonly status: number;
  readonly version?: number | null;
  readonly approved?: boolean | null;
  readonly problem?: PlanProblem | null;
}

export interface PlanOrg {
  readonly org: { readonly id?: string | null; readonly slug: string };
  readonly entry?: number | null;
  readonly action: PlanAction;
  readonly baseVersion?: number | null;
  readonly diff?: readonly FieldChange[] | null;
  readonly report?: { readonly status?: string; readonly checks?: readonly ReportCheck[] } | null;
  readonly errors?: readonly PointerError[] | null;
  readonly result?: OrgResult | null;
}

export interface Plan {
  readonly id: string;
  readonly hash: string;
  readonly createdAt?: string;
  readonly expiresAt?: string;
  readonly state: 'planned' | 'applied' | string;
  readonly totals: {
    readonly noop: number;
    readonly draft: number;
    readonly blocked: number;
    readonly error: number;
  };
  readonly orgs: readonly PlanOrg[];
  readonly errors?: readonly PointerError[] | null;
}
