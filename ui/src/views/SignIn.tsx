import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, request } from '../api.js';
import { ErrorNote } from '../components/common.js';
import { loginHref, looksLikeSlug, returnToOf } from '../console-sign-in.js';
import { session } from '../session.js';
import type { SignInOptions } from '../types.js';

/** The tenant last signed in to from this browser: not a secret, it only saves typing. */
const TENANT_KEY = 'sso-ui.tenant';
export const rememberTenant = (slug: string) => localStorage.setItem(TENANT_KEY, slug);

/** A tenant named by the address (`/ui/?tenant=acme-msp`, the link a tenant gives its people), else the last one. */
function initialTenant(given: string | undefined): string {
  return (
    given ?? new URLSearchParams(location.search).get('tenant') ?? localStorage.getItem(TENANT_KEY) ?? ''
  );
}

/**
 * Sign-in: people through their tenant's identity provider (asked for the tenant, then sent to
 * /ui/login/<tenant>, which comes back here signed in), or with an API key of the tenant, checked
 * against GET /v1/me before it is kept (in this tab's sessionStorage only). A tenant that allows
 * only its identity provider (GET /v1/console-login/options) gets no key form.
 */
export function SignIn({
  onSignedIn,
  notice,
  tenant: givenTenant,
}: {
  onSignedIn: (key: string) => void;
  notice?: string;
  tenant?: string;
}) {
  const [tenant, setTenant] = useState(() => initialTenant(givenTenant));
  const [options, setOptions] = useState<{ slug: string; options: SignInOptions } | null>(null);
  const [ssoError, setSsoError] = useState<unknown>(null);
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const tenantInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · SSO configuration';
    tenantInput.current?.focus();
  }, []);

  // What the typed tenant offers, once the typing pauses.
  const slug = tenant.trim().toLowerCase();
  useEffect(() => {
    if (!looksLikeSlug(slug)) return;
    let current = true;
    const timer = setTimeout(() => {
      optionsOf(slug).then(
        (found) => current && setOptions({ slug, options: found }),
        () => undefined,
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [slug]);
  const known = options?.slug === slug ? options.options : null;

  async function continueWithIdp(event: Event) {
    event.preventDefault();
    setSsoError(null);
    if (!looksLikeSlug(slug)) {
      setSsoError(
        new Error('Enter your tenant’s short name: lowercase letters, digits and hyphens, e.g. acme-msp.'),
      );
      return;
    }
    try {
      const found = known ?? (await optionsOf(slug));
      setOptions({ slug, options: found });
      if (!found.ssoAvailable) {
        setSsoError(
          new Error(`Tenant “${slug}” has no identity-provider sign-in set up (or does not exist).`),
        );
        return;
      }
      // A key this tab may hold would win over the session at the API: forget it first.
      session.signOut();
      rememberTenant(slug);
      location.assign(loginHref(slug, returnToOf(location.pathname, location.hash)));
    } catch (e) {
      setSsoError(e);
    }
  }

  async function signInWithKey(event: Event) {
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

  const keyAllowed = known?.apiKeySignInAllowed !== false;
  return (
    <main id="main" class="signin">
      <h1>SSO configuration</h1>
      <p>
        Review and audit the single sign-on configuration of your Cognigy.AI organisations. What you can do
        follows your roles.
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="stack">
        <h2 id="idp-heading">Sign in with your organisation’s identity provider</h2>
        <form onSubmit={continueWithIdp} class="stack">
          <label for="tenant-slug">Tenant</label>
          <input
            id="tenant-slug"
            ref={tenantInput}
            autocomplete="organization"
            spellcheck={false}
            autocapitalize="none"
            value={tenant}
            onInput={(e) => setTenant(e.currentTarget.value)}
            aria-describedby="tenant-slug-help"
          />
          <p id="tenant-slug-help" class="hint">
            Your tenant’s short name in this service (e.g. <code>acme-msp</code>). You sign in at your
            identity provider and come back here; your groups there decide your roles.
          </p>
          {known && !known.ssoAvailable && (
            <p class="hint" role="status">
              Tenant “{slug}” has no identity-provider sign-in set up (or does not exist)
              {keyAllowed ? '; sign in with an API key below.' : '.'}
            </p>
          )}
          <button type="submit">Continue to your identity provider</button>
        </form>
        <ErrorNote error={ssoError} />
      </div>
      {keyAllowed ? (
        <div class="stack">
          <h2 id="key-heading">Or sign in with an API key</h2>
          <form onSubmit={signInWithKey} class="stack">
            <label for="api-key">API key</label>
            <input
              id="api-key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              required
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
              aria-describedby="api-key-help"
            />
            <p id="api-key-help" class="hint">
              Kept in this browser tab only (session storage) and sent as an Authorization header; closing the
              tab or signing out forgets it.
            </p>
            <button type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
          <ErrorNote error={error} />
        </div>
      ) : (
        <p class="hint" role="status">
          Tenant “{slug}” signs in to the console through its identity provider only; its API keys work for
          automation through the API, not here.
        </p>
      )}
    </main>
  );
}

const optionsOf = (slug: string) => getJson<SignInOptions>('/v1/console-login/options', { tenant: slug });
