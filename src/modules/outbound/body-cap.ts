/**
 * The body cap: the answer's body is read whole, here, and no further than `maxBytes` (a larger
 * Content-Length fails at once); the caller receives a new `Response` built from the bytes read, so
 * that `await res.json()` can neither hang nor exhaust memory.
 */
import type { fetch as undiciFetch } from 'undici';
import { OutboundError } from './outbound-fetch.js';
import { safeUrl } from './outbound-url.js';

/** Default body cap: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

type UndiciResponse = Awaited<ReturnType<typeof undiciFetch>>;

const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** Reads the body up to `maxBytes`; past it, aborts the call through `controller` and fails with `too_large`. */
export async function readCapped(
  response: UndiciResponse,
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

/** The caller's Response: status and headers of the answer, the bytes read, the final URL. */
export function buildResponse(
  response: UndiciResponse,
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
