/** How console login settings are shown: to admins (the API), to the trail (diffs), to the key sign-in page. */
import { etagOf } from '../../lib/etag.js';
import type { ConsoleLoginRow } from './console-login.repository.js';
import type { ConsoleLoginView } from './console-login.schemas.js';

/** The URLs a tenant's console sign-in is reached by, from PUBLIC_URL. */
export const consoleUrls = (publicUrl: string, tenantSlug: string) => ({
  redirectUri: `${publicUrl}/ui/auth/callback`,
  loginUrl: `${publicUrl}/ui/login/${encodeURIComponent(tenantSlug)}`,
});

export function toConsoleLoginView(
  row: ConsoleLoginRow | null,
  urls: { readonly redirectUri: string; readonly loginUrl: string },
): ConsoleLoginView {
  if (!row) {
    return {
      configured: false,
      issuer: null,
      clientId: null,
      clientSecretFingerprint: null,
      idTokenSignedResponseAlg: null,
      groupsClaim: null,
      roleMappings: [],
      allowedEmailDomains: [],
      apiKeySignInAllowed: true,
      ...urls,
      validation: null,
      updatedAt: null,
      etag: null,
    };
  }
  return {
    configured: true,
    issuer: row.issuer,
    clientId: row.clientId,
    clientSecretFingerprint: row.clientSecretFingerprint,
    idTokenSignedResponseAlg: row.idTokenAlg,
    groupsClaim: row.groupsClaim,
    roleMappings: row.roleMappings.map((m) => ({ ...m, roles: [...m.roles] })),
    allowedEmailDomains: [...row.allowedEmailDomains],
    apiKeySignInAllowed: row.apiKeySignInAllowed,
    ...urls,
    validation: row.validation as ConsoleLoginView['validation'],
    updatedAt: row.updatedAt.toISOString(),
    etag: etagOf(row.revision),
  };
}

/** What the trail records of the settings: everything a person chose, the secret as its fingerprint. */
export const toConsoleLoginAuditView = (row: ConsoleLoginRow) => ({
  issuer: row.issuer,
  clientId: row.clientId,
  clientSecretFingerprint: row.clientSecretFingerprint,
  idTokenSignedResponseAlg: row.idTokenAlg,
  groupsClaim: row.groupsClaim,
  roleMappings: row.roleMappings,
  allowedEmailDomains: row.allowedEmailDomains,
  apiKeySignInAllowed: row.apiKeySignInAllowed,
});
export type ConsoleLoginAuditView = ReturnType<typeof toConsoleLoginAuditView>;
