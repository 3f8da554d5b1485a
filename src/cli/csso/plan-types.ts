/**
 * A plan as csso reads it (POST /v1/plans, GET /v1/plans/{id}, POST /v1/plans/{id}/apply): the part
 * of the service's answer that csso renders, as readonly and optional as it can be, so that the
 * generated types of those operations (src/client/openapi-types.ts) are assignable to it — the
 * compiler checks that where the calls are made.
 */

export type PlanAction = 'noop' | 'draft' | 'blocked' | 'error';

export interface PointerError {
  readonly pointer: string;
  readonly detail: string;
}

export interface FieldChange {
  readonly field: string;
  readonly before?: unknown;
  readonly after?: unknown;
  /** Before and after are fingerprints. */
  readonly secret?: boolean;
}

export interface ReportCheck {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
}

export interface OrgResult {
  readonly status: number;
  readonly version?: number | null;
  readonly approved?: boolean;
  readonly problem?: {
    readonly code?: string;
    readonly title?: string;
    readonly detail?: string;
    readonly errors?: readonly PointerError[];
  } | null;
}

export interface PlanOrg {
  readonly org: { readonly id?: string | null; readonly slug: string };
  readonly action: PlanAction;
  /** The org's newest version when planned (0 or null: none). */
  readonly baseVersion?: number | null;
  readonly changes?: readonly FieldChange[];
  readonly validation?: { readonly status?: string; readonly checks?: readonly ReportCheck[] } | null;
  readonly errors?: readonly PointerError[];
  /** After apply, for the orgs that were to be drafted. */
  readonly result?: OrgResult;
}

export interface Plan {
  readonly id: string;
  readonly hash: string;
  readonly expiresAt?: string;
  readonly state: string;
  readonly totals: {
    readonly noop: number;
    readonly draft: number;
    readonly blocked: number;
    readonly error: number;
  };
  readonly orgs: readonly PlanOrg[];
  /** The document's own problems, which concern no single org. */
  readonly errors?: readonly PointerError[];
}
