/**
 * How this tab is signed in, one of two ways:
 * - a person's session (signed in through the tenant's identity provider): an HttpOnly cookie the page
 *   never sees, plus the anti-CSRF token from `GET /v1/session`, kept in memory only and sent as
 *   `X-CSRF-Token` on every request that changes something;
 * - an API key: kept in sessionStorage only (never in a URL, a cookie or localStorage), gone when the
 *   tab closes, and sent to the API as `Authorization: Bearer`.
 */
const STORAGE_KEY = 'sso-ui.apiKey';

let csrfToken: string | null = null;

export const session = {
  key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut(): void {
    sessionStorage.removeItem(STORAGE_KEY);
    csrfToken = null;
  },
  /** The anti-CSRF token of the cookie session; null in key mode. */
  csrfToken(): string | null {
    return csrfToken;
  },
  /** Cookie mode: the API key of the tab (if any) is forgotten, the cookie speaks for the person. */
  useCookie(token: string): void {
    sessionStorage.removeItem(STORAGE_KEY);
    csrfToken = token;
  },
};
