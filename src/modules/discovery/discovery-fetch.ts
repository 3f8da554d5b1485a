/**
 * How discovery reads a JSON resource (the document, the JWKS) through the network policy, and how
 * a failed read becomes the report's sentences. Every outcome is a value, never a throw.
 */
import { OutboundError, type OutboundFetch } from '../outbound/outbound-fetch.js';
import type { CheckName, CheckStatus } from './discovery-report.js';
import { clause, quote } from './wording.js';

/** Largest discovery document or JWKS read (SPEC §5). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** Redirects followed for the document and the JWKS (each re-checked by the policy); none for the probe. */
const MAX_REDIRECTS = 3;

export type Fetched =
  | { readonly ok: true; readonly body: unknown; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: OutboundError }
  | { readonly ok: false; readonly message: string; readonly details: Record<string, unknown> };

const POLICY_REASONS = new Set(['scheme', 'address', 'url']);

function mediaTypeOf(res: Response): string {
  return (res.headers.get('content-type') ?? 'none').split(';')[0]?.trim() || 'none';
}

/** GET a JSON resource through the policy; every outcome is a value, never a throw. */
export async function getJson(fetch: OutboundFetch, url: string, accept: string): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'GET',
      headers: { accept },
      maxBytes: MAX_DOCUMENT_BYTES,
      maxRedirects: MAX_REDIRECTS,
    });
  } catch (error) {
    if (error instanceof OutboundError) return { ok: false, error };
    return { ok: false, error: new OutboundError('network', url, 'the request failed', { cause: error }) };
  }
  const contentType = mediaTypeOf(res);
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    return {
      ok: false,
      message: `answered HTTP ${res.status}${res.statusText ? ` (${quote(res.statusText, 60)})` : ''}`,
      details: { httpStatus: res.status, contentType },
    };
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) {
    return { ok: false, error: new OutboundError('too_large', url, 'the answer is larger than 1 MB') };
  }
  try {
    return { ok: true, body: JSON.parse(new TextDecoder().decode(bytes)), bytes };
  } catch {
    return {
      ok: false,
      message: `answered with something that is not JSON (content type ${quote(contentType, 60)})`,
      details: { httpStatus: res.status, contentType },
    };
  }
}

export function usableUrl(value: string, allowHttp: boolean): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || (protocol === 'http:' && allowHttp);
  } catch {
    return false;
  }
}

/** Turns a failed document fetch into the network_policy and document_fetched checks. */
export function describeDocumentFailure(
  url: string,
  fetched: Extract<Fetched, { ok: false }>,
  put: (name: CheckName, status: CheckStatus, message: string, details?: Record<string, unknown>) => void,
): void {
  if (!('error' in fetched)) {
    put('network_policy', 'pass', 'The issuer’s host is allowed by the network policy.');
    put(
      'document_fetched',
      'fail',
      `${url} ${fetched.message}; there is no usable discovery document there. Check the issuer.`,
      { documentUrl: url, ...fetched.details },
    );
    return;
  }
  const { reason } = fetched.error;
  const detail = clause(fetched.error.detail);
  const details = { documentUrl: url, reason };
  if (POLICY_REASONS.has(reason)) {
    put(
      'network_policy',
      'fail',
      // The policy's own sentence already says how an operator opens an exception.
      `The network policy refuses to contact ${quote(url)}: ${detail}.`,
      details,
    );
    put('document_fetched', 'skip', 'Skipped: the network policy refused the request.');
    return;
  }
  if (reason === 'resolve') {
    put('network_policy', 'skip', 'The network policy could not be applied: the host name does not resolve.');
  } else {
    put('network_policy', 'pass', 'The issuer’s host is allowed by the network policy.');
  }
  const why: Record<string, string> = {
    resolve: `The host of ${quote(url)} does not resolve (${detail}); check the issuer.`,
    too_large: `The discovery document at ${quote(url)} is larger than 1 MB, the most that is read.`,
    timeout: `The IdP did not answer ${quote(url)} in time (${detail}).`,
    redirects: `${quote(url)} redirected too many times (${detail}).`,
    network: `${quote(url)} could not be reached (${detail}).`,
  };
  put('document_fetched', 'fail', why[reason] ?? `${quote(url)} could not be read (${detail}).`, details);
}
