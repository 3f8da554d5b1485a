/**
 * The checks that read the discovery document and the JWKS (SPEC §5). Pure: each takes what was
 * fetched and the caller's choices and returns a check with a sentence a person understands.
 */
import type { CheckName, DiscoveryCheck, DiscoveryMetadata } from './discovery-report.js';
import { type IdTokenAlg, isHmacAlg, type TokenEndpointAuthMethod } from './oidc-options.js';
import { listOf, quote } from './wording.js';

export type DiscoveryDocument = Readonly<Record<string, unknown>>;

const check = (
  name: CheckName,
  status: DiscoveryCheck['status'],
  message: string,
  details?: Record<string, unknown>,
): DiscoveryCheck => (details ? { name, status, message, details } : { name, status, message });

const MAX_TEXT = 2048;
const MAX_ITEMS = 100;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT ? value : null;
}

function texts(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter((v): v is string => typeof v === 'string' && v.length <= 200).slice(0, MAX_ITEMS);
}

/** The parts of the document a report keeps (strings only, bounded). */
export function metadataOf(document: DiscoveryDocument): DiscoveryMetadata {
  return {
    issuer: text(document.issuer),
    authorization_endpoint: text(document.authorization_endpoint),
    token_endpoint: text(document.token_endpoint),
    jwks_uri: text(document.jwks_uri),
    userinfo_endpoint: text(document.userinfo_endpoint),
    end_session_endpoint: text(document.end_session_endpoint),
    response_types_supported: texts(document.response_types_supported),
    id_token_signing_alg_values_supported: texts(document.id_token_signing_alg_values_supported),
    token_endpoint_auth_methods_supported: texts(document.token_endpoint_auth_methods_supported),
    scopes_supported: texts(document.scopes_supported),
  };
}

/** Two issuers that name the same URL and differ only in spelling: a trailing slash, letter case. */
function sameUrl(a: string, b: string): boolean {
  try {
    const canonical = (s: string) => new URL(s).href.replace(/\/+$/, '');
    return canonical(a) === canonical(b);
  } catch {
    return false;
  }
}

const TENANT_TEMPLATE = /\{tenant(id)?\}/i;

/**
 * The document's `issuer` must equal the requested one. The value forwarded is always the
 * discovered one, exactly: `discovered` is what the caller should store.
 */
export function checkIssuerMatch(
  requested: string,
  document: DiscoveryDocument,
): { readonly check: DiscoveryCheck; readonly discovered: string | null } {
  const published = document.issuer;
  if (typeof published !== 'string' || published === '') {
    return {
      discovered: null,
      check: check(
        'issuer_match',
        'fail',
        'The discovery document has no issuer, so ID tokens cannot be checked against it.',
      ),
    };
  }
  const discovered = text(published);
  const details = { requested, discovered: published };
  if (discovered === null) {
    return {
      discovered: null,
      check: check('issuer_match', 'fail', 'The issuer in the discovery document is implausibly long.', {
        requested,
      }),
    };
  }
  if (published === requested) {
    return {
      discovered,
      check: check('issuer_match', 'pass', `The IdP confirms its issuer is ${quote(published)}.`, details),
    };
  }
  if (TENANT_TEMPLATE.test(published)) {
    return {
      discovered,
      check: check(
        'issuer_match',
        'fail',
        `${quote(requested)} is a multi-tenant Microsoft Entra ID endpoint: its document publishes the issuer template ` +
          `${quote(published)}, and every user’s ID token carries the issuer of their own tenant, which can never ` +
          'equal one configured issuer. Use your tenant’s endpoint instead, ' +
          'https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0.',
        { ...details, multiTenantTemplate: true },
      ),
    };
  }
  if (sameUrl(published, requested)) {
    const slash = published.endsWith('/') !== requested.endsWith('/');
    const how = slash
      ? published.endsWith('/')
        ? 'with a trailing slash'
        : 'without a trailing slash'
      : 'spelled differently';
    return {
      discovered,
      check: check(
        'issuer_match',
        'warn',
        `The IdP names its issuer ${quote(published)} (${how}); ID tokens carry exactly that value, so it is the ` +
          `one that will be used instead of ${quote(requested)}.`,
        { ...details, corrected: true },
      ),
    };
  }
  return {
    discovered,
    check: check(
      'issuer_match',
      'fail',
      `The document at ${quote(requested)} says its issuer is ${quote(published)}, not ${quote(requested)}; ` +
        'ID tokens would carry the other value and be refused. Check that you entered the right issuer.',
      details,
    ),
  };
}

