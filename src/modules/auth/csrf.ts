/**
 * The CSRF defence of requests authenticated by the session cookie (issue 20), pure. SameSite=Lax
 * already keeps the cookie off most cross-site requests; on top, a state-changing request must
 * (1) come from the console's own origin — `Origin` equal to PUBLIC_URL's origin, or, where a
 * browser sends no Origin, `Sec-Fetch-Site: same-origin` — and (2) carry the session's anti-CSRF
 * token, which a page of another origin cannot read.
 */
import { csrfTokenMatches } from './session-token.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const changesState = (method: string) => !SAFE_METHODS.has(method.toUpperCase());

/** A request's headers as Node gives them. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

const first = (headers: RequestHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The Origin, Sec-Fetch-Site and X-CSRF-Token of a request's headers. */
export const csrfHeaders = (headers: RequestHeaders) => ({
  origin: first(headers, 'origin'),
  secFetchSite: first(headers, 'sec-fetch-site'),
  presentedToken: first(headers, 'x-csrf-token'),
});

export interface CsrfInput {
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
  /** The token the request presents (X-CSRF-Token, or the sign-out form's csrfToken). */
  readonly presentedToken: string | undefined;
  /** The session's secret id, which the expected token is derived from. */
  readonly sessionToken: string;
  readonly publicOrigin: string;
}

/** Why the request is refused, or undefined when it passes. */
export function csrfRefusal(input: CsrfInput): string | undefined {
  if (input.origin !== undefined) {
    if (input.origin !== input.publicOrigin) return 'the request comes from another origin';
  } else if (input.secFetchSite !== 'same-origin') {
    return 'the request names no origin (neither Origin nor Sec-Fetch-Site: same-origin)';
  }
  if (!csrfTokenMatches(input.sessionToken, input.presentedToken)) {
    return 'the anti-CSRF token is missing or wrong (send X-CSRF-Token from GET /v1/session)';
  }
  return undefined;
}
