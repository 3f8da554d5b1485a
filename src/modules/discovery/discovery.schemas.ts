import { type Static, Type } from 'typebox';
import { literals, VSCHAR_PATTERN } from '../../lib/schemas.js';
import { CHECK_NAMES } from './discovery-report.js';
import { ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from './oidc-options.js';

const VSCHAR = VSCHAR_PATTERN;

/**
 * The rough shape of an issuer, so that what is plainly not one is refused before any request:
 * an optional http(s) scheme, a host (name, IPv4 or [IPv6], optional port), an optional path, no
 * white space or control characters. The validator explains everything finer in its report.
 */
/** Scope tokens (RFC 6749 §3.3) separated by single spaces. */
export const SCOPE_PATTERN = '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+( [\\x21\\x23-\\x5b\\x5d-\\x7e]+)*$';

export const ISSUER_SHAPE =
  '^(?:[Hh][Tt][Tt][Pp][Ss]?://)?(?:[A-Za-z0-9\\u00a1-\\uffff._~%-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?(?:[/?#][^\\s\\u0000-\\u001f\\u007f]*)?$';

export const CheckDiscoveryBody = Type.Object(
  {
    issuer: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: ISSUER_SHAPE,
      description:
        'The IdP’s issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0. A bare domain is tried as https://domain; a pasted …/.well-known/openid-configuration URL is turned back into its issuer.',
      examples: ['https://example.eu.auth0.com/'],
    }),
    idTokenSignedResponseAlg: Type.Optional(
      literals(ID_TOKEN_ALGS, { description: 'How the IdP signs ID tokens (default RS256)' }),
    ),
    tokenEndpointAuthMethod: Type.Optional(
      literals(TOKEN_ENDPOINT_AUTH_METHODS, {
        description: 'How Cognigy authenticates at the token endpoint (default client_secret_basic)',
      }),
    ),
    additionalScope: Type.Optional(
      Type.String({
        maxLength: 1024,
        pattern: SCOPE_PATTERN,
        description: 'Extra scopes beyond openid, separated by single spaces',
      }),
    ),
    probe: Type.Optional(
      Type.Object(
        {
          clientId: Type.String({ minLength: 1, maxLength: 512, pattern: VSCHAR }),
          clientSecret: Type.String({
            minLength: 1,
            maxLength: 1024,
            pattern: VSCHAR,
            description: 'Used for one token request and forgotten: never stored, logged or returned',
          }),
          redirectUri: Type.Optional(
            Type.String({
              maxLength: 2048,
              pattern: '^https?://[^\\s]+$',
              description: 'The callback URL registered at the IdP (Cognigy’s OIDC callback)',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Opt-in credential probe: a token request with a made-up authorization code. invalid_grant proves the client id and secret are accepted; invalid_client or 401 that they are not.',
        },
      ),
    ),
    refresh: Type.Optional(
      Type.Boolean({ default: false, description: 'Ignore the cached discovery document and JWKS' }),
    ),
  },
  { additionalProperties: false },
);
export type CheckDiscoveryBody = Static<typeof CheckDiscoveryBody>;

const NullableText = Type.Union([Type.String(), Type.Null()]);
const NullableList = Type.Union([Type.Array(Type.String()), Type.Null()]);

/** Free-form facts: serialised as they are. */
const Details = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  description: 'Machine-readable facts behind the check (never a secret)',
});

export const DiscoveryReportView = Type.Object(
  {
    status: literals(['pass', 'warn', 'fail'], { description: 'The worst outcome among the checks' }),
    issuer: Type.Object({
      requested: Type.String({ description: 'As sent' }),
      discovered: Type.Union([Type.String(), Type.Null()], {
        description: 'The document’s issuer, exactly: the value to forward',
      }),
    }),
    checks: Type.Array(
      Type.Object({
        name: literals(CHECK_NAMES),
        status: literals(['pass', 'warn', 'fail', 'skip']),
        message: Type.String(),
        details: Type.Optional(Details),
      }),
      { description: `Every check, in this order: ${CHECK_NAMES.join(', ')}` },
    ),
    metadata: Type.Union([
      Type.Object({
        issuer: NullableText,
        authorization_endpoint: NullableText,
        token_endpoint: NullableText,
        jwks_uri: NullableText,
        userinfo_endpoint: NullableText,
        end_session_endpoint: NullableText,
        response_types_supported: NullableList,
        id_token_signing_alg_values_supported: NullableList,
        token_endpoint_auth_methods_supported: NullableList,
        scopes_supported: NullableList,
      }),
      Type.Null(),
    ]),
    evidence: Type.Union([
      Type.Object({
        documentSha256: Type.String({ description: 'SHA-256 (hex) of the discovery document as received' }),
        jwksKeyIds: Type.Array(Type.String()),
      }),
      Type.Null(),
    ]),
    checkedAt: Type.String({ format: 'date-time' }),
    durationMs: Type.Integer({ minimum: 0 }),
    cached: Type.Boolean({ description: 'The discovery document came from the cache' }),
  },
  { description: 'Discovery report (stable shape: stored with every SSO version)' },
);