type EndpointField = 'authorization_endpoint' | 'token_endpoint' | 'jwks_uri';
const ENDPOINTS: readonly EndpointField[] = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'];

/** Why an endpoint cannot be used, or null when it can. */
function endpointProblem(field: EndpointField, value: unknown, allowHttp: boolean): string | null {
  if (typeof value !== 'string' || value === '') return `there is no ${field}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `the ${field} ${quote(value, 100)} is not a URL`;
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp)) return null;
  return `the ${field} ${quote(value, 100)} does not use https`;
}

/** authorization, token and JWKS endpoints present and https (no JWKS needed for HS* algorithms). */
export function checkEndpoints(
  document: DiscoveryDocument,
  options: { readonly alg: IdTokenAlg; readonly allowHttp: boolean },
): DiscoveryCheck {
  const details = Object.fromEntries(ENDPOINTS.map((f) => [f, text(document[f])]));
  const problems: string[] = [];
  let noteOnJwks: string | null = null;
  for (const field of ENDPOINTS) {
    const problem = endpointProblem(field, document[field], options.allowHttp);
    if (!problem) continue;
    if (field === 'jwks_uri' && isHmacAlg(options.alg) && document.jwks_uri === undefined) {
      noteOnJwks = ` There is no jwks_uri, which ${options.alg} does not need.`;
      continue;
    }
    problems.push(problem);
  }
  if (problems.length > 0) {
    const sentence = problems.join('; ');
    return check(
      'endpoints',
      'fail',
      `The discovery document cannot be used: ${sentence}.${problems.some((p) => p.includes('jwks_uri')) ? ' Without a JWKS the signatures of ID tokens cannot be verified.' : ''}`,
      details,
    );
  }
  // Plain http gets here only when it is allowed (development); the sentence must still say so.
  const plain = ENDPOINTS.filter(
    (f) => typeof document[f] === 'string' && /^http:/i.test(document[f] as string),
  );
  const what = `its authorization and token endpoints${noteOnJwks ? '' : ' and its JWKS'}`;
  if (plain.length > 0) {
    return check(
      'endpoints',
      'warn',
      `The IdP publishes ${what}, but ${plain.join(', ')} ${plain.length === 1 ? 'is' : 'are'} served over plain http: allowed only because OUTBOUND_ALLOW_HTTP is set (development); tokens and keys could be read or changed in transit.${noteOnJwks ?? ''}`,
      details,
    );
  }
  return check('endpoints', 'pass', `The IdP publishes ${what} over https.${noteOnJwks ?? ''}`, details);
}

export function checkResponseTypeCode(document: DiscoveryDocument): DiscoveryCheck {
  const supported = texts(document.response_types_supported);
  if (supported === null) {
    return check(
      'response_type_code',
      'warn',
      'The IdP does not list response_types_supported, so support for the authorization code flow cannot be confirmed.',
    );
  }
  if (supported.includes('code')) {
    return check(
      'response_type_code',
      'pass',
      'The IdP supports the authorization code flow (response type code).',
      {
        supported,
      },
    );
  }
  return check(
    'response_type_code',
    'fail',
    `The IdP offers the response types ${listOf(supported)}, but not code, which Cognigy’s login uses.`,
    { supported },
  );
}

export function checkIdTokenAlg(document: DiscoveryDocument, alg: IdTokenAlg): DiscoveryCheck {
  const supported = texts(document.id_token_signing_alg_values_supported);
  if (supported === null) {
    return check(
      'id_token_signing_alg',
      'warn',
      `The IdP does not list id_token_signing_alg_values_supported, so it cannot be confirmed that it signs ID tokens with ${alg}.`,
      { chosen: alg },
    );
  }
  if (supported.includes(alg)) {
    return check(
      'id_token_signing_alg',
      'pass',
      `The IdP signs ID tokens with ${listOf(supported)}; you chose ${alg}, which it offers.`,
      { chosen: alg, supported },
    );
  }
  return check(
    'id_token_signing_alg',
    'fail',
    `The IdP signs ID tokens with ${listOf(supported)}; you chose ${alg}, which it does not offer.`,
    { chosen: alg, supported },
  );
}

export function checkAuthMethod(
  document: DiscoveryDocument,
  method: TokenEndpointAuthMethod,
): DiscoveryCheck {
  const published = texts(document.token_endpoint_auth_methods_supported);
  const supported = published ?? ['client_secret_basic'];
  const source = published
    ? ''
    : ' (it does not list token_endpoint_auth_methods_supported, which means client_secret_basic only)';
  if (supported.includes(method)) {
    return check(
      'token_endpoint_auth_method',
      'pass',
      `The IdP accepts ${listOf(supported)} at its token endpoint${source}; you chose ${method}, which it accepts.`,
      { chosen: method, supported, published: published !== null },
    );
  }
  return check(
    'token_endpoint_auth_method',
    'fail',
    `The IdP accepts ${listOf(supported)} at its token endpoint${source}; you chose ${method}, which it does not accept.`,
    { chosen: method, supported, published: published !== null },
  );
}

interface KeySummary {
  readonly kid: string | null;
  readonly kty: string | null;
  readonly use: string | null;
  readonly alg: string | null;
}

/** Key ids of a JWKS body (only string kids), or null when the body is not a JWKS. */
export function jwksKeys(body: unknown): Readonly<Record<string, unknown>>[] | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const keys = (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return null;
  return keys.filter(
    (k): k is Record<string, unknown> => k !== null && typeof k === 'object' && !Array.isArray(k),
  );
}

const summary = (key: Readonly<Record<string, unknown>>): KeySummary => ({
  kid: text(key.kid),
  kty: text(key.kty),
  use: text(key.use),
  alg: text(key.alg),
});

/** An RSA key that may verify signatures with `alg`: use `sig` or none, alg `alg` or none. */
function usableFor(key: Readonly<Record<string, unknown>>, alg: IdTokenAlg): boolean {
  const ops = key.key_ops;
  return (
    key.kty === 'RSA' &&
    typeof key.n === 'string' &&
    typeof key.e === 'string' &&
    (key.use === undefined || key.use === 'sig') &&
    (key.alg === undefined || key.alg === alg) &&
    (ops === undefined || (Array.isArray(ops) && ops.includes('verify')))
  );
}

/** The JWKS has a key that can verify `alg` (an RS* algorithm). */
export function checkJwksKeys(jwksUri: string, body: unknown, alg: IdTokenAlg): DiscoveryCheck {
  const keys = jwksKeys(body);
  if (keys === null) {
    return check(
      'jwks',
      'fail',
      `The JWKS at ${quote(jwksUri)} is not a JSON Web Key Set (it has no "keys" list).`,
      {
        jwks_uri: jwksUri,
      },
    );
  }
  const summaries = keys.slice(0, MAX_ITEMS).map(summary);
  const usable = keys.filter((k) => usableFor(k, alg)).map(summary);
  const details = { jwks_uri: jwksUri, keys: summaries, usableKeyIds: usable.map((k) => k.kid) };
  if (usable.length > 0) {
    const ids = usable.map((k) => k.kid).filter((k): k is string => k !== null);
    return check(
      'jwks',
      'pass',
      `The JWKS has ${keys.length} key${keys.length === 1 ? '' : 's'}; ${usable.length} can verify ${alg} signatures${ids.length ? ` (${listOf(ids)})` : ''}.`,
      details,
    );
  }
  const kinds = summaries.map((k) => [k.kty ?? '?', k.use, k.alg].filter(Boolean).join(' '));
  return check(
    'jwks',
    'fail',
    keys.length === 0
      ? `The JWKS at ${quote(jwksUri)} has no keys, so no ID token signature could be verified.`
      : `The JWKS has ${keys.length} key${keys.length === 1 ? '' : 's'} (${listOf(kinds)}), none of which is an RSA signing key for ${alg}.`,
    details,
  );
}

/** Extra scopes should appear in `scopes_supported` (a warning only: IdPs often omit some). */
export function checkAdditionalScopes(
  document: DiscoveryDocument,
  additionalScope: string | undefined,
): DiscoveryCheck {
  const wanted = (additionalScope ?? '').split(/[\s,]+/).filter(Boolean);
  if (wanted.length === 0) {
    return check('additional_scopes', 'skip', 'No additional scope was asked for.');
  }
  const supported = texts(document.scopes_supported);
  if (supported === null) {
    return check(
      'additional_scopes',
      'skip',
      `The IdP does not publish scopes_supported, so ${listOf(wanted)} cannot be confirmed.`,
      { requested: wanted },
    );
  }
  const missing = wanted.filter((s) => !supported.includes(s));
  if (missing.length === 0) {
    return check('additional_scopes', 'pass', `The IdP lists ${listOf(wanted)} among its scopes.`, {
      requested: wanted,
    });
  }
  return check(
    'additional_scopes',
    'warn',
    `The IdP does not list ${listOf(missing)} among its scopes (${listOf(supported)}); it may refuse the login or ignore ${missing.length === 1 ? 'it' : 'them'}.`,
    { requested: wanted, missing, supported },
  );
}
