/**
 * openid-client's view of a tenant's console IdP: discovered through the outbound network policy
 * (every request — discovery, JWKS, token — goes through it), with the ID token's signing algorithm
 * pinned to the one the settings name (oauth4webapi refuses a token signed with any other) and its
 * signature verified against the IdP's JWKS.
 */
import * as oidc from 'openid-client';
import { type IdTokenAlg, isHmacAlg } from '../discovery/oidc-options.js';
import type { OutboundFetch } from '../outbound/outbound-fetch.js';

export interface ConsoleClientSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly idTokenAlg: IdTokenAlg;
  readonly redirectUri: string;
}

export interface OidcClientDeps {
  readonly fetch: OutboundFetch;
  /** Permit http IdPs (development and tests; mirrors OUTBOUND_ALLOW_HTTP). */
  readonly allowHttp: boolean;
}

export async function consoleClient(
  deps: OidcClientDeps,
  s: ConsoleClientSettings,
): Promise<oidc.Configuration> {
  // No request of the sign-in follows a redirect: a token request must never be resent elsewhere.
  const viaPolicy: oidc.CustomFetch = (url, init) =>
    deps.fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      maxRedirects: 0,
    });
  return oidc.discovery(
    new URL(s.issuer),
    s.clientId,
    {
      redirect_uris: [s.redirectUri],
      response_types: ['code'],
      id_token_signed_response_alg: s.idTokenAlg,
    },
    oidc.ClientSecretBasic(s.clientSecret),
    {
      [oidc.customFetch]: viaPolicy,
      execute: [
        // openid-client trusts an ID token from the token endpoint on TLS alone; the console also
        // verifies its signature with the IdP's published keys (a token altered on the way, or
        // signed with a key the IdP does not publish, is refused). Only for asymmetric algorithms:
        // an HS* token is signed with the client secret, which the token endpoint's TLS already binds.
        ...(isHmacAlg(s.idTokenAlg) ? [] : [oidc.enableNonRepudiationChecks]),
        ...(deps.allowHttp ? [oidc.allowInsecureRequests] : []),
      ],
    },
  );
}

export const newSignInSecrets = async () => {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  return {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    codeVerifier,
    codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
  };
};

export { oidc };
