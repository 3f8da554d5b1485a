/** The OIDC client settings Cognigy accepts (SPEC §4.1), and their defaults. */

/** `idpIdTokenSignedResponseAlg`: how the IdP signs the ID tokens it gives Cognigy. */
export const ID_TOKEN_ALGS = ['RS256', 'RS384', 'RS512', 'HS256', 'HS384', 'HS512'] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];
export const DEFAULT_ID_TOKEN_ALG: IdTokenAlg = 'RS256';

/** `idpTokenEndpointAuthMethod`: how Cognigy authenticates to the IdP's token endpoint. */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export const DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD: TokenEndpointAuthMethod = 'client_secret_basic';

/** HS* algorithms use the client secret as the key: no published key is involved. */
export const isHmacAlg = (alg: IdTokenAlg): boolean => alg.startsWith('HS');
