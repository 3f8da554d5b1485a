/**
 * A console session as authentication sees it (issue 20). The sessions themselves live in
 * console-sessions/; this is the contract the auth plugin reads, so that plugins need nothing of
 * a module that has routes.
 */
import type { Role, TenantPrincipal } from './principal.js';

export interface ConsoleSessionInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly tenantSlug: string;
  readonly tenantName: string;
  readonly person: {
    readonly id: string;
    readonly issuer: string;
    readonly subject: string;
    readonly email: string | null;
    readonly name: string | null;
  };
  readonly roles: Role[];
  readonly orgScope: string[] | null;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly idleExpiresAt: Date;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

/** A session found by its cookie, with what the request may do. */
export interface AuthenticatedSession {
  readonly principal: TenantPrincipal;
  readonly session: ConsoleSessionInfo;
  /** The session's anti-CSRF token. */
  readonly csrfToken: string;
}

/** Finds the live session of a cookie's value (and slides its idle expiry), or nothing. */
export interface SessionAuthenticator {
  authenticate(token: string): Promise<AuthenticatedSession | undefined>;
}
