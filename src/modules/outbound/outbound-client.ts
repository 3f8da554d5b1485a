/**
 * The implementation of {@link OutboundFetch}: every request, and every redirect it follows, is
 * checked by the network policy (§8) and then sent to the checked address only.
 *
 * Per hop: parse the URL (no credentials) → scheme (https, http only when allowed) → resolve the
 * name once (a literal IP is not resolved) → check every address (`address-policy.ts`) → pin the
 * checked addresses → connect. The undici Agent's socket `lookup` answers from those pins and never
 * asks DNS, so a second, different DNS answer (rebinding) cannot change where the socket goes; TLS
 * still verifies the certificate against the host name (SNI and Host stay the name).
 *
 * The body is read here, under a byte cap, inside one deadline that covers resolution, connection,
 * headers and body; the caller receives a new `Response` built from the bytes read.
 */
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';
import type { OutboundAllowlist } from '../../config/config.js';
import { checkAddresses, compileAllowlist, describeAddressClass } from './address-policy.js';
import {
  OutboundError,
  type OutboundFetch,
  type OutboundRefusal,
  type OutboundRequestOptions,
} from './outbound-fetch.js';

/** Resolves a host name to every address it has (like `dns.promises.lookup(name, { all: true })`). */
export type OutboundLookup = (
  hostname: string,
) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** What happened to one call of the outbound fetch, for metrics. */
export interface OutboundRequestEvent {
  /** Host of the URL the caller asked for (redirect targets are not reported separately). */
  readonly host: string;
  readonly outcome: 'ok' | OutboundRefusal;
  /** HTTP status of the final response, when there was one. */
  readonly status?: number;
  /** Redirects followed. */
  readonly redirects: number;
  readonly ms: number;
}

export interface OutboundPolicy {
  readonly allowlist: OutboundAllowlist;
  /** Permit plain http (development and tests only). */
  readonly allowHttp: boolean;
  /** Default deadline per request, in ms (`OUTBOUND_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /**
   * Extra trusted CA certificates (PEM), added to Node's bundled roots. Without it Node's default
   * store is used, which includes `NODE_EXTRA_CA_CERTS`. (Node 20 offers no way to read the
   * `NODE_EXTRA_CA_CERTS` store, so when `ca` is given those are not added; use one or the other.)
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Resolver; default `dns.promises.lookup(hostname, { all: true })`. */
  readonly lookup?: OutboundLookup;
  /** Bound on keep-alive connections per origin; default 10. */
  readonly maxConnectionsPerOrigin?: number;
  /** Called once per call with its outcome; exceptions thrown by it are ignored. */
  readonly onRequest?: (event: OutboundRequestEvent) => void;
}

/** An {@link OutboundFetch} that owns a connection pool; `close()` ends it (graceful shutdown, tests). */
export type OutboundClient = OutboundFetch & {
  /** Waits for calls in flight (each ends by its deadline), then closes every socket; later calls fail with `network`. */
  close(): Promise<void>;
};

/** Default body cap: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie'];
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];
const MAX_URL_IN_MESSAGE = 200;

const defaultLookup: OutboundLookup = (hostname) => dnsLookupAll(hostname, { all: true, verbatim: true });

/**
 * Addresses that passed the policy, by host name, while requests to that host are in flight. The
 * Agent's sockets resolve through {@link PinnedAddresses.lookup} — never through DNS — so they can
 * only reach checked addresses; a name with no pin fails to connect.
 */
class PinnedAddresses {
  private readonly pins = new Map<string, { addresses: LookupAddress[]; holders: number }>();

  hold(hostname: string, addresses: readonly LookupAddress[]): () => void {
    const key = hostname.toLowerCase();
    const pin = this.pins.get(key) ?? { addresses: [], holders: 0 };
    for (const a of addresses) {
      if (!pin.addresses.some((b) => b.address === a.address)) pin.addresses.push(a);
    }
    pin.holders += 1;
    this.pins.set(key, pin);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      pin.holders -= 1;
      if (pin.holders === 0 && this.pins.get(key) === pin) this.pins.delete(key);
    };
  }

  /** Signature of `dns.lookup` as `net.connect` calls it (with or without `all`). */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean } | number,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const pinned = this.pins.get(hostname.toLowerCase())?.addresses ?? [];
    const usable = family === 4 || family === 6 ? pinned.filter((a) => a.family === family) : pinned;
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(
        `${hostname} has no address checked by the outbound policy`,
      );
      error.code = 'ENOTFOUND';
      process.nextTick(callback, error, '', 0);
      return;
    }
    if (opts.all)
      process.nextTick(
        callback,
        null,
        usable.map((a) => ({ ...a })),
      );
    else process.nextTick(callback, null, first.address, first.family);
  };
}

