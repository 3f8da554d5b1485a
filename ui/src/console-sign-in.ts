/**
 * What the sign-in page, the "Console sign-in" settings and the sessions page decide without
 * rendering (unit-tested in test/ui/console-sign-in.test.ts). Pure: no DOM, no requests.
 */
import type { ConsoleLoginView, PersonView, RoleMapping, ValidationReport } from './types.js';

export const ROLES = ['admin', 'editor', 'approver', 'auditor'] as const;

/** Only admins read and change the console sign-in settings and the tenant's sessions (the API's rule). */
export const mayManageConsoleSignIn = (roles: readonly string[]) => roles.includes('admin');

/** Tenant slugs as the service accepts them: lowercase letters, digits and inner hyphens. */
export const looksLikeSlug = (text: string) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(text);

/**
 * Where the identity provider should bring the person back: this page's path and hash route (the
 * hash never reaches the server otherwise). Only local paths under /ui/ qualify, as the server's
 * own rule says; anything else falls back to the console's start.
 */
export function returnToOf(pathname: string, hash: string): string {
  const path = pathname.startsWith('/ui/') ? pathname : '/ui/';
  const target = `${path}${hash}`;
  return /^\/ui\/[^\\]*$/.test(target) && !target.includes('//') ? target : '/ui/';
}

/** The tenant's sign-in through its identity provider, coming back to `returnTo`. */
export const loginHref = (slug: string, returnTo: string) =>
  `/ui/login/${encodeURIComponent(slug)}?returnTo=${encodeURIComponent(returnTo)}`;

/** A person as the header and the sessions list show them: name and email when both are known. */
export function personLabel(person: Pick<PersonView, 'name' | 'email' | 'subject'>): string {
  if (person.name && person.email && person.name !== person.email) return `${person.name} (${person.email})`;
  return person.name ?? person.email ?? person.subject;
}

/** One editable row of the group → roles mapping (org scope as typed: comma-separated). */
export interface MappingRow {
  readonly group: string;
  readonly roles: readonly string[];
  readonly orgScope: string;
}

/** The settings form, as the page edits it. */
export interface SettingsForm {
  readonly issuer: string;
  readonly clientId: string;
  /** Empty: keep the stored secret. */
  readonly clientSecret: string;
  readonly idTokenSignedResponseAlg: string;
  readonly groupsClaim: string;
  readonly mappings: readonly MappingRow[];
  /** Comma- or space-separated. */
  readonly allowedEmailDomains: string;
  readonly apiKeySignInAllowed: boolean;
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

export const emptyMapping = (): MappingRow => ({ group: '', roles: [], orgScope: '' });

export function formOf(view: ConsoleLoginView): SettingsForm {
  return {
    issuer: view.issuer ?? '',
    clientId: view.clientId ?? '',
    clientSecret: '',
    idTokenSignedResponseAlg: view.idTokenSignedResponseAlg || 'RS256',
    groupsClaim: view.groupsClaim || 'groups',
    mappings: view.roleMappings.length
      ? view.roleMappings.map((m) => ({
          group: m.group,
          roles: m.roles,
          orgScope: (m.orgScope ?? []).join(', '),
        }))
      : [emptyMapping()],
    allowedEmailDomains: view.allowedEmailDomains.join(', '),
    apiKeySignInAllowed: view.apiKeySignInAllowed,
  };
}

/** The PUT body, or the sentences that say what to fix first (the API checks everything again). */
export function settingsBody(
  form: SettingsForm,
  configured: boolean,
): { body: Record<string, unknown>; problems: [] } | { body: null; problems: string[] } {
  const problems: string[] = [];
  if (!form.issuer.trim()) problems.push('The issuer is required.');
  if (!form.clientId.trim()) problems.push('The client ID is required.');
  if (!configured && !form.clientSecret) problems.push('The client secret is required the first time.');
  const rows = form.mappings.filter((m) => m.group.trim() || m.roles.length || m.orgScope.trim());
  if (rows.length === 0)
    problems.push('Map at least one group to roles: a person with no mapped role is refused.');
  rows.forEach((m, i) => {
    if (!m.group.trim()) problems.push(`Mapping ${i + 1}: the group is required.`);
    if (m.roles.length === 0) problems.push(`Mapping ${i + 1}: choose at least one role.`);
  });
  if (problems.length) return { body: null, problems };
  const roleMappings: RoleMapping[] = rows.map((m) => ({
    group: m.group.trim(),
    roles: ROLES.filter((r) => m.roles.includes(r)),
    orgScope: list(m.orgScope).length ? list(m.orgScope) : null,
  }));
  return {
    body: {
      issuer: form.issuer.trim(),
      clientId: form.clientId.trim(),
      ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
      idTokenSignedResponseAlg: form.idTokenSignedResponseAlg,
      groupsClaim: form.groupsClaim.trim() || 'groups',
      roleMappings,
      allowedEmailDomains: list(form.allowedEmailDomains),
      apiKeySignInAllowed: form.apiKeySignInAllowed,
    },
    problems: [],
  };
}

/** Why a session's End button is disabled, or null when it may be pressed. */
export function endSessionBlocked(roles: readonly string[], current: boolean): string | null {
  if (!mayManageConsoleSignIn(roles))
    return `Ending sessions needs the admin role; your roles: ${roles.join(', ')}.`;
  if (current) return 'This is your own session: use Sign out.';
  return null;
}

/**
 * The validation report a refused save carries (422: the issuer failed the discovery checks), found
 * by its shape: the problem's `validation` or `report` member with a list of checks.
 */
export function reportOf(problem: unknown): ValidationReport | null {
  if (!problem || typeof problem !== 'object') return null;
  for (const member of ['validation', 'report']) {
    const candidate = (problem as Record<string, unknown>)[member];
    if (candidate && typeof candidate === 'object' && Array.isArray((candidate as ValidationReport).checks)) {
      return candidate as ValidationReport;
    }
  }
  return null;
}
