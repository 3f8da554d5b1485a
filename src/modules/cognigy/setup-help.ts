/**
 * §4.3: what the IdP application must allow for an org, from its Cognigy API base and organisation
 * id (NOTES "Cognigy.AI API"; Cognigy's SAML guide for the SAML URL). Pure.
 */

export interface SetupHelp {
  readonly organisationId: string;
  readonly apiOrigin: string;
  readonly oidc: { readonly loginUrl: string; readonly callbackUrl: string };
  readonly saml: { readonly loginUrl: string; readonly assertionConsumerServiceUrl: string };
}

/** null until the target has an organisation id (the URLs contain it). */
export function setupHelp(
  target: { apiBase: string; organisationId: string | null } | null,
): SetupHelp | null {
  if (!target?.organisationId) return null;
  // The login routes live at the API host's root, not under the /new API base.
  const apiOrigin = new URL(target.apiBase).origin;
  const id = encodeURIComponent(target.organisationId);
  return {
    organisationId: target.organisationId,
    apiOrigin,
    oidc: {
      loginUrl: `${apiOrigin}/auth/oidc/login/${id}`,
      callbackUrl: `${apiOrigin}/auth/oidc/login/callback/${id}`,
    },
    // Cognigy receives SAML responses at its SSO URL, which is also where a login starts.
    saml: {
      loginUrl: `${apiOrigin}/auth/saml/login/${id}`,
      assertionConsumerServiceUrl: `${apiOrigin}/auth/saml/login/${id}`,
    },
  };
}
