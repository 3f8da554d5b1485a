/**
 * The URL of each hop: parsed without trusting the input, checked for scheme and credentials, and
 * shown in errors and logs only without user name or password and shortened.
 */
import { OutboundError } from './outbound-fetch.js';

const MAX_URL_IN_MESSAGE = 200;

/** The URL as it may appear in errors and logs: without user name or password, shortened. */
export function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  const text = copy.href;
  return text.length > MAX_URL_IN_MESSAGE ? `${text.slice(0, MAX_URL_IN_MESSAGE)}…` : text;
}

/** The host without the brackets of an IPv6 literal. */
export function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export function parseUrl(input: string | URL): URL {
  try {
    return new URL(String(input));
  } catch {
    const text = String(input);
    const shown = text.length > MAX_URL_IN_MESSAGE ? `${text.slice(0, MAX_URL_IN_MESSAGE)}…` : text;
    throw new OutboundError('url', shown, `"${shown}" is not a valid URL`);
  }
}

/** Only https (http when `allowHttp`), and no user name or password; `from` names the redirecting host. */
export function checkUrl(url: URL, from: URL | undefined, allowHttp: boolean): void {
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
    if (allowHttp) return;
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