function toCaList(ca: OutboundPolicy['ca']): Array<string | Buffer> | undefined {
  if (ca === undefined) return undefined;
  const extra = Array.isArray(ca) ? [...ca] : [ca as string | Buffer];
  return [...rootCertificates, ...extra];
}

/** The URL as it may appear in errors and logs: without user name or password, shortened. */
function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  const text = copy.href;
  return text.length > MAX_URL_IN_MESSAGE ? `${text.slice(0, MAX_URL_IN_MESSAGE)}…` : text;
}

function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** The deepest error in a `cause` chain that carries a `code`, else the deepest error. */
function rootCause(error: unknown): { code?: string; message?: string } {
  let current: unknown = error;
  let found: { code?: string; message?: string } = {};
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return { code, message: current.message };
    found = { message: current.message };
    current = (current as Error & { cause?: unknown }).cause;
  }
  return found;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
]);

/** A sentence about a failed connection, built from error codes only (never request data). */
function describeNetworkFailure(host: string, error: unknown): string {
  const { code, message } = rootCause(error);
  if (code && TLS_CODES.has(code)) {
    return `${host} presented a TLS certificate that cannot be verified (${code}); if it is signed by a private CA, trust that CA through NODE_EXTRA_CA_CERTS`;
  }
  if (code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS')) {
    return `the TLS handshake with ${host} failed (${code})`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `${host} refused the connection (ECONNREFUSED)`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return `${host} closed the connection before the answer was complete (${code})`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return `${host} is unreachable from this service (${code})`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `${host} did not accept the connection in time (${code})`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return `${host} sent response headers that are too large`;
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_HEADER_TOKEN':
      return `${host} did not answer with valid HTTP (${code})`;
    default:
      if (message === 'bad port') return `${host} uses a port that fetch never contacts (a "bad port")`;
      return code
        ? `${host} could not be reached (${code})`
        : `${host} could not be reached${message ? ` (${message.slice(0, 120)})` : ''}`;
  }
}

