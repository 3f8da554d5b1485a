/**
 * The implementation of {@link OutboundFetch}: every request, and every redirect it follows, is
 * checked by the network policy (§8) and then sent to the checked address only.
 *
 * Per hop: parse the URL (no credentials) → scheme (https, http only when allowed) → resolve the
 * name once, check every address and pin the checked ones (`address-pinning.ts`) → connect → follow
 * a redirect (`redirects.ts`) or read the body under its cap (`body-cap.ts`), all inside one
 * deadline that covers resolution, connection, headers and body. A failure reaches the caller as an
 * {@link OutboundError} (`network-failure.ts`).
 */
import { performance } from 'node:perf_hooks';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';
import type { OutboundAllowlist } from '../../config/config.js';
import { type AddressPinning, createAddressPinning, type OutboundLookup } from './address-pinning.js';
import { buildResponse, DEFAULT_MAX_BYTES, readCapped } from './body-cap.js';
import { translateFailure } from './network-failure.js';
import {
  OutboundError,
  type OutboundFetch,
  type OutboundRefusal,
  type OutboundRequestOptions,
} from './outbound-fetch.js';
import { checkUrl, parseUrl, safeUrl } from './outbound-url.js';
import { nextHop, prepareRequest } from './redirects.js';

export type { OutboundLookup } from './address-pinning.js';
export { DEFAULT_MAX_BYTES } from './body-cap.js';

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

/** What every call of one client shares. */
interface ClientState {
  readonly policy: OutboundPolicy;
  readonly pinning: AddressPinning;
  /** The keep-alive pool; its sockets resolve through the pins only. */
  readonly agent: Agent;
  closed: boolean;
}

/** Where a call currently is: the hop being sent and the redirects followed so far. */
interface Progress {
  url: URL;
  redirects: number;
}

function toCaList(ca: OutboundPolicy['ca']): Array<string | Buffer> | undefined {
  if (ca === undefined) return undefined;
  const extra = Array.isArray(ca) ? [...ca] : [ca as string | Buffer];
  return [...rootCertificates, ...extra];
}

function createAgent(policy: OutboundPolicy, pinning: AddressPinning): Agent {
  const ca = toCaList(policy.ca);
  // Built once: given as `ca`, every new connection parsed the ~150 root certificates again
  // (a seventh of the forwarder's CPU time in issue 7's profile).
  const secureContext = ca ? createSecureContext({ ca }) : undefined;
  return new Agent({
    connections: policy.maxConnectionsPerOrigin ?? 10,
    connect: {
      lookup: pinning.lookup,
      timeout: Math.max(policy.timeoutMs, 1),
      ...(secureContext ? { secureContext } : {}),
    },
  });
}

/** Sends the hops of one call until an answer that is not a redirect to follow, and reads its body. */
async function send(
  client: ClientState,
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
    checkUrl(url, from, client.policy.allowHttp);
    const release = await client.pinning.pin(url, from, controller.signal);
    try {
      const response = await undiciFetch(url.href, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: controller.signal,
        dispatcher: client.agent,
      } as UndiciRequestInit);
      const next = await nextHop(response, url, request, {
        first,
        maxRedirects,
        followed: progress.redirects,
      });
      if (next) {
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

/** One AbortController for the call's deadline and the caller's own signal. */
function startDeadline(timeoutMs: number, callerSignal: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('outbound deadline'));
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    controller,
    timedOut: () => timedOut,
    end() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** Reports the outcome of a call to `policy.onRequest`; a failing listener never breaks the call. */
function reporter(policy: OutboundPolicy, first: URL, started: number) {
  return (outcome: OutboundRequestEvent['outcome'], redirects: number, status?: number) => {
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
}

/** One call: the URL parsed, the deadline started, the hops sent, the outcome reported. */
async function call(
  client: ClientState,
  input: string | URL,
  options: OutboundRequestOptions = {},
): Promise<Response> {
  const started = performance.now();
  const first = parseUrl(input);
  const report = reporter(client.policy, first, started);
  if (client.closed) {
    report('network', 0);
    throw new OutboundError('network', safeUrl(first), 'the outbound HTTP client is closed');
  }
  const timeoutMs = options.timeoutMs ?? client.policy.timeoutMs;
  const deadline = startDeadline(timeoutMs, options.signal);
  const progress: Progress = { url: first, redirects: 0 };
  try {
    const response = await send(client, first, options, deadline.controller, progress);
    report('ok', progress.redirects, response.status);
    return response;
  } catch (error) {
    const failure = translateFailure(error, {
      url: progress.url,
      timedOut: deadline.timedOut(),
      timeoutMs,
      callerSignal: options.signal,
    });
    report(failure instanceof OutboundError ? failure.reason : 'network', progress.redirects);
    throw failure;
  } finally {
    deadline.end();
  }
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
  const pinning = createAddressPinning(policy.allowlist, policy.lookup);
  const client: ClientState = { policy, pinning, agent: createAgent(policy, pinning), closed: false };
  const inFlight = new Set<Promise<unknown>>();
  const tracked = (input: string | URL, options?: OutboundRequestOptions): Promise<Response> => {
    const pending = call(client, input, options);
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return pending;
  };
  return Object.assign(tracked, {
    close: async () => {
      client.closed = true;
      // every call has a deadline, so this wait is bounded; then no socket is left behind, not
      // even a connection attempt that undici would otherwise wait out
      await Promise.all(inFlight);
      await client.agent.destroy();
    },
  });
}
