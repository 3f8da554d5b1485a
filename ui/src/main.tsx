/**
 * The web UI for auditors and approvers: the same REST API, the same API keys and roles. Sign in,
 * then the shell (navigation, who is signed in, sign out) around the view the address names.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, request, sendJson, whenUnauthorized } from './api.js';
import { type Caller, CallerContext } from './caller.js';
import { ErrorNote, Loading } from './components/common.js';
import { href, type Route, useRoute } from './router.js';
import { session } from './session.js';
import './styles.css';
import { mayManageConsoleSignIn, personLabel } from './console-sign-in.js';
import type { MeView, SessionView, SignedOut, TenantView } from './types.js';
import { Attention } from './views/Attention.js';
import { Audit } from './views/Audit.js';
import { ConsoleSignIn } from './views/ConsoleSignIn.js';
import { Deployment } from './views/Deployment.js';
import { Diff } from './views/Diff.js';
import { Org } from './views/Org.js';
import { Orgs } from './views/Orgs.js';
import { Sessions } from './views/Sessions.js';
import { rememberTenant, SignIn } from './views/SignIn.js';
import { Version } from './views/Version.js';
import { Webhook, Webhooks } from './views/Webhooks.js';
import { mayReadWebhooks } from './webhooks.js';

/** How the tab is signed in (session.ts): not yet known, not at all, with a key, or as a person. */
type Mode =
  | { readonly kind: 'checking' }
  | { readonly kind: 'signedOut'; readonly notice?: string; readonly tenant?: string }
  | { readonly kind: 'key' }
  | { readonly kind: 'person'; readonly session: SessionView };

/** The first look: a key kept by this tab wins (as at the API); else is there a session cookie? */
async function detectMode(): Promise<Mode> {
  if (session.key() !== null) return { kind: 'key' };
  try {
    const view = (await (await request('/v1/session', { probe: true })).json()) as SessionView;
    session.useCookie(view.csrfToken);
    rememberTenant(view.tenant.slug);
    return { kind: 'person', session: view };
  } catch (error) {
    // 401: no (valid) session cookie; 404: a service without console sign-in.
    if (error instanceof ApiError && (error.status === 401 || error.status === 404))
      return { kind: 'signedOut' };
    return { kind: 'signedOut', notice: `Could not check for a session: ${(error as Error).message}` };
  }
}

function App() {
  const [mode, setMode] = useState<Mode>({ kind: 'checking' });
  const [caller, setCaller] = useState<Caller | null>(null);
  const [error, setError] = useState<unknown>(null);

  function signedOut(notice?: string, tenant?: string) {
    session.signOut();
    setCaller(null);
    setMode({ kind: 'signedOut', notice, tenant });
  }

  useEffect(() => {
    detectMode().then(setMode);
  }, []);

  useEffect(
    () =>
      whenUnauthorized(() => {
        session.signOut();
        setCaller(null);
        // The address stays as it is: signing in again comes back here (returnTo). Several calls in
        // flight may each answer 401: the first one says why, the others change nothing.
        setMode((current) => {
          if (current.kind === 'person') {
            return {
              kind: 'signedOut',
              tenant: current.session.tenant.slug,
              notice:
                'Your session has ended (it was idle too long, reached its time limit, or was ended). Sign in again to continue where you were.',
            };
          }
          if (current.kind === 'key') {
            return { kind: 'signedOut', notice: 'The API key is no longer valid; sign in again.' };
          }
          return current;
        });
      }),
    [],
  );

  useEffect(() => {
    if (mode.kind !== 'key' && mode.kind !== 'person') return;
    setError(null);
    Promise.all([getJson<MeView>('/v1/me'), getJson<TenantView>('/v1/tenant')]).then(
      ([me, tenant]) => setCaller({ me, tenant, session: mode.kind === 'person' ? mode.session : null }),
      setError,
    );
  }, [mode]);

  async function signOut() {
    if (mode.kind !== 'person') {
      signedOut('Signed out. The key is forgotten by this tab.');
      return;
    }
    const slug = mode.session.tenant.slug;
    try {
      const ended = await sendJson<SignedOut>('DELETE', '/v1/session');
      session.signOut();
      // The identity provider ends its own session too, then sends the browser to the tenant's
      // sign-in. Without one, stay here: going to /ui/login/<slug> would sign the person straight in again.
      if (ended?.endSessionUrl) {
        location.assign(ended.endSessionUrl);
        return;
      }
      signedOut('Signed out. Your session has ended.', slug);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401)
        signedOut('Signed out. Your session had already ended.', slug);
      else setError(e);
    }
  }

  if (mode.kind === 'checking')
    return (
      <main id="main">
        <Loading what="your session" />
      </main>
    );
  if (mode.kind === 'signedOut') {
    return (
      <SignIn
        notice={mode.notice}
        tenant={mode.tenant}
        onSignedIn={(key) => {
          session.signIn(key);
          setMode({ kind: 'key' });
        }}
      />
    );
  }
  if (!caller) {
    return (
      <main id="main">
        {error ? (
          <ErrorNote error={error} />
        ) : (
          <Loading what={mode.kind === 'key' ? 'your key' : 'your session'} />
        )}
      </main>
    );
  }
  return (
    <CallerContext.Provider value={caller}>
      <Shell caller={caller} onSignOut={signOut} signOutError={error} />
    </CallerContext.Provider>
  );
}

