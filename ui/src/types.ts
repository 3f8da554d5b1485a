/**
 * The API's response shapes, taken from the service's own route schemas (types only: nothing of the
 * server is bundled), so the UI cannot drift from what the API answers.
 */
import type { Static } from 'typebox';
import type { AuditEventView, VerifyView } from '../../src/modules/audit/audit.schemas.js';
import type { ConsoleLoginOptionsView } from '../../src/modules/console-login/console-login.schemas.js';
import type {
  SessionView as ConsoleSessionSchema,
  CurrentSessionView,
  PersonView as PersonSchema,
  SignedOutView,
} from '../../src/modules/console-sessions/console-sessions.schemas.js';
import type { FindingView } from '../../src/modules/findings/findings.schemas.js';
import type { DeploymentDetailView } from '../../src/modules/forwarding/deployments.schemas.js';
import type { DiffView } from '../../src/modules/sso-versions/sso-versions.schemas.js';
import type { SentView } from '../../src/modules/webhooks/webhooks.schemas.js';

export type { ApiKeyView } from '../../src/modules/api-keys/api-keys.schemas.js';
export type { FindingView } from '../../src/modules/findings/findings.schemas.js';
export type { DeploymentView } from '../../src/modules/forwarding/deployments.schemas.js';
export type { MeView } from '../../src/modules/me/me.schemas.js';
export type { OrgView } from '../../src/modules/orgs/orgs.schemas.js';
export type { SsoStateView } from '../../src/modules/sso-versions/sso-state.schemas.js';
export type { VersionView } from '../../src/modules/sso-versions/sso-versions.schemas.js';
export type { TenantView } from '../../src/modules/tenants/tenants.schemas.js';
export type { DeliveryView, WebhookView } from '../../src/modules/webhooks/webhooks.schemas.js';

export type AuditEvent = Static<typeof AuditEventView>;
export type Verification = Static<typeof VerifyView>;
export type DeploymentDetail = Static<typeof DeploymentDetailView>;
export type Diff = Static<typeof DiffView>;
export type Sent = Static<typeof SentView>;

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** What "Check now" answers (POST /v1/orgs/{org}/watch/run; WatchRunView in watch.routes.ts). */
export interface WatchRun {
  /** OIDC issuers fetched. */
  readonly issuers: number;
  readonly opened: number;
  readonly changed: number;
  readonly resolved: number;
  /** Open findings seen again unchanged. */
  readonly seen: number;
  /** The org's open findings after the check, most severe first. */
  readonly open: FindingView[];
}

export type { ConsoleLoginView, RoleMapping } from '../../src/modules/console-login/console-login.schemas.js';
/** The person of a console session. */
export type PersonView = Static<typeof PersonSchema>;
/** GET /v1/session: who the cookie speaks for, and the anti-CSRF token for changes. */
export type SessionView = Static<typeof CurrentSessionView>;
/** One row of GET /v1/console-sessions (id is a public id, never the secret session id). */
export type ConsoleSessionView = Static<typeof ConsoleSessionSchema>;
/** GET /v1/console-login/options?tenant=: what the sign-in page offers (public). */
export type SignInOptions = Static<typeof ConsoleLoginOptionsView>;
/** DELETE /v1/session: where to sign out at the IdP too. */
export type SignedOut = Static<typeof SignedOutView>;

/** The part of a validation report the console sign-in page shows (the 422's `validation`). */
export interface ValidationReport {
  readonly status: string;
  readonly checks: ReadonlyArray<{
    readonly name: string;
    readonly status: string;
    readonly message: string;
  }>;
}
