/**
 * Console sessions (issue 20): the cookie's flags (http localhost and https), idle and absolute
 * expiry, sign-out, an admin's list and end, tenant isolation, the CSRF defence of state-changing
 * cookie requests, and an API key winning over a cookie. Every refusal changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SESSION_SWEEP_QUEUE,
  SWEEP_INTERVAL_MS,
} from '../../../src/modules/console-sessions/sessions.service.js';
import { periodicJob } from '../../../src/modules/jobs/periodic-job.js';
import { bearer, createKey, createOrg, createTenant, expectProblem } from '../../support/app.js';
import { chainOf } from '../../support/audit.js';
import { signIn } from '../../support/console-idp.js';
import { DEFAULT_SNAPSHOT_OPTIONS, snapshotDatabase } from '../../support/db-snapshot.js';
import { type ConsoleWorld, createConsoleWorld } from './console-world.js';

let w: ConsoleWorld;
let secure: ConsoleWorld;

beforeAll(async () => {
  [w, secure] = await Promise.all([
    createConsoleWorld('console-sessions'),
    createConsoleWorld('console-sessions-https', { PUBLIC_URL: 'https://sso.example.test' }),
  ]);
}, 90_000);
afterAll(async () => Promise.all([w?.close(), secure?.close()]));

const ORIGIN = 'http://localhost:3000';
const inject = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
  w.t.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
const sessionOf = async (cookie: string) => (await inject('GET', '/v1/session', { cookie })).json();
/** Every table but the columns a request legitimately stamps (last use of keys and sessions). */
const SNAPSHOT = {
  ...DEFAULT_SNAPSHOT_OPTIONS,
  ignoreColumns: {
    ...DEFAULT_SNAPSHOT_OPTIONS.ignoreColumns,
    console_sessions: ['last_seen_at', 'idle_expires_at'],
  },
};

async function signedIn(account: string, world = w) {
  const out = await signIn(world.t.app, world.idp, world.tenant.slug, account);
  if (!out.cookie) throw new Error(`no cookie: ${out.callback.statusCode} ${out.callback.body}`);
  return out;
}

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, without Secure on plain-http localhost', async () => {
    const { setCookie } = await signedIn('ada');
    const parts = (setCookie ?? '').split('; ');
    expect(parts[0]).toMatch(/^csso_session=[A-Za-z0-9_-]{43}$/);
    expect(parts.slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax']);
  });

  it('is __Host-csso_session and Secure when PUBLIC_URL is https (the service itself may stay http)', async () => {
    const out = await signedIn('ada', secure);
    const parts = (out.setCookie ?? '').split('; ');
    expect(parts[0]).toMatch(/^__Host-csso_session=[A-Za-z0-9_-]{43}$/);
    expect(parts.slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
    expect(new URL(out.visited[1] as string).searchParams.get('redirect_uri')).toBe(
      'https://sso.example.test/ui/auth/callback',
    );
    const me = await secure.t.app.inject({
      method: 'GET',
      url: '/v1/session',
      headers: { cookie: out.cookie ?? '' },
    });
    expect(me.statusCode).toBe(200);
  });

  it('a new sign-in gives a new session id', async () => {
    const a = await signedIn('ada');
    const b = await signedIn('ada');
    expect(a.cookie).not.toBe(b.cookie);
    expect((await sessionOf(a.cookie ?? '')).person.id).toBe((await sessionOf(b.cookie ?? '')).person.id);
  });
});

