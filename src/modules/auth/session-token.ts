/**
 * A console session's secret id (the cookie's value) and what is derived from it. Only its SHA-256 is
 * stored; the anti-CSRF token is a second hash of it, so it is bound to the session, changes with
 * every sign-in, and neither it nor the stored hash gives the session id back.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, base64url: the value of the session cookie. */
export const newSessionToken = () => randomBytes(32).toString('base64url');

/** What console_sessions.token_hash holds. */
export const sessionTokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** The session's anti-CSRF token (X-CSRF-Token, the sign-out form's csrfToken). */
export const csrfTokenOf = (token: string) =>
  createHash('sha256').update(`csrf|${token}`, 'utf8').digest('base64url');

/** Compares a presented anti-CSRF token with the session's in constant time. */
export function csrfTokenMatches(token: string, presented: string | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenOf(token));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A well-formed session token (anything else is not looked up). */
export const isSessionTokenShape = (value: string) => /^[A-Za-z0-9_-]{43}$/.test(value);
