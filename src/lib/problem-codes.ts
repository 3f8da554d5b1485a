/**
 * The registry of problem codes: every `code` the API answers with, and its HTTP status. A code is
 * the stable, machine-readable name of a problem (MODULE_SNAKE_CASE) that clients match on, so none
 * here may be renamed. The `title` is the status's (as the API has always sent it) and the `type` URI
 * names the code. The error classes of errors.ts accept only the codes of their own status: a
 * misspelt code, or one thrown with another status than registered here, does not compile.
 * test/lib/problem-codes.test.ts checks the registry against src/ (each code used, none unknown).
 */
import { problemType } from './problem.js';

/** The title of each status an answer can have (RFC 9110 reason phrases, sentence case). */
export const STATUS_TITLES = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Content too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  428: 'Precondition required',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
} as const;
export type ProblemStatus = keyof typeof STATUS_TITLES;

const STATUS_OF = {
  // The request as such: refused by the framework or by its schema, before any module ran.
  REQUEST_VALIDATION_FAILED: 400,
  REQUEST_BODY_TOO_LARGE: 413,
  REQUEST_MEDIA_TYPE_UNSUPPORTED: 415,
  REQUEST_BODY_EMPTY: 400,
  REQUEST_JSON_INVALID: 400,
  REQUEST_CONTENT_LENGTH_INVALID: 400,
  REQUEST_URL_INVALID: 400,
  REQUEST_PATH_PARAMETER_TOO_LONG: 414,
  /** Any other refusal of the framework; it keeps the framework's status (a 4xx, 400 as a rule). */
  REQUEST_INVALID: 400,
  REQUEST_IF_MATCH_INVALID: 400,
  REQUEST_REVISION_MISMATCH: 400,
  ROUTE_NOT_FOUND: 404,
  PAGINATION_CURSOR_INVALID: 400,
  /** Anything unexpected; its detail goes to the log only. */
  INTERNAL_ERROR: 500,

  AUTH_UNAUTHENTICATED: 401,
  AUTH_TOO_MANY_FAILURES: 429,
  AUTH_REQUIRED: 403,
  AUTH_ROLE_REQUIRED: 403,
  AUTH_PLATFORM_ADMIN_REQUIRED: 403,
  AUTH_PLATFORM_KEY_NOT_ALLOWED: 403,
  AUTH_ORG_SCOPED_KEY: 403,

  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 409,
  IDEMPOTENCY_RESPONSE_LOST: 409,

  TENANT_NOT_FOUND: 404,
  TENANT_SLUG_TAKEN: 409,
  TENANT_REVISION_STALE: 409,

  API_KEY_NOT_FOUND: 404,
  API_KEY_EXPIRY_INVALID: 400,
  API_KEY_ORG_SCOPE_INVALID: 400,

  ORG_NOT_FOUND: 404,
  ORG_ARCHIVED: 409,
  ORG_REVISION_STALE: 409,
  ORG_SLUG_TAKEN: 409,

  COGNIGY_API_BASE_INVALID: 400,
  COGNIGY_API_KEY_REQUIRED: 400,
  COGNIGY_TARGET_MISSING: 409,

  SSO_VERSION_NOT_FOUND: 404,
  SSO_VERSION_NOT_DRAFT: 409,
  SSO_VERSION_OUTDATED: 409,
  SSO_VERSION_HASH_MISMATCH: 409,
  SSO_BASE_VERSION_REQUIRED: 428,
  SSO_BASE_VERSION_STALE: 409,
  SSO_CONFIGURATION_INVALID: 400,
  SSO_CLIENT_SECRET_REQUIRED: 400,
  SSO_SECRETS_UNAVAILABLE: 409,
  SSO_VALIDATION_BLOCKING: 422,
  SSO_VALIDATION_FAILED: 422,
  SSO_SELF_APPROVAL_FORBIDDEN: 403,
  SSO_ROLLBACK_APPROVAL_DISABLED: 403,
  SSO_NO_LIVE_VERSION: 409,
  /** Only in a bulk result: the org has no version to approve. */
  SSO_NO_VERSION: 409,

  BULK_SELECTION_REQUIRED: 400,
  BULK_SELECTION_TOO_LARGE: 400,
  BULK_NO_BASE_VERSION: 400,
  BULK_TEMPLATE_UNRESOLVED: 400,

  PLAN_NOT_FOUND: 404,
  PLAN_BEING_APPLIED: 409,

  DEPLOYMENT_NOT_FOUND: 404,
  DEPLOYMENT_NOT_FAILED: 409,
  DEPLOYMENT_OUTDATED: 409,

  AUDIT_RANGE_INVALID: 400,
  AUDIT_CHECKPOINTS_NDJSON_UNPAGED: 400,

  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_URL_REFUSED: 400,
  WEBHOOK_DISABLED: 409,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  // Console sign-in (issue 20).
  CONSOLE_LOGIN_NOT_FOUND: 404,
  CONSOLE_LOGIN_STALE: 409,
  CONSOLE_LOGIN_SECRET_REQUIRED: 422,
  CONSOLE_LOGIN_ORG_UNKNOWN: 422,
  CONSOLE_LOGIN_VALIDATION_FAILED: 422,
  CONSOLE_SESSION_NOT_FOUND: 404,
  CONSOLE_SESSION_REQUIRED: 401,
  CSRF_REJECTED: 403,

  HEALTH_DATABASE_UNREACHABLE: 503,
  HEALTH_MIGRATIONS_PENDING: 503,

  UI_NOT_BUILT: 503,
  UI_FILE_NOT_FOUND: 404,
} as const satisfies Record<string, ProblemStatus>;

export type ProblemCode = keyof typeof STATUS_OF;

/** The codes registered with status `S`. */
export type ProblemCodeOf<S extends ProblemStatus> = {
  [C in ProblemCode]: (typeof STATUS_OF)[C] extends S ? C : never;
}[ProblemCode];

export interface ProblemDefinition<C extends ProblemCode = ProblemCode> {
  readonly code: C;
  readonly status: (typeof STATUS_OF)[C];
  readonly title: string;
  /** The problem+json `type`: a URI naming the code. */
  readonly type: string;
}

export const PROBLEMS = Object.freeze(
  Object.fromEntries(
    Object.entries(STATUS_OF).map(([code, status]) => [
      code,
      Object.freeze({ code, status, title: STATUS_TITLES[status], type: problemType(code) }),
    ]),
  ),
) as { readonly [C in ProblemCode]: ProblemDefinition<C> };
