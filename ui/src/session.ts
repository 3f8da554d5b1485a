/**
 * The API key of this browser tab. Kept in sessionStorage only: never in a URL, a cookie or
 * localStorage, gone when the tab closes, and sent to the API as `Authorization: Bearer`.
 */
const STORAGE_KEY = 'sso-ui.apiKey';

export const session = {
  key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};
