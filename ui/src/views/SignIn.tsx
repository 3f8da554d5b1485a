import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, request } from '../api.js';
import { ErrorNote } from '../components/common.js';

/**
 * Sign-in with an API key. The key is checked against GET /v1/me before it is kept (in this tab's
 * sessionStorage only).
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (key: string) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · SSO configuration';
    input.current?.focus();
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    const token = key.trim();
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      await request('/v1/me', { key: token });
      setKey('');
      onSignedIn(token);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? new Error('This API key is not valid (unknown, revoked or expired).')
          : e,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="signin">
      <h1>SSO configuration</h1>
      <p>
        Review and audit the single sign-on configuration of your Cognigy.AI organisations. Sign in with an
        API key of your tenant; what you can do follows the key’s roles.
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} class="stack">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="hint">
          Kept in this browser tab only (session storage) and sent as an Authorization header; closing the tab
          or signing out forgets it.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}