function parseUrl(input: string | URL): URL {
  try {
    return new URL(String(input));
  } catch {
    const text = String(input);
    const shown = text.length > MAX_URL_IN_MESSAGE ? `${text.slice(0, MAX_URL_IN_MESSAGE)}…` : text;
    throw new OutboundError('url', shown, `"${shown}" is not a valid URL`);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

interface PreparedRequest {
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
}

/** Headers as pairs and the body as bytes (replayable on 307/308, independent of the caller's classes). */
async function prepareRequest(options: OutboundRequestOptions, url: URL): Promise<PreparedRequest> {
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

/**
 * Creates the policy-checked fetch. One instance holds one keep-alive pool (bounded per origin);
 * create it once in the composition root and `close()` it at shutdown.
 *
 * - Only https, or http when `allowHttp`; no user name or password in the URL (`url`).
 * - The host is resolved once; every address must be public, inside an allow-listed CIDR, or the
 *   host itself allow-listed (exact name or `*.suffix`); a literal IP is checked without DNS.
 * - The socket goes to a checked address only; TLS verifies the host name, never disabled.
 * - Redirects: with `maxRedirects` 0 (default) a 3xx is returned as is; otherwise each target is
 *   checked like the first URL, 301/302 turn POST into GET, 303 turns anything but HEAD into GET,
 *   cross-origin hops drop Authorization, Proxy-Authorization and Cookie; one more than allowed
 *   fails with `redirects`.
 * - The body is read whole, capped at `maxBytes` (default 1 MiB; a larger Content-Length fails at
 *   once), within `timeoutMs` counted from the call. The returned Response carries `url` (final
 *   URL) and `redirected`.
 * - Failures are {@link OutboundError}; when the caller's own `signal` aborts, its reason is
 *   thrown unchanged, except a `TimeoutError` reason, which becomes `timeout`.
 */
export function createOutboundFetch(policy: OutboundPolicy): OutboundClient {
  const allowlist = compileAllowlist(policy.allowlist);
  const resolveName = policy.lookup ?? defaultLookup;
  const pins = new PinnedAddresses();
  const ca = toCaList(policy.ca);
  // Built once: given as `ca`, every new connection parsed the ~150 root certificates again
  // (a seventh of the forwarder's CPU time in issue 7's profile).
  const secureContext = ca ? createSecureContext({ ca }) : undefined;
  const agent = new Agent({
    connections: policy.maxConnectionsPerOrigin ?? 10,
    connect: {
      lookup: pins.lookup as unknown as typeof dnsLookup,
      timeout: Math.max(policy.timeoutMs, 1),
      ...(secureContext ? { secureContext } : {}),
    },
  });
  let closed = false;

  async function resolveHost(url: URL, signal: AbortSignal): Promise<LookupAddress[]> {
    const host = bareHost(url);
    const family = isIP(host);
    if (family !== 0) return [{ address: host, family }];
    let answer: ReadonlyArray<{ address: string; family: number }>;
    try {
      answer = await raceAbort(resolveName(host), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const { code } = rootCause(error);
      throw new OutboundError(
        'resolve',
        safeUrl(url),
        `${host} does not resolve to an address${code ? ` (${code})` : ''}`,
        { cause: error },
      );
    }
    if (answer.length === 0) {
      throw new OutboundError('resolve', safeUrl(url), `${host} does not resolve to an address`);
    }
    return answer.map((a) => ({ address: a.address, family: a.family }));
  }

  function checkUrl(url: URL, from: URL | undefined): void {
    const via = from ? ` (redirected from ${from.host})` : '';
    if (url.username !== '' || url.password !== '') {
      throw new OutboundError(
        'url',
        safeUrl(url),
        `the URL for ${url.host} carries a user name or password${via}; send credentials in a header instead`,
      );
    }
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:') {
      if (policy.allowHttp) return;
      throw new OutboundError(
        'scheme',
        safeUrl(url),
        `${safeUrl(url)} uses plain http${via}; only https is allowed (OUTBOUND_ALLOW_HTTP=true permits http in development and tests)`,
      );
    }
    throw new OutboundError(
      'scheme',
      safeUrl(url),
      `${url.protocol.replace(/:$/, '')} URLs are not allowed${via}; only https is`,
    );
  }

  function checkResolved(url: URL, addresses: readonly LookupAddress[], from: URL | undefined): void {
    const host = bareHost(url);
    const verdict = checkAddresses(
      host,
      addresses.map((a) => a.address),
      allowlist,
    );
    if (verdict.allowed) return;
    const via = from ? ` (redirected from ${from.host})` : '';
    const what = describeAddressClass(verdict.class);
    const address = verdict.address ?? '';
    const detail =
      isIP(host) !== 0
        ? `${host} is ${what}${via}; add ${host} to OUTBOUND_ALLOWLIST to allow it`
        : `${host} resolves to ${address}, ${what}${via}; add ${host} or ${address} to OUTBOUND_ALLOWLIST to allow it`;
    throw new OutboundError('address', safeUrl(url), detail);
  }

  async function readCapped(
    response: Awaited<ReturnType<typeof undiciFetch>>,
    url: URL,
    maxBytes: number,
    controller: AbortController,
  ): Promise<Uint8Array> {
    const tooLarge = (what: string) =>
      new OutboundError('too_large', safeUrl(url), `${url.host} sent a response body ${what}`);
    const announced = response.headers.get('content-length');
    if (announced !== null && /^\d+$/.test(announced) && Number(announced) > maxBytes) {
      const error = tooLarge(`of ${announced} bytes, more than the ${maxBytes}-byte limit`);
      controller.abort(error);
      throw error;
    }
    if (!response.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        const error = tooLarge(`larger than the ${maxBytes}-byte limit; reading stopped there`);
        controller.abort(error);
        throw error;
      }
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  function buildResponse(
    response: Awaited<ReturnType<typeof undiciFetch>>,
    bytes: Uint8Array,
    url: URL,
    redirected: boolean,
  ): Response {
    const { status } = response;
    if (status < 200 || status > 599) {
      throw new OutboundError(
        'network',
        safeUrl(url),
        `${url.host} answered with an invalid HTTP status ${status}`,
      );
    }
    const decoded = response.headers.has('content-encoding');
    const headers: Array<[string, string]> = [];
    for (const [name, value] of response.headers) {
      // undici decoded the body; the encoding headers no longer describe the bytes we hold
      if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
      headers.push([name, value]);
    }
    const result = new Response(NULL_BODY_STATUSES.has(status) ? null : bytes, {
      status,
      statusText: response.statusText,
      headers,
    });
    Object.defineProperty(result, 'url', { value: url.href, enumerable: true });
    Object.defineProperty(result, 'redirected', { value: redirected, enumerable: true });
    return result;
  }

  /** Where a call currently is: the hop being sent and the redirects followed so far. */
  interface Progress {
    url: URL;
    redirects: number;
  }

  async function send(
    first: URL,
    options: OutboundRequestOptions,
    controller: AbortController,
    progress: Progress,
  ): Promise<Response> {
    const maxRedirects = options.maxRedirects ?? 0;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const request = await prepareRequest(options, first);
    let url = first;
    let from: URL | undefined;
    for (;;) {
      progress.url = url;
      checkUrl(url, from);
      const addresses = await resolveHost(url, controller.signal);
      checkResolved(url, addresses, from);
      const release = isIP(bareHost(url)) === 0 ? pins.hold(url.hostname, addresses) : () => {};
      try {
        const response = await undiciFetch(url.href, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: 'manual',
          signal: controller.signal,
          dispatcher: agent,
        } as UndiciRequestInit);
        const location = response.headers.get('location');
        if (REDIRECT_STATUSES.has(response.status) && location !== null && maxRedirects > 0) {
          await response.body?.cancel().catch(() => {});
          if (progress.redirects >= maxRedirects) {
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
          from = url;
          url = next;
          progress.redirects += 1;
          continue;
        }
        const bytes = await readCapped(response, url, maxBytes, controller);
        return buildResponse(response, bytes, url, progress.redirects > 0);
      } finally {
        release();
      }
    }
  }

  const outboundFetch = async (input: string | URL, options: OutboundRequestOptions = {}) => {
    const started = performance.now();
    const first = parseUrl(input);
    const report = (outcome: OutboundRequestEvent['outcome'], redirects: number, status?: number) => {
      try {
        policy.onRequest?.({
          host: first.host,
          outcome,
          redirects,
          ms: performance.now() - started,
          ...(status === undefined ? {} : { status }),
        });
      } catch {
        // metrics must never break a request
      }
    };
    if (closed) {
      report('network', 0);
      throw new OutboundError('network', safeUrl(first), 'the outbound HTTP client is closed');
    }
    const timeoutMs = options.timeoutMs ?? policy.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('outbound deadline'));
    }, timeoutMs);
    const callerSignal = options.signal;
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const progress: Progress = { url: first, redirects: 0 };
    try {
      const response = await send(first, options, controller, progress);
      report('ok', progress.redirects, response.status);
      return response;
    } catch (error) {
      const failure = translate(error);
      report(failure instanceof OutboundError ? failure.reason : 'network', progress.redirects);
      throw failure;
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }

    function translate(error: unknown): unknown {
      if (error instanceof OutboundError) return error;
      const { url } = progress;
      if (timedOut) {
        return new OutboundError(
          'timeout',
          safeUrl(url),
          `${url.host} did not answer completely within ${timeoutMs} ms`,
          { cause: error },
        );
      }
      if (callerSignal?.aborted) {
        const reason: unknown = callerSignal.reason;
        if (reason instanceof Error && reason.name === 'TimeoutError') {
          return new OutboundError(
            'timeout',
            safeUrl(url),
            `${url.host} did not answer completely before the caller's deadline`,
            { cause: reason },
          );
        }
        return reason;
      }
      return new OutboundError('network', safeUrl(url), describeNetworkFailure(url.host, error), {
        cause: error,
      });
    }
  };

  const inFlight = new Set<Promise<unknown>>();
  const tracked = (input: string | URL, options?: OutboundRequestOptions): Promise<Response> => {
    const call = outboundFetch(input, options);
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return call;
  };

  return Object.assign(tracked, {
    close: async () => {
      closed = true;
      // every call has a deadline, so this wait is bounded; then no socket is left behind, not
      // even a connection attempt that undici would otherwise wait out
      await Promise.all(inFlight);
      await agent.destroy();
    },
  });
}
