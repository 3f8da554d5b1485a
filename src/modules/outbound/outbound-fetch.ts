/**
 * The one way this service reaches other hosts (§8): discovery documents, JWKS, token endpoints,
 * Cognigy installations. Every request — and every redirect it follows — passes the same network
 * policy. This file holds the contract; the implementation lives beside it:
 * `createOutboundFetch` in `outbound-client.ts`, `classifyAddress` / `isAllowed` in
 * `address-policy.ts`.
 */

/** Why a request was refused before (or instead of) reaching its host. */
export type OutboundRefusal =
  | 'scheme' // not https (and http not allowed)
  | 'address' // resolves to (or is) a loopback, private, link-local, … address not on the allow-list
  | 'resolve' // the name does not resolve
  | 'redirects' // too many redirects
  | 'too_large' // body over the cap
  | 'timeout' // no complete answer in time
  | 'network' // connection refused, reset, TLS failure …
  | 'url'; // not a URL, or one carrying a user name or password (added by the implementation)

/** Thrown by an OutboundFetch for every refusal and network failure; `detail` is a sentence for people. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundRefusal,
    readonly url: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequestOptions extends Omit<RequestInit, 'redirect' | 'signal'> {
  /** Follow redirects (each re-checked against the policy), at most this many. Default 0. */
  readonly maxRedirects?: number;
  /** Cap on the response body in bytes; a larger body fails with `too_large`. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Overall deadline for the request and its body, in ms. Default OUTBOUND_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * fetch-compatible: resolves with a Response whose body is already fully read and capped (so
 * `await res.json()` cannot hang or exhaust memory), rejects with OutboundError.
 */
export type OutboundFetch = (url: string | URL, options?: OutboundRequestOptions) => Promise<Response>;
