/**
 * Console sign-in end to end without a browser (issue 20): the code flow against a real provider,
 * the session cookie, and every refusal — each with a clear answer and nothing signed in.
 */
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateHash } from '../../../src/modules/console-sign-in/attempts.repository.js';
import { verifierLocation } from '../../../src/modules/console-sign-in/sign-in.service.js';
import { chainOf } from '../../support/audit.js';
import {
  CONSOLE_CLIENT_ID,
  CONSOLE_CLIENT_SECRET,
  CONSOLE_HS256_CLIENT_ID,
  signIn,
} from '../../support/console-idp.js';
import { DEFAULT_SNAPSHOT_OPTIONS, snapshotDatabase } from '../../support/db-snapshot.js';
import { type ConsoleWorld, createConsoleWorld } from './console-world.js';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await createConsoleWorld('console-sign-in');
}, 60_000);
afterAll(async () => w?.close());

const session = (cookie: string | undefined) =>
  w.t.app.inject({ method: 'GET', url: '/v1/session', headers: cookie ? { cookie } : {} });

describe('signing in', () => {
  it('signs a person in with code + PKCE and starts a session whose cookie authenticates', async () => {
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada', { returnTo: '/ui/audit' });
    expect(out.callback.statusCode).toBe(303);
    expect(out.callback.headers.location).toBe('/ui/audit');
    expect(out.cookie).toMatch(/^csso_session=[A-Za-z0-9_-]{43}$/);
    const auth = new URL(out.visited[1] as string);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('state')).toBeTruthy();
    const me = await session(out.cookie);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      person: { issuer: w.idp.issuer, subject: 'ada', email: 'ada@example.com', name: 'Ada Auditor' },
      tenant: { id: w.tenant.id, slug: w.tenant.slug },
      roles: ['auditor'],
      orgScope: null,
    });
    expect(me.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

/** A refused sign-in creates no session and no person; the attempt it used is gone; it is audited. */
const UNCHANGED = {
  ...DEFAULT_SNAPSHOT_OPTIONS,
  ignoreTables: [
    ...(DEFAULT_SNAPSHOT_OPTIONS.ignoreTables ?? []),
    'audit_events',
    'console_sign_in_attempts',
  ],
};

async function refusedEvents() {
  const all = await w.t.database.pool.query<{
    diff: { after: { reason: string } };
    tenant_id: string | null;
  }>(
    "SELECT diff, tenant_id FROM audit_events WHERE action = 'console_sign_in.refused' ORDER BY occurred_at, seq",
  );
  return all.rows;
}

async function expectRefused(
  run: () => Promise<{ callback: { statusCode: number; body: string; headers: Record<string, unknown> } }>,
  status: number,
  reason: string,
  sentence: RegExp,
) {
  const before = await snapshotDatabase(w.t.database.pool, UNCHANGED);
  const refusalsBefore = (await refusedEvents()).length;
  const { callback } = await run();
  expect(callback.statusCode, callback.body).toBe(status);
  expect(callback.headers['set-cookie']).toBeUndefined();
  expect(String(callback.headers['content-type'])).toMatch(/^text\/html/);
  expect(callback.body).toMatch(sentence);
  expect(callback.body).toContain('<h1>Sign-in refused</h1>');
  expect(await snapshotDatabase(w.t.database.pool, UNCHANGED)).toEqual(before);
  const refusals = await refusedEvents();
  expect(refusals).toHaveLength(refusalsBefore + 1);
  expect(refusals.at(-1)?.diff.after.reason).toBe(reason);
}

describe('refused sign-ins: a clear page, no cookie, no session, an audit event', () => {
  /** Runs a sign-in of ada while `alter` holds (undone by what it returns), expecting the token checks to refuse it. */
  async function refusedWhile(alter: () => Promise<() => Promise<void>>) {
    const undo = await alter();
    try {
      await expectRefused(
        () => signIn(w.t.app, w.idp, w.tenant.slug, 'ada'),
        403,
        'token_checks_failed',
        /did not pass the checks/,
      );
    } finally {
      await undo();
    }
  }

  it('refuses an ID token that does not verify (the provider signs with another key than it publishes)', async () => {
    await refusedWhile(async () => {
      w.idp.jwksOverride = w.idp.strangerJwks;
      return async () => {
        w.idp.jwksOverride = undefined;
      };
    });
  });

  it('refuses an ID token signed with another algorithm than the settings expect', async () => {
    // The IdP signs RS256; the tenant's settings now expect RS384 (as if the IdP had been switched).
    const setAlg = (alg: string) =>
      w.t.database.pool.query('UPDATE console_logins SET id_token_alg = $2 WHERE tenant_id = $1', [
        w.tenant.id,
        alg,
      ]);
    await refusedWhile(async () => {
      await setAlg('RS384');
      return async () => void (await setAlg('RS256'));
    });
  });

  describe('HS256 ID tokens (signed with the client secret, which openid-client does not check)', () => {
    /** The tenant's settings name the provider's HS256 client, as an admin would save them. */
    const useClient = (clientId: string, alg: string) =>
      w.t.database.pool.query(
        'UPDATE console_logins SET client_id = $2, id_token_alg = $3 WHERE tenant_id = $1',
        [w.tenant.id, clientId, alg],
      );
    beforeAll(async () => void (await useClient(CONSOLE_HS256_CLIENT_ID, 'HS256')));
    afterAll(async () => void (await useClient(CONSOLE_CLIENT_ID, 'RS256')));

    const sign = (headerAndPayload: string, secret: string) =>
      `${headerAndPayload}.${createHmac('sha256', secret).update(headerAndPayload).digest('base64url')}`;
    const headerAndPayloadOf = (idToken: string) => idToken.split('.').slice(0, 2).join('.');

    it('signs a person in when the token is signed with the client secret', async () => {
      const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada');
      expect(out.callback.statusCode).toBe(303);
      const answer = JSON.parse(w.idp.tokenAnswers.at(-1) as string) as { id_token: string };
      expect(
        JSON.parse(Buffer.from(answer.id_token.split('.')[0] as string, 'base64url').toString()),
      ).toMatchObject({
        alg: 'HS256',
      });
      // The check recomputes what the provider signed.
      expect(sign(headerAndPayloadOf(answer.id_token), CONSOLE_CLIENT_SECRET)).toBe(answer.id_token);
    });

    it('refuses a token signed with another secret, its claims unchanged', async () => {
      await refusedWhile(async () => {
        w.idp.alterIdToken = (idToken) => sign(headerAndPayloadOf(idToken), 'not-the-client-secret');
        return async () => {
          w.idp.alterIdToken = undefined;
        };
      });
    });

    it('refuses a token whose claims were changed after signing (another subject)', async () => {
      await refusedWhile(async () => {
        w.idp.alterIdToken = (idToken) => {
          const [h, p, sig] = idToken.split('.') as [string, string, string];
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
          const changed = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
          return `${h}.${changed}.${sig}`;
        };
        return async () => {
          w.idp.alterIdToken = undefined;
        };
      });
    });
  });

  it('refuses an ID token with another nonce than the one sent', async () => {
    await expectRefused(
      () =>
        signIn(w.t.app, w.idp, w.tenant.slug, 'ada', {
          alterAuthorizationUrl: (url) => url.searchParams.set('nonce', 'a-nonce-this-service-never-sent'),
        }),
      403,
      'token_checks_failed',
      /did not pass the checks/,
    );
  });

  it('refuses a replayed state: the second use of a callback URL signs nobody in', async () => {
    const first = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada');
    expect(first.callback.statusCode).toBe(303);
    const replay = () =>
      w.t.app
        .inject({ method: 'GET', url: `${first.callbackUrl.pathname}${first.callbackUrl.search}` })
        .then((callback) => ({ callback }));
    await expectRefused(replay, 400, 'state_unknown', /already used/);
  });

  it('refuses a callback without state, and one with a state it never issued', async () => {
    const callback = (query: string) => () =>
      w.t.app.inject({ method: 'GET', url: `/ui/auth/callback${query}` }).then((res) => ({ callback: res }));
    await expectRefused(callback('?code=abc'), 400, 'state_missing', /no state/);
    await expectRefused(callback('?code=abc&state=made-up'), 400, 'state_unknown', /start again/);
    await expectRefused(callback(''), 400, 'state_missing', /no state/);
  });

  it('refuses a person with no mapped group, and one whose email domain is not allowed', async () => {
    await expectRefused(
      () => signIn(w.t.app, w.idp, w.tenant.slug, 'nora'),
      403,
      'no_mapped_role',
      /None of your groups/,
    );
    await expectRefused(
      () => signIn(w.t.app, w.idp, w.tenant.slug, 'olga'),
      403,
      'email_domain_not_allowed',
      /not in a domain/,
    );
  });

  it('refuses when the IdP answers with an error instead of a code', async () => {
    const start = await w.t.app.inject({ method: 'GET', url: `/ui/login/${w.tenant.slug}` });
    const state = new URL(String(start.headers.location)).searchParams.get('state');
    await expectRefused(
      () =>
        w.t.app
          .inject({ method: 'GET', url: `/ui/auth/callback?error=access_denied&state=${state}` })
          .then((callback) => ({ callback })),
      403,
      'idp_error',
      /did not sign you in \(access_denied\)/,
    );
  });
});

describe('returnTo', () => {
  it.each([
    'https://evil.example/ui/',
    '//evil.example/ui/',
    '/\\evil.example/',
    '/ui/\\..\\evil',
    'javascript:alert(1)',
    '/v1/orgs',
    '/ui/../v1/orgs',
    '/ui/%0d%0aSet-Cookie:x=1',
    ' /ui/',
  ])('ignores %j and sends the browser to /ui/', async (returnTo) => {
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada', { returnTo });
    expect(out.callback.statusCode).toBe(303);
    const location = String(out.callback.headers.location);
    expect(location === '/ui/' || location === '/ui/%0d%0aSet-Cookie:x=1').toBe(true);
    expect(new URL(location, 'http://localhost:3000').origin).toBe('http://localhost:3000');
    expect(out.callback.headers['set-cookie']).toMatch(
      /^csso_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it('keeps a local console path with its query', async () => {
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada', {
      returnTo: '/ui/orgs/acme-eu?tab=versions',
    });
    expect(out.callback.headers.location).toBe('/ui/orgs/acme-eu?tab=versions');
  });
});

describe('the pages', () => {
  it('asks for the tenant (a form allowed to submit to this origin only), then moves on without a redirect', async () => {
    const form = await w.t.app.inject({ method: 'GET', url: '/ui/login?returnTo=/ui/audit' });
    expect(form.statusCode).toBe(200);
    expect(form.headers['content-security-policy']).toContain("form-action 'self'");
    expect(form.body).toMatch(/<html lang="en">[\s\S]*<title>[^<]+<\/title>[\s\S]*<label for="tenant">/);
    expect(form.body.match(/<h1>/g)).toHaveLength(1);
    // An empty icon the CSP allows (img-src data:): the browser asks for no /favicon.ico (a 404 problem).
    expect(form.body).toContain('<link rel="icon" href="data:,">');
    expect(form.headers['content-security-policy']).toMatch(/img-src [^;]*data:/);
    const next = await w.t.app.inject({
      method: 'GET',
      url: `/ui/login?tenant=${w.tenant.slug}&returnTo=/ui/audit`,
    });
    expect(next.statusCode).toBe(200);
    expect(next.headers['content-security-policy']).toContain("form-action 'none'");
    expect(next.body).toContain(`url=/ui/login/${w.tenant.slug}?returnTo=%2Fui%2Faudit`);
    const start = await w.t.app.inject({
      method: 'GET',
      url: `/ui/login/${w.tenant.slug}?returnTo=/ui/audit`,
    });
    expect(start.statusCode).toBe(303);
    expect(String(start.headers.location)).toMatch(new RegExp(`^${w.idp.issuer}/auth\\?`));
  });

  it('says an unknown tenant has no console sign-in (404 page), like a tenant without it', async () => {
    for (const url of ['/ui/login/no-such-tenant', '/ui/login/NOT_A_SLUG', `/ui/login/${'a'.repeat(150)}`]) {
      const res = await w.t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).toContain('Console sign-in is not available');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
    const bad = await w.t.app.inject({ method: 'GET', url: '/ui/login?tenant=%3Cscript%3E' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>');
  });
});

describe('secrets of the flow', () => {
  it('keeps the PKCE verifier sealed with the tenant’s key, bound to its attempt', async () => {
    const start = await w.t.app.inject({ method: 'GET', url: `/ui/login/${w.tenant.slug}` });
    expect(start.statusCode).toBe(303);
    const auth = new URL(String(start.headers.location));
    const state = auth.searchParams.get('state') as string;
    const challenge = auth.searchParams.get('code_challenge') as string;
    const { rows } = await w.t.database.pool.query<{ code_verifier: string }>(
      'SELECT code_verifier FROM console_sign_in_attempts WHERE state_hash = $1',
      [stateHash(state)],
    );
    const stored = rows[0]?.code_verifier as string;
    expect(stored).not.toMatch(/^[A-Za-z0-9_-]{43}$/); // not a verifier as PKCE makes them
    const { secrets, database } = w.t.container;
    const verifier = await secrets.openTenantSecret(
      database.db,
      verifierLocation(w.tenant.id, state),
      stored,
    );
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    // Bound to its attempt: under another state's location it does not open.
    await expect(
      secrets.openTenantSecret(database.db, verifierLocation(w.tenant.id, `${state}x`), stored),
    ).rejects.toThrow();
  });

  it('puts the session id, the code and the tokens in no URL after the callback, no log line, no API answer and no audit event', async () => {
    const answers: string[] = [];
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'alma');
    const code = out.callbackUrl.searchParams.get('code') as string;
    const state = out.callbackUrl.searchParams.get('state') as string;
    const sessionId = (out.cookie as string).split('=')[1] as string;
    const tokens = w.idp.tokenAnswers.map((a) => JSON.parse(a) as Record<string, string>).at(-1) as Record<
      string,
      string
    >;
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.access_token).toBeTruthy();
    const secrets = [code, state, sessionId, tokens.id_token, tokens.access_token] as string[];
    // where the browser ends
    const after = String(out.callback.headers.location);
    // what the API answers in that session
    const cookie = out.cookie as string;
    for (const url of [
      '/v1/session',
      '/v1/me',
      '/v1/console-sessions',
      '/v1/audit-events?limit=200',
      '/v1/audit-events/export?format=ndjson',
      '/v1/console-login',
    ]) {
      const res = await w.t.app.inject({ method: 'GET', url, headers: { cookie } });
      expect(res.statusCode, url).toBe(200);
      answers.push(`${JSON.stringify(res.headers)} ${res.body}`);
    }
    const trail = JSON.stringify(await chainOf(w.t.database.pool, w.tenant.id));
    for (const secret of secrets) {
      expect(after.includes(secret)).toBe(false);
      for (const a of answers) expect(a.includes(secret), 'an API answer').toBe(false);
      for (const line of w.t.logs)
        expect(line.includes(secret), `log line: ${line.slice(0, 200)}`).toBe(false);
      expect(trail.includes(secret), 'the audit trail').toBe(false);
    }
  });
});
