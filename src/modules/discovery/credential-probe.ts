/**
 * The credential probe (SPEC §5): a token request with a made-up authorization code, authenticated
 * the way Cognigy will authenticate. An IdP checks the client before the code, so `invalid_grant`
 * means the client id and secret were accepted, and `invalid_client` (or a 401) that they were not.
 * Nothing else is concluded. The secret travels one way only (header or body, never both) and
 * appears in no message, detail or error this module produces.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { OutboundError, type OutboundFetch } from '../outbound/outbound-fetch.js';
import type { DiscoveryCheck } from './discovery-report.js';
import type { TokenEndpointAuthMethod } from './oidc-options.js';
import { clause } from './wording.js';

export interface ProbeCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The redirect URI registered at the IdP (Cognigy's callback URL); omitted from the request when absent. */
  readonly redirectUri?: string;
}

export interface ProbeTarget {
  /** The discovered issuer (openid-client requires one; it is not contacted). */
  readonly issuer: string;
  readonly tokenEndpoint: string;
}

const PROBEABLE = ['client_secret_basic', 'client_secret_post'] as const;
type ProbeableMethod = (typeof PROBEABLE)[number];
const isProbeable = (m: TokenEndpointAuthMethod): m is ProbeableMethod =>
  (PROBEABLE as readonly string[]).includes(m);

const probe = (status: DiscoveryCheck['status'], message: string, details?: Record<string, unknown>) =>
  details
    ? ({ name: 'credential_probe', status, message, details } as const)
    : ({ name: 'credential_probe', status, message } as const);

/** The HTTP status and OAuth error code of whatever the token request ended with, when known. */
function outcomeOf(error: unknown): { status?: number; error?: string; outbound?: OutboundError } {
  const seen = new Set<unknown>();
  let status: number | undefined;
  let code: string | undefined;
  for (
    let e: unknown = error;
    e && typeof e === 'object' && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    if (e instanceof OutboundError) return { outbound: e };
    if (e instanceof Response) status ??= e.status;
    if (e instanceof oidc.ResponseBodyError) {
      status ??= e.status;
      code ??= e.error;
    } else if (e instanceof oidc.WWWAuthenticateChallengeError) {
      status ??= e.status;
    }
  }
  return { status, error: code };
}

export interface ProbeOptions {
  /** The network policy: the token request goes through it like every other request. */
  readonly fetch: OutboundFetch;
  readonly target: ProbeTarget;
  /** How to authenticate; only client_secret_basic and client_secret_post can be probed. */
  readonly method: TokenEndpointAuthMethod;
  readonly credentials: ProbeCredentials;
  /** Permit an http token endpoint (development and tests only). */
  readonly allowHttp: boolean;
}

/** openid-client's view of the IdP and the client, sending through the network policy. */
function configure({ fetch, target, method, credentials, allowHttp }: ProbeOptions): oidc.Configuration {
  const auth =
    method === 'client_secret_basic'
      ? oidc.ClientSecretBasic(credentials.clientSecret)
      : oidc.ClientSecretPost(credentials.clientSecret);
  const config = new oidc.Configuration(
    { issuer: target.issuer, token_endpoint: target.tokenEndpoint },
    credentials.clientId,
    undefined,
    auth,
  );
  // A token request is never redirected: following one would resend the credentials elsewhere.
  config[oidc.customFetch] = (url, init) =>
    fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      maxRedirects: 0,
    });
  if (allowHttp) oidc.allowInsecureRequests(config);
  return config;
}

/**
 * Sends the probe token request through `fetch` (the network policy) and classifies the answer.
 * Methods other than client_secret_basic / client_secret_post are reported as not probeable.
 */
export async function probeCredentials(options: ProbeOptions): Promise<DiscoveryCheck> {
  const { target, method, credentials } = options;
  if (!isProbeable(method)) {
    return probe(
      'skip',
      `The credential probe can authenticate with client_secret_basic or client_secret_post only; with ${method} it cannot probe.`,
      { method },
    );
  }
  const parameters: Record<string, string> = { code: randomBytes(32).toString('base64url') };
  if (credentials.redirectUri) parameters.redirect_uri = credentials.redirectUri;
  const details = { method, tokenEndpoint: target.tokenEndpoint };

  try {
    await oidc.genericGrantRequest(configure(options), 'authorization_code', parameters);
    return probe(
      'warn',
      'Inconclusive: the IdP answered a made-up authorization code with tokens, which no IdP should do.',
      details,
    );
  } catch (error) {
    const { status, error: code, outbound } = outcomeOf(error);
    if (outbound) {
      return probe(
        'warn',
        `Inconclusive: the token endpoint could not be reached (${clause(outbound.detail)}).`,
        { ...details, reason: outbound.reason },
      );
    }
    const answered = { ...details, httpStatus: status ?? null, error: code ?? null };
    if (code === 'invalid_client' || status === 401) {
      return probe(
        'fail',
        `The IdP refused the client id and secret (HTTP ${status ?? '?'}${code ? `, ${code}` : ''}): check both, and that the application allows ${method}.`,
        answered,
      );
    }
    if (status === 400 && code === 'invalid_grant') {
      return probe(
        'pass',
        'The IdP accepted the client id and secret: it refused only the made-up authorization code (invalid_grant).',
        answered,
      );
    }
    if (status === undefined) {
      return probe('warn', 'Inconclusive: the token request could not be completed.', answered);
    }
    return probe(
      'warn',
      `Inconclusive: the IdP answered the probe with HTTP ${status}${code ? ` and ${code}` : ''}, which says nothing certain about the credentials.`,
      answered,
    );
  }
}
