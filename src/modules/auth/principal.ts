/**
 * Who is calling, and what they may do (§3.3). Pure: no I/O, no framework.
 */
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';

export const TENANT_ROLES = ['admin', 'editor', 'approver', 'auditor'] as const;
export type Role = (typeof TENANT_ROLES)[number];

export interface PlatformPrincipal {
  readonly kind: 'platform';
  readonly keyId: string;
  readonly keyName: string;
}

/** The person behind a console session (issue 20), with the session they act in. */
export interface SessionPerson {
  /** The person's stable id (people.id): the same in every session of theirs. */
  readonly id: string;
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly name: string | null;
  /** The public id of the session (console_sessions.id), never its secret. */
  readonly sessionId: string;
}

export interface TenantPrincipal {
  readonly kind: 'tenant';
  /**
   * The actor's id: the API key's, or in a console session the person's (so that created_by_id,
   * the audit actor and four eyes compare people across their sessions).
   */
  readonly keyId: string;
  /** The key's name, or the person's email (or name). */
  readonly keyName: string;
  /** Set when the caller is a person in a console session rather than an API key. */
  readonly person?: SessionPerson;
  readonly tenantId: string;
  readonly roles: readonly Role[];
  /** null: every org of the tenant. */
  readonly orgScope: readonly string[] | null;
}

export type Principal = PlatformPrincipal | TenantPrincipal;

export function requireTenantPrincipal(principal: Principal): TenantPrincipal {
  if (principal.kind !== 'tenant') {
    throw new ForbiddenError(
      'AUTH_PLATFORM_KEY_NOT_ALLOWED',
      'A platform admin key can only create and list tenants',
    );
  }
  return principal;
}

export function requirePlatformPrincipal(principal: Principal): PlatformPrincipal {
  if (principal.kind !== 'platform') {
    throw new ForbiddenError('AUTH_PLATFORM_ADMIN_REQUIRED', 'Only a platform admin key can manage tenants');
  }
  return principal;
}

/** Throws 403 unless the principal holds at least one of `roles`. */
export function requireRole(principal: Principal, roles: readonly Role[]): TenantPrincipal {
  const tenant = requireTenantPrincipal(principal);
  if (!roles.some((r) => tenant.roles.includes(r))) {
    throw new ForbiddenError('AUTH_ROLE_REQUIRED', `This needs one of the roles: ${roles.join(', ')}`);
  }
  return tenant;
}

/** Tenant-wide actions (creating orgs, managing keys) need a key without org scope. */
export function requireUnscoped(principal: TenantPrincipal): void {
  if (principal.orgScope) {
    throw new ForbiddenError('AUTH_ORG_SCOPED_KEY', 'An org-scoped key cannot do tenant-wide actions');
  }
}

export function canSeeOrg(principal: TenantPrincipal, orgId: string): boolean {
  return principal.orgScope === null || principal.orgScope.includes(orgId);
}

/** An org outside the key's scope is indistinguishable from one that does not exist. */
export function assertOrgVisible(principal: TenantPrincipal, orgId: string): void {
  if (!canSeeOrg(principal, orgId)) throw new NotFoundError('ORG_NOT_FOUND', 'No such org');
}
