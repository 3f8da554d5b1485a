/**
 * Where the browser goes after signing in: only a local path of the console (`/ui/...`). Anything
 * else — another origin, a scheme, `//host`, a backslash (which browsers read as a slash), control
 * characters — is ignored and the console's start page used instead: never an open redirect.
 */
export const DEFAULT_RETURN_TO = '/ui/';

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return DEFAULT_RETURN_TO;
  // Printable ASCII only (no control characters, spaces or backslashes).
  if (!/^\/ui\/[\x21-\x5b\x5d-\x7e]*$/.test(value)) return DEFAULT_RETURN_TO;
  if (value.startsWith('//') || value.includes('/../') || value.endsWith('/..')) return DEFAULT_RETURN_TO;
  // The path must stay on this origin once a URL parser has read it.
  const parsed = new URL(value, 'http://console.invalid');
  if (parsed.origin !== 'http://console.invalid' || !parsed.pathname.startsWith('/ui/'))
    return DEFAULT_RETURN_TO;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