describe('expiry', () => {
  it('ends a session idle past its timeout, and one past its lifetime however active, with an audit event', async () => {
    const idle = await signedIn('ada');
    const old = await signedIn('ada');
    const pool = w.t.database.pool;
    // Time passes: the older session was idle too long, the newer one is past its lifetime.
    await pool.query(
      `UPDATE console_sessions SET idle_expires_at = now() - interval '1 second'
        WHERE id = (SELECT id FROM console_sessions ORDER BY created_at DESC OFFSET 1 LIMIT 1)`,
    );
    await pool.query(
      `UPDATE console_sessions SET expires_at = now() - interval '1 second'
        WHERE id = (SELECT id FROM console_sessions ORDER BY created_at DESC LIMIT 1)`,
    );
    for (const cookie of [idle.cookie, old.cookie]) {
      const res = await inject('GET', '/v1/session', { cookie: cookie ?? '' });
      expectProblem(res, 401, 'AUTH_UNAUTHENTICATED');
      expect(res.json().detail).toMatch(/sign in again/);
    }
    const ended = (await chainOf(pool, w.tenant.id)).filter(
      (e) => e.action === 'console_session.ended' && e.diff.after?.reason === 'expired',
    );
    expect(ended).toHaveLength(2);
    expect(ended.every((e) => e.actor_name === 'system (console session expiry)')).toBe(true);
  });

  it('the sweep ends expired sessions nobody came back to, with the same event, and deletes those ended past the retention', async () => {
    const pool = w.t.database.pool;
    const live = await signedIn('ada');
    const gone = await signedIn('ada');
    await signedIn('ada'); // the third, to be signed out long ago
    // The three newest sessions, in the order they began (uuid v7 ids).
    const newest = await pool.query<{ id: string }>(
      'SELECT id FROM console_sessions ORDER BY created_at DESC, id DESC LIMIT 3',
    );
    const [outId, goneId, liveId] = newest.rows.map((r) => r.id) as [string, string, string];
    // One session idle too long, never used again; one signed out 31 days ago (retention: 30 days).
    await pool.query(
      `UPDATE console_sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1`,
      [goneId],
    );
    await pool.query(
      `UPDATE console_sessions SET ended_at = now() - interval '31 days', ended_reason = 'signed_out' WHERE id = $1`,
      [outId],
    );
    const events = async () =>
      (await chainOf(pool, w.tenant.id)).filter(
        (e) => e.action === 'console_session.ended' && e.target_id === goneId,
      );
    expect(await events()).toHaveLength(0);

    const swept = await w.t.container.consoleSessions.sweep();
    expect(swept.ended).toBeGreaterThanOrEqual(1);
    expect(swept.purged).toBeGreaterThanOrEqual(1);
    const ended = await events();
    expect(ended).toHaveLength(1);
    expect(ended[0]?.diff.after).toMatchObject({ sessionId: goneId, reason: 'expired' });
    expect(ended[0]?.actor_name).toBe('system (console session expiry)');
    const rows = await pool.query<{ id: string; ended_reason: string | null }>(
      'SELECT id, ended_reason FROM console_sessions WHERE id = ANY($1)',
      [[liveId, goneId, outId]],
    );
    expect(Object.fromEntries(rows.rows.map((r) => [r.id, r.ended_reason]))).toEqual({
      [liveId]: null,
      [goneId]: 'expired',
    });
    // The live one still works; the swept one's cookie answers as any ended session, with no second event.
    expect((await inject('GET', '/v1/session', { cookie: live.cookie as string })).statusCode).toBe(200);
    expectProblem(
      await inject('GET', '/v1/session', { cookie: gone.cookie as string }),
      401,
      'AUTH_UNAUTHENTICATED',
    );
    expect(await events()).toHaveLength(1);
    // A second sweep finds nothing to do and records nothing.
    const before = (await chainOf(pool, w.tenant.id)).length;
    expect(await w.t.container.consoleSessions.sweep()).toEqual({ ended: 0, purged: 0 });
    expect((await chainOf(pool, w.tenant.id)).length).toBe(before);
  });

  it('runs as one job per period on the queue, however many times it is scheduled', async () => {
    const { db } = w.t.database;
    const sweeps = periodicJob({
      db,
      jobs: w.t.container.jobs,
      queue: SESSION_SWEEP_QUEUE,
      intervalMs: SWEEP_INTERVAL_MS,
      logger: w.t.container.logger,
    });
    const at = Date.parse('2026-12-06T10:02:00Z');
    expect(await sweeps.schedule(at)).toBe(true);
    expect(await sweeps.schedule(at + 60_000)).toBe(false); // the same 5-minute period
    expect(await sweeps.schedule(at + SWEEP_INTERVAL_MS)).toBe(true);
    const keys = await w.t.database.pool.query<{ key: string }>(
      'SELECT key FROM jobs WHERE queue = $1 ORDER BY key',
      [SESSION_SWEEP_QUEUE],
    );
    expect(keys.rows.map((r) => r.key)).toEqual([
      'interval:2026-12-06T10:00:00.000Z',
      'interval:2026-12-06T10:05:00.000Z',
    ]);
  });
});

