/**
 * Console sign-in end to end without a browser (issue 20): the code flow against a real provider,
 * the session cookie, and every refusal — each with a clear answer and nothing signed in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../../support/console-idp.js';
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
