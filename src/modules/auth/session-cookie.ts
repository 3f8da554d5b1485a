/**
 * The session cookie (issue 20): `HttpOnly`, `SameSite=Lax`, `Path=/`; on https `Secure` with the
 * `__Host-` prefix (no Domain: the browser sends it to this origin only); on plain-http localhost
 * (development) without both, which PUBLIC_URL's validation allows nowhere else.
 */
import { parseCookie, stringifySetCookie } from 'cookie';

export interface CookiePolicy {
  readonly name: string;
  readonly secure: boolean;
}

export const cookiePolicyOf = (publicUrl: string): CookiePolicy =>
  new URL(publicUrl).protocol === 'https:'
    ? { name: '__Host-csso_session', secure: true }
    : { name: 'csso_session', secure: false };

/** The Set-Cookie value that stores `token` (a session cookie: gone when the browser closes). */
export const sessionCookie = (policy: CookiePolicy, token: string) =>
  stringifySetCookie({
    name: policy.name,
    value: token,
    httpOnly: true,
    secure: policy.secure,
    sameSite: 'lax',
    path: '/',
  });

/** The Set-Cookie value that removes the cookie. */
export const clearedSessionCookie = (policy: CookiePolicy) =>
  stringifySetCookie({
    name: policy.name,
    value: '',
    httpOnly: true,
    secure: policy.secure,
    sameSite: 'lax',
    path: '/',
    expires: new Date(0),
    maxAge: 0,
  });

/** The session token a Cookie header carries, if any. */
export function sessionTokenFrom(policy: CookiePolicy, header: string | undefined): string | undefined {
  if (!header) return undefined;
  return parseCookie(header)[policy.name];
}
