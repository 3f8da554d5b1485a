/**
 * Redirects, when the caller allows them (`maxRedirects` > 0): the request as bytes that can be sent
 * again, and how a 3xx rewrites it — 301/302 turn POST into GET, 303 turns anything but HEAD into
 * GET, a cross-origin hop drops Authorization, Proxy-Authorization and Cookie; one more than allowed
 * fails with `redirects`. Each target is then checked like the first URL (outbound-client.ts).
 */
import type { fetch as undiciFetch } from 'undici';
import { OutboundError, type OutboundRequestOptions } from './outbound-fetch.js';
import { safeUrl } from './outbound-url.js';

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie'];
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

/** The request of a call, as sent on each hop; a followed redirect rewrites it. */
export interface PreparedRequest {
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
}

/** Headers as pairs and the body as bytes (replayable on 307/308, independent of the caller's classes). */
export async function prepareRequest(options: OutboundRequestOptions, url: URL): Promise<PreparedRequest> {
  let headers: Headers;
  try {
    headers = new Headers(options.headers);
  } catch {
    // the platform's message would quote the offending value, which may be a secret
    throw new OutboundError(
      'network',
      safeUrl(url),
      `the request to ${url.host} has an invalid header (a name or value HTTP does not allow)`,
    );
  }
  const method = (options.method ?? 'GET').toUpperCase();
  let body: Uint8Array | undefined;
  if (typeof options.body === 'string') {
    // The common case (JSON to Cognigy): encoded directly, with the type fetch would give it;
    // a Request built only to serialise a string cost more than the rest of the call (issue 7).
    body = Buffer.from(options.body, 'utf8');
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  } else if (options.body !== undefined && options.body !== null) {
    const serialised = new Request('https://body.invalid/', {
      method: 'POST',
      body: options.body,
      duplex: 'half',
    } as RequestInit);
    body = new Uint8Array(await serialised.arrayBuffer());
    const type = serialised.headers.get('content-type');
    if (type && !headers.has('content-type')) headers.set('content-type', type);
  }
  return { method, headers: [...headers], body };
}

/** A call's redirects: the first URL (named in the error), the limit, and how many were followed. */
export interface RedirectState {
  readonly first: URL;
  readonly maxRedirects: number;
  readonly followed: number;
}

/**
 * The URL to go to next when `response` (the answer from `url`) is a redirect to follow — its body
 * discarded and `request` rewritten for the next hop — or undefined when it is the answer itself.
 */
export async function nextHop(
  response: Awaited<ReturnType<typeof undiciFetch>>,
  url: URL,
  request: PreparedRequest,
  { first, maxRedirects, followed }: RedirectState,
): Promise<URL | undefined> {
  const location = response.headers.get('location');
  if (!REDIRECT_STATUSES.has(response.status) || location === null || !(maxRedirects > 0)) return undefined;
  await response.body?.cancel().catch(() => {});
  if (followed >= maxRedirects) {
    throw new OutboundError(
      'redirects',
      safeUrl(url),
      `${first.host} redirected more than ${maxRedirects} time${maxRedirects === 1 ? '' : 's'}`,
    );
  }
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    throw new OutboundError('url', safeUrl(url), `${url.host} redirected to an invalid URL`);
  }
  const status = response.status;
  if (
    ((status === 301 || status === 302) && request.method === 'POST') ||
    (status === 303 && request.method !== 'GET' && request.method !== 'HEAD')
  ) {
    request.method = 'GET';
    request.body = undefined;
    request.headers = request.headers.filter(([name]) => !BODY_HEADERS.includes(name));
  }
  if (next.origin !== url.origin) {
    request.headers = request.headers.filter(([name]) => !CROSS_ORIGIN_DROPPED.includes(name));
  }
  return next;
}
