/**
 * What a person may do in the console, from the claims of their ID token and the tenant's settings
 * (pure): the email domain must be allowed, and the groups claim must name at least one mapped group.
 * A person gets the union of the roles of their groups; their org scope is the union of those
 * groups' scopes, or every org when any of their groups is not limited to orgs.
 */
import { type Role, TENANT_ROLES } from '../auth/principal.js';
import type { StoredRoleMapping } from '../console-login/console-login.repository.js';

export type Grant =
  | { readonly ok: true; readonly roles: Role[]; readonly orgScope: string[] | null }
  | {
      readonly ok: false;
      readonly reason: 'email_domain_not_allowed' | 'no_mapped_role';
      readonly detail: string;
    };

/** The claim's group values: a list of strings, or one string. */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function emailAllowed(email: string | null, verified: unknown, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  if (!email || verified === false) return false;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domains.includes(domain);
}

export function grantOf(
  settings: {
    readonly roleMappings: readonly StoredRoleMapping[];
    readonly groupsClaim: string;
    readonly allowedEmailDomains: readonly string[];
  },
  claims: Record<string, unknown>,
  email: string | null,
): Grant {
  if (!emailAllowed(email, claims.email_verified, settings.allowedEmailDomains)) {
    return {
      ok: false,
      reason: 'email_domain_not_allowed',
      detail: 'Your email address is not in a domain this tenant allows for the console.',
    };
  }
  const groups = new Set(groupsOf(claims, settings.groupsClaim));
  const matched = settings.roleMappings.filter((m) => groups.has(m.group));
  const granted = new Set(matched.flatMap((m) => m.roles));
  // In the one order of TENANT_ROLES, whatever the order of the mappings.
  const roles = TENANT_ROLES.filter((r) => granted.has(r));
  if (roles.length === 0) {
    return {
      ok: false,
      reason: 'no_mapped_role',
      detail:
        'None of your groups is given a role in this console. Ask the tenant’s administrator for access.',
    };
  }
  const unlimited = matched.some((m) => m.orgScope === null);
  const orgScope = unlimited ? null : [...new Set(matched.flatMap((m) => m.orgScope ?? []))];
  return { ok: true, roles, orgScope };
}