function Shell({
  caller,
  onSignOut,
  signOutError,
}: {
  caller: Caller;
  onSignOut: () => void;
  signOutError: unknown;
}) {
  const route = useRoute();
  const section =
    route.name === 'audit' || route.name === 'attention'
      ? route.name
      : route.name === 'webhooks' || route.name === 'webhook'
        ? 'webhooks'
        : route.name === 'consoleSignIn' || route.name === 'sessions'
          ? route.name
          : 'orgs';
  const person = caller.session?.person;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">SSO configuration</span>
        <nav aria-label="Main">
          <a href={href.orgs()} aria-current={section === 'orgs' ? 'page' : undefined}>
            Organisations
          </a>
          <a href={href.attention()} aria-current={section === 'attention' ? 'page' : undefined}>
            Attention
          </a>
          <a href={href.audit()} aria-current={section === 'audit' ? 'page' : undefined}>
            Audit trail
          </a>
          {mayReadWebhooks(caller.me.roles) && (
            <a href={href.webhooks()} aria-current={section === 'webhooks' ? 'page' : undefined}>
              Webhooks
            </a>
          )}
          {mayManageConsoleSignIn(caller.me.roles) && (
            <>
              <a href={href.consoleSignIn()} aria-current={section === 'consoleSignIn' ? 'page' : undefined}>
                Console sign-in
              </a>
              <a href={href.sessions()} aria-current={section === 'sessions' ? 'page' : undefined}>
                Sessions
              </a>
            </>
          )}
        </nav>
        <span class="who">
          {person ? personLabel(person) : `${caller.me.name} (API key)`} · {caller.me.roles.join(', ')} ·{' '}
          {caller.tenant.name}
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={signOutError} />
        <View route={route} />
      </main>
    </>
  );
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case 'orgs':
      return <Orgs />;
    case 'org':
      return <Org org={route.org} />;
    case 'version':
      return <Version org={route.org} number={route.number} />;
    case 'diff':
      return <Diff org={route.org} number={route.number} against={route.against} />;
    case 'deployment':
      return <Deployment org={route.org} id={route.id} />;
    case 'audit':
      return <Audit filters={route.filters} />;
    case 'attention':
      return <Attention filters={route.filters} />;
    case 'webhooks':
      return <Webhooks />;
    case 'webhook':
      return <Webhook id={route.id} />;
    case 'consoleSignIn':
      return <ConsoleSignIn />;
    case 'sessions':
      return <Sessions />;
    case 'notFound':
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            Nothing here. Go to the <a href={href.orgs()}>organisations</a>.
          </p>
        </>
      );
  }
}

render(<App />, document.getElementById('app') as HTMLElement);