describe('CSRF on state-changing cookie requests', () => {
  it('refuses without the token, from another origin, or naming no origin — and lets a same-origin request with the token through', async () => {
    const { cookie = '' } = await signedIn('alma');
    const { csrfToken } = await sessionOf(cookie);
    const before = await snapshotDatabase(w.t.database.pool, SNAPSHOT);
    const attempts: Array<Record<string, string>> = [
      { cookie, origin: ORIGIN }, // no token
      { cookie, origin: ORIGIN, 'x-csrf-token': 'A'.repeat(43) }, // a wrong token
      { cookie, origin: 'https://evil.example', 'x-csrf-token': csrfToken }, // another origin
      { cookie, 'x-csrf-token': csrfToken }, // no Origin, no Sec-Fetch-Site
      { cookie, 'x-csrf-token': csrfToken, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const res = await inject('POST', '/v1/orgs', headers, { slug: 'csrf-org', name: 'CSRF org' });
      expectProblem(res, 403, 'CSRF_REJECTED');
      expect(res.json().detail).toMatch(/Nothing was changed/);
    }
    expect(await snapshotDatabase(w.t.database.pool, SNAPSHOT)).toEqual(before);
    const ok = await inject(
      'POST',
      '/v1/orgs',
      { cookie, origin: ORIGIN, 'x-csrf-token': csrfToken },
      { slug: 'csrf-org', name: 'CSRF org' },
    );
    expect(ok.statusCode, ok.body).toBe(201);
    const alsoOk = await inject(
      'PATCH',
      '/v1/orgs/csrf-org',
      { cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': csrfToken },
      { name: 'Renamed' },
    );
    expect(alsoOk.statusCode, alsoOk.body).toBe(200);
  });

  it('lets an API key win over a cookie: the key’s roles apply and no CSRF token is asked', async () => {
    const { cookie = '' } = await signedIn('alma'); // an admin
    const auditor = await createKey(w.t.app, w.tenant.adminKey, ['auditor']);
    const res = await inject(
      'POST',
      '/v1/orgs',
      { cookie, ...bearer(auditor.token) },
      { slug: 'by-key', name: 'By key' },
    );
    expectProblem(res, 403, 'AUTH_ROLE_REQUIRED');
    const me = await inject('GET', '/v1/me', { cookie, ...bearer(auditor.token) });
    expect(me.json()).toMatchObject({ id: auditor.id, keyId: auditor.id, person: null });
  });
});

describe('sign-out and ending sessions', () => {
  it('signs out with DELETE /v1/session: cookie cleared, session over, the IdP’s end-session URL without id_token_hint', async () => {
    const { cookie = '' } = await signedIn('ada');
    const { csrfToken, person } = await sessionOf(cookie);
    expectProblem(await inject('DELETE', '/v1/session', { cookie, origin: ORIGIN }), 403, 'CSRF_REJECTED');
    const res = await inject('DELETE', '/v1/session', { cookie, origin: ORIGIN, 'x-csrf-token': csrfToken });
    expect(res.statusCode, res.body).toBe(200);
    const url = new URL(res.json().endSessionUrl);
    expect(url.origin).toBe(w.idp.issuer);
    expect(url.searchParams.get('client_id')).toBe('csso-console');
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/ui/login/${w.tenant.slug}`);
    expect(url.searchParams.has('id_token_hint')).toBe(false);
    expect(String(res.headers['set-cookie'])).toMatch(
      /^csso_session=; Max-Age=0; .*Expires=Thu, 01 Jan 1970/,
    );
    expectProblem(await inject('GET', '/v1/session', { cookie }), 401);
    const out = (await chainOf(w.t.database.pool, w.tenant.id)).filter(
      (e) => e.action === 'console_sign_out',
    );
    expect(out.at(-1)).toMatchObject({ actor_id: person.id, actor_name: 'ada@example.com' });
  });

  it('signs out with the form POST /ui/logout (csrfToken field, same origin) and sends the browser on', async () => {
    const { cookie = '' } = await signedIn('ada');
    const { csrfToken } = await sessionOf(cookie);
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: ORIGIN };
    const refused = await w.t.app.inject({
      method: 'POST',
      url: '/ui/logout',
      headers: form,
      payload: 'csrfToken=wrong',
    });
    expect(refused.statusCode).toBe(403);
    expect((await inject('GET', '/v1/session', { cookie })).statusCode).toBe(200);
    const res = await w.t.app.inject({
      method: 'POST',
      url: '/ui/logout',
      headers: form,
      payload: `csrfToken=${csrfToken}`,
    });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).toMatch(new RegExp(`^${w.idp.issuer}/`));
    expectProblem(await inject('GET', '/v1/session', { cookie }), 401);
  });

  it('lets an admin list the tenant’s live sessions (never their secrets) and end one', async () => {
    const ada = await signedIn('ada');
    const { cookie: almaCookie = '' } = await signedIn('alma');
    const alma = await sessionOf(almaCookie);
    const list = await inject('GET', '/v1/console-sessions', { cookie: almaCookie });
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as Array<{ id: string; current: boolean; person: { subject: string } }>;
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items.find((s) => s.current)?.person.subject).toBe('alma');
    const adaToken = (ada.cookie ?? '').split('=')[1] as string;
    expect(list.body).not.toContain(adaToken);
    const adaSession = items.find((s) => s.person.subject === 'ada' && !s.current) as { id: string };
    const end = await inject('DELETE', `/v1/console-sessions/${adaSession.id}`, {
      cookie: almaCookie,
      origin: ORIGIN,
      'x-csrf-token': alma.csrfToken,
    });
    expect(end.statusCode, end.body).toBe(204);
    expectProblem(await inject('GET', '/v1/session', { cookie: ada.cookie ?? '' }), 401);
    expectProblem(
      await inject('DELETE', `/v1/console-sessions/${adaSession.id}`, bearer(w.tenant.adminKey)),
      404,
      'CONSOLE_SESSION_NOT_FOUND',
    );
    const ended = (await chainOf(w.t.database.pool, w.tenant.id)).filter(
      (e) => e.action === 'console_session.ended' && e.diff.after?.reason === 'ended_by_admin',
    );
    expect(ended.at(-1)).toMatchObject({ actor_id: alma.person.id, target_id: adaSession.id });
  });

  it('answers 401 for /v1/session with an API key or no cookie, and for a made-up cookie', async () => {
    expectProblem(
      await inject('GET', '/v1/session', bearer(w.tenant.adminKey)),
      401,
      'CONSOLE_SESSION_REQUIRED',
    );
    expectProblem(await inject('GET', '/v1/session', {}), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await inject('GET', '/v1/session', { cookie: `csso_session=${'x'.repeat(43)}` }), 401);
  });
});

describe('tenancy', () => {
  it('a session works only in its own tenant: another tenant’s orgs and sessions are not found', async () => {
    const other = await createTenant(w.t.app);
    const otherOrg = await createOrg(w.t.app, other.adminKey, 'other-org');
    const { cookie = '' } = await signedIn('alma');
    expectProblem(await inject('GET', `/v1/orgs/${otherOrg.id}`, { cookie }), 404, 'ORG_NOT_FOUND');
    const mine = (await inject('GET', '/v1/console-sessions', { cookie })).json().items[0] as { id: string };
    expectProblem(
      await inject('DELETE', `/v1/console-sessions/${mine.id}`, bearer(other.adminKey)),
      404,
      'CONSOLE_SESSION_NOT_FOUND',
    );
    expect((await inject('GET', '/v1/session', { cookie })).statusCode).toBe(200);
    expect((await inject('GET', '/v1/console-sessions', bearer(other.adminKey))).json().items).toEqual([]);
  });
});
