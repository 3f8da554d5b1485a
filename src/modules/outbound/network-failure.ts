/**
 * What a failed call tells its caller: an {@link OutboundError} whose sentence is built from error
 * codes only (never request data), a `timeout` for a missed deadline, or the caller's own abort
 * reason unchanged.
 */
import { OutboundError } from './outbound-fetch.js';
import { safeUrl } from './outbound-url.js';

/** The deepest error in a `cause` chain that carries a `code`, else the deepest error. */
export function rootCause(error: unknown): { code?: string; message?: string } {
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

/** How a call ended when it failed: where it was, and whether its own deadline fired. */
export interface FailedCall {
  /** The hop being sent when it failed. */
  readonly url: URL;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  readonly callerSignal: AbortSignal | undefined;
}

/** The error the caller receives for `error`. */
export function translateFailure(error: unknown, call: FailedCall): unknown {
  if (error instanceof OutboundError) return error;
  const { url, callerSignal } = call;
  if (call.timedOut) {
    return new OutboundError(
      'timeout',
      safeUrl(url),
      `${url.host} did not answer completely within ${call.timeoutMs} ms`,
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
