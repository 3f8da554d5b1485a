/**
 * The web UI for auditors and approvers: the same REST API, the same API keys and roles. Sign in,
 * then the shell (navigation, who is signed in, sign out) around the view the address names.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, whenUnauthorized } from './api.js';
import { type Caller, CallerContext } from './caller.js';
import { ErrorNote, Loading } from './components/common.js';
import { href, type Route, useRoute } from './router.js';
import { session } from './session.js';
import './styles.css';
import type { MeView, TenantView } from './types.js';
import { Attention } from './views/Attention.js';
import { Audit } from './views/Audit.js';
import { Deployment } from './views/Deployment.js';
import { Diff } from './views/Diff.js';
import { Org } from './views/Org.js';
import { Orgs } from './views/Orgs.js';
import { SignIn } from './views/SignIn.js';
import { Version } from './views/Version.js';
import { Webhook, Webhooks } from './views/Webhooks.js';
import { mayReadWebhooks } from './webhooks.js';

function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const [notice, setNotice] = useState<string | undefined>();
  const [caller, setCaller] = useState<Caller | null>(null);
  const [error, setError] = useState<unknown>(null);

  function signOut(message?: string) {
    session.signOut();
    setCaller(null);
    setSignedIn(false);
    setNotice(message);
  }

  useEffect(() => whenUnauthorized(() => signOut('The API key is no longer valid; sign in again.')), []);

  useEffect(() => {
    if (!signedIn) return;
    setError(null);
    Promise.all([getJson<MeView>('/v1/me'), getJson<TenantView>('/v1/tenant')]).then(
      ([me, tenant]) => setCaller({ me, tenant }),
      setError,
    );
  }, [signedIn]);

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(key) => {
          session.signIn(key);
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  if (!caller) {
    return <main id="main">{error ? <ErrorNote error={error} /> : <Loading what="your key" />}</main>;
  }
  return (
    <CallerContext.Provider value={caller}>
      <Shell caller={caller} onSignOut={() => signOut('Signed out. The key is forgotten by this tab.')} />
    </CallerContext.Provider>
  );
}

function Shell({ caller, onSignOut }: { caller: Caller; onSignOut: () => void }) {
  const route = useRoute();
  const section =
    route.name === 'audit' || route.name === 'attention'
      ? route.name
      : route.name === 'webhooks' || route.name === 'webhook'
        ? 'webhooks'
        : 'orgs';
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
        </nav>
        <span class="who">
          {caller.me.name} · {caller.me.roles.join(', ')} · {caller.tenant.name}
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
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
