/**
 * openid-client's view of a tenant's console IdP: discovered through the outbound network policy
 * (every request — discovery, JWKS, token — goes through it), with the ID token's signing algorithm
 * pinned to the one the settings name (oauth4webapi refuses a token signed with any other) and its
 * signature verified: against the IdP's JWKS, or with the client secret for HS* algorithms.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
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
        // openid-client trusts an ID token from the token endpoint on TLS alone (OIDC Core
        // 3.1.3.7 allows it); the console also verifies its signature with the IdP's published keys
        // (a token altered on the way, or signed with a key the IdP does not publish, is refused).
        // openid-client does this for asymmetric algorithms only: HS* tokens are checked by
        // hmacSignatureHolds below.
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

/**
 * Whether an HS256/384/512 ID token (compact JWS) is signed with the client secret, as OIDC Core
 * 10.1 has the IdP do. The algorithm in its header was already pinned by openid-client.
 */
export function hmacSignatureHolds(idToken: string, alg: IdTokenAlg, clientSecret: string): boolean {
  const parts = idToken.split('.');
  if (parts.length !== 3 || !isHmacAlg(alg)) return false;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac(`sha${alg.slice(2)}`, clientSecret)
    .update(`${header}.${payload}`)
    .digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
