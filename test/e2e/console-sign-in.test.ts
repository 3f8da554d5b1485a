/**
 * People sign in to the console with their tenant's own identity provider (issue 20), end to end in
 * a real headless Chromium against a real service on loopback and a real OpenID Provider
 * (oidc-provider with its own login form, test/support/idp-login-form.ts) whose people carry a `groups`
 * claim: auditors, approvers, editors, admins, and a contractor in no mapped group.
 *
 * The story: an admin (API key) sets the console sign-in on its page (a refused issuer first, with
 * the report); an editor drafts a version and cannot approve it, in a second session neither; an
 * auditor reads the trail and sees no approve button; an approver approves; an admin person lists the
 * sessions and ends one (that browser is sent to sign-in, keeping its place); the approver signs out
 * through the IdP and the old cookie no longer works; the trail names each person for each step and
 * filtering by actor finds them. Along the way: the cookie's flags, no URL after the callback with the
 * code, a token or the session id, no secret or session id in any response or log line, axe-core on
 * the new pages (tenant question, refusal, settings, sessions, the signed-in console).
 *
 * Skipped with a message when Chromium is absent; under CI it must be there.
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's locator.innerText() keeps the cell separators the assertions read

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtUiDir } from '../../src/modules/ui/ui.routes.js';
import { loopbackFetch } from '../modules/discovery/idp-servers.js';
import { samlDraft } from '../modules/sso-versions/sso-support.js';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../support/app.js';
import {
  type AxeResult,
  axeSummary,
  capture,
  chromiumOrSkip,
  launchChromium,
  newPageRecord,
  watchPage,
} from '../support/browser.js';
import {
  CONSOLE_CLIENT_ID,
  CONSOLE_CLIENT_SECRET,
  type ConsoleIdp,
  type Person,
  passwordOf,
  startConsoleIdp,
} from '../support/idp-login-form.js';
import { freePort } from '../support/process.js';

const HAS_CHROMIUM = chromiumOrSkip('console sign-in end-to-end test');
const TENANT = 'acme-msp';

const PEOPLE: Record<string, Person> = {
  alex: { name: 'Alex Admin', email: 'alex@acme.example', groups: ['sso-admins'] },
  avery: { name: 'Avery Auditor', email: 'avery@acme.example', groups: ['auditors'] },
  sam: { name: 'Sam Approver', email: 'sam@acme.example', groups: ['approvers'] },
  dana: { name: 'Dana Editor', email: 'dana@acme.example', groups: ['editors', 'approvers'] },
  nora: { name: 'Nora Contractor', email: 'nora@acme.example', groups: ['contractors'] },
};
const label = (login: string) => `${PEOPLE[login]?.name} (${PEOPLE[login]?.email})`;

/** The session cookie on plain-http loopback (contract: `__Host-csso_session` where https). */
const COOKIE = 'csso_session';

describe.skipIf(!HAS_CHROMIUM)('console sign-in with the tenant’s identity provider, in Chromium', () => {
  let t: TestApp;
  let idp: ConsoleIdp;
  let browser: Browser;
  let base: string;
  let tenant: TenantFixture;
  const record = newPageRecord();
  const axeResults: AxeResult[] = [];
  /** Every URL any page requested, in order (the browser's own requests, not the service's). */
  const requested: string[] = [];
  const contexts: BrowserContext[] = [];
  /** Every answer of the service with a 4xx or 5xx status, as `status path`. */
  const failed = new Set<string>();

  const api = async (method: 'GET' | 'PUT', url: string, payload?: object) => {
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(tenant.adminKey),
      ...(payload ? { payload } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  beforeAll(async () => {
    if (!existsSync(join(builtUiDir(), 'index.html'))) {
      throw new Error(`the web UI is not built (${builtUiDir()}): run \`npm run build\` first`);
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startConsoleIdp({ consoleUrl: base, tenantSlug: TENANT, people: PEOPLE });
    t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', PUBLIC_URL: base }, 'console-sign-in', {
      outbound: loopbackFetch(),
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    tenant = await createTenant(t.app, TENANT);
    await createOrg(t.app, tenant.adminKey, 'contoso');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  /** A browser of its own (cookies, storage) for one person; the IdP's test CA is not the browser's. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 860 },
      ignoreHTTPSErrors: true,
    });
    contexts.push(context);
    context.on('request', (request) => requested.push(request.url()));
    context.on('response', (response) => {
      if (response.status() >= 400 && response.url().startsWith(base)) {
        failed.add(`${response.status()} ${new URL(response.url()).pathname}`);
      }
    });
    const page = await context.newPage();
    await watchPage(page, record);
    return page;
  }

  /** At the IdP's form: the person's username and password; resolves to the service's answer to the callback. */
  async function atIdp(page: Page, login: string) {
    await page.getByLabel('Username').fill(login);
    await page.getByLabel('Password').fill(passwordOf(login));
    const callback = page.waitForResponse((r) => r.url().startsWith(`${base}/ui/auth/callback`));
    await page.getByRole('button', { name: 'Sign in to Acme' }).click();
    return callback;
  }

  /** The person's session cookie in their browser. */
  async function sessionCookie(page: Page) {
    return (await page.context().cookies(base)).find((c) => c.name === COOKIE);
  }

  /** A person signs in from the tenant's sign-in link and lands on `returnTo`. */
  async function signIn(login: string, returnTo = '/ui/') {
    const page = await newPage();
    await page.goto(`${base}/ui/login/${TENANT}?returnTo=${encodeURIComponent(returnTo)}`);
    expect((await atIdp(page, login)).status()).toBe(303);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  /** A request from the signed-in page itself (its cookie; the anti-CSRF token unless told otherwise). */
  function fromPage(page: Page, method: string, path: string, body?: object, csrf = true) {
    return page.evaluate(
      async ({ method, path, body, csrf }) => {
        const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        };
        if (csrf) headers['x-csrf-token'] = session.csrfToken;
        const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
        return { status: res.status, body: await res.json() };
      },
      { method, path, body, csrf },
    );
  }

  test('sign-in settings, people by their groups, four eyes, sessions, sign-out, the trail', async () => {
    const started = Date.now();

    // An admin with the tenant's API key sets up console sign-in on its page.
    const admin = await newPage();
    await admin.goto(`${base}/ui/`);
    await admin.getByLabel('API key').fill(tenant.adminKey);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('link', { name: 'Console sign-in' }).click();
    await admin.getByRole('heading', { name: 'Console sign-in', level: 1 }).waitFor();
    const facts = admin.getByRole('region', { name: 'At your identity provider' });
    await facts.getByText(`${base}/ui/auth/callback`).waitFor();
    expect(await facts.innerText()).toContain(`${base}/ui/login/${TENANT}`);
    await admin.getByLabel('Issuer', { exact: true }).fill('https://127.0.0.1:9/nothing-listens');
    await admin.getByLabel('Client ID').fill(CONSOLE_CLIENT_ID);
    await admin.getByLabel('Client secret').fill(CONSOLE_CLIENT_SECRET);
    const mappings: Array<[string, string[]]> = [
      ['sso-admins', ['admin', 'auditor']],
      ['auditors', ['auditor']],
      ['approvers', ['approver', 'auditor']],
      ['editors', ['editor', 'auditor']],
    ];
    for (const [i, [group, roles]] of mappings.entries()) {
      if (i > 0) await admin.getByRole('button', { name: 'Add a mapping' }).click();
      const row = admin.getByRole('group', { name: `Mapping ${i + 1}` });
      await row.getByLabel('Group').fill(group);
      for (const role of roles) await row.getByLabel(role, { exact: true }).check();
    }
    await admin.getByLabel('Allowed email domains').fill('acme.example');
    await capture(admin, 'sso-01-settings', axeResults);
    // An issuer that does not answer: refused with the report, nothing saved.
    await admin.getByRole('button', { name: 'Save' }).click();
    const refusal = admin.getByRole('region', { name: 'Why the issuer was refused' });
    await refusal.getByText('Nothing was saved.').waitFor();
    expect(await refusal.getByRole('listitem').count()).toBeGreaterThan(0);
    expect((await api('GET', '/v1/console-login')).configured).toBe(false);
    await admin.getByLabel('Issuer', { exact: true }).fill(idp.issuer);
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await admin.getByText('Stored now:').waitFor();
    // Polled: the status and the field are set by separate renders.
    await expect.poll(() => admin.getByLabel('Client secret').inputValue()).toBe('');
    const settings = await api('GET', '/v1/console-login');
    expect(settings).toMatchObject({
      configured: true,
      issuer: idp.issuer,
      allowedEmailDomains: ['acme.example'],
    });
    expect(settings.roleMappings.map((m: { group: string }) => m.group)).toEqual(mappings.map(([g]) => g));
    await capture(admin, 'sso-02-settings-saved', axeResults);

    // The editor (also an approver) comes from the SPA's own sign-in, which asks for the tenant and
    // brings them back where they were.
    const dana = await newPage();
    await dana.goto(`${base}/ui/#/orgs/contoso`);
    await dana.getByLabel('Tenant').fill(TENANT);
    await dana.getByRole('button', { name: 'Continue to your identity provider' }).click();
    expect((await atIdp(dana, 'dana')).status()).toBe(303);
    await dana.getByRole('heading', { name: 'Org contoso', level: 1 }).waitFor();
    expect(new URL(dana.url()).hash).toBe('#/orgs/contoso');
    const who = await dana.locator('.who').innerText();
    expect(who).toContain(label('dana'));
    for (const role of ['editor', 'approver', 'auditor']) expect(who).toContain(role);
    await capture(dana, 'sso-03-signed-in', axeResults);
    const danaCookie = await sessionCookie(dana);
    expect(danaCookie).toMatchObject({
      name: COOKIE,
      httpOnly: true,
      sameSite: 'Lax',
      secure: false,
      path: '/',
    });
    expect(await dana.evaluate('document.cookie')).not.toContain(COOKIE);
    expect(await dana.evaluate('Object.keys(sessionStorage)')).toEqual([]);

    // Changes need the anti-CSRF token: without it, refused and nothing made; with it, a draft.
    const forged = await fromPage(
      dana,
      'POST',
      '/v1/orgs/contoso/sso/versions',
      { ...samlDraft(), baseVersion: 0 },
      false,
    );
    expect(forged).toMatchObject({ status: 403, body: { code: 'CSRF_REJECTED' } });
    expect((await api('GET', '/v1/orgs/contoso/sso/versions')).items).toEqual([]);
    const drafted = await fromPage(dana, 'POST', '/v1/orgs/contoso/sso/versions', {
      ...samlDraft(),
      baseVersion: 0,
      note: 'SAML for contoso, drafted by Dana',
    });
    expect(drafted.status).toBe(201);
    await dana.goto(`${base}/ui/#/orgs/contoso/versions/1`);
    await dana
      .getByText('You created version 1; another approver must approve it (four-eyes rule).')
      .waitFor();
    expect(await dana.getByRole('button', { name: 'Approve v1' }).isDisabled()).toBe(true);

    // The same person in a second browser: a second session, and still not their own approval.
    const dana2 = await signIn('dana', '/ui/#/orgs/contoso/versions/1');
    await dana2
      .getByText('You created version 1; another approver must approve it (four-eyes rule).')
      .waitFor();
    const selfApproval = await fromPage(dana2, 'POST', '/v1/orgs/contoso/sso/versions/1/approve', {});
    expect(selfApproval).toMatchObject({ status: 403, body: { code: 'SSO_SELF_APPROVAL_FORBIDDEN' } });
    expect((await sessionCookie(dana2))?.value).not.toBe(danaCookie?.value);

    // The auditor answers the console's tenant question first, reads the trail, and has no approve button.
    const avery = await newPage();
    await avery.goto(`${base}/ui/login`);
    await capture(avery, 'sso-04-login-tenant', axeResults);
    await avery.getByLabel(/tenant/i).fill(TENANT);
    await avery.getByLabel(/tenant/i).press('Enter');
    expect((await atIdp(avery, 'avery')).status()).toBe(303);
    await avery.getByRole('button', { name: 'Sign out' }).waitFor();
    await avery.getByRole('link', { name: 'Audit trail' }).click();
    const averyTrail = avery.getByRole('table', { name: 'Audit events, newest first' });
    await averyTrail.getByRole('row', { name: /sso_version\.created/ }).waitFor();
    await avery.goto(`${base}/ui/#/orgs/contoso/versions/1`);
    await avery.getByText('Approving and rejecting need the approver role; your roles: auditor.').waitFor();
    expect(await avery.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    expect(await avery.getByRole('link', { name: 'Console sign-in' }).count()).toBe(0);

    // A person in no mapped group is refused with a page that says so, and gets no cookie.
    const nora = await newPage();
    await nora.goto(`${base}/ui/login/${TENANT}`);
    const refused = await atIdp(nora, 'nora');
    expect(refused.status()).toBe(403);
    await nora.getByRole('heading', { level: 1 }).waitFor();
    expect(await nora.locator('body').innerText()).toMatch(/role|group/i);
    expect(await sessionCookie(nora)).toBeUndefined();
    await capture(nora, 'sso-05-refused', axeResults);

    // The approver approves Dana's draft.
    const sam = await signIn('sam', '/ui/#/orgs/contoso/versions/1');
    await sam.getByLabel('Comment').fill('Checked with the IdP team');
    await sam.getByRole('button', { name: 'Approve v1' }).click();
    await sam.getByRole('status').filter({ hasText: 'Version 1 approved.' }).waitFor();

    // An admin person: the sessions, theirs marked; they end Dana's second session.
    const alex = await signIn('alex', '/ui/#/sessions');
    await alex.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    const table = alex.getByRole('table', { name: 'Console sessions' });
    await expect.poll(() => table.getByRole('row').count()).toBe(6);
    const own = table.getByRole('row').filter({ hasText: '(this session)' });
    expect(await own.innerText()).toContain(label('alex'));
    expect(await own.getByRole('button').isDisabled()).toBe(true);
    expect(await own.getByRole('button').getAttribute('title')).toBe(
      'This is your own session: use Sign out.',
    );
    await capture(alex, 'sso-06-sessions', axeResults);
    const listed = (await api('GET', '/v1/console-sessions')).items as Array<{
      id: string;
      person: { id: string; email: string };
      createdAt: string;
    }>;
    const second = listed
      .filter((s) => s.person.email === PEOPLE.dana?.email)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] as { id: string };
    await table
      .getByRole('row')
      .filter({ hasText: `session …${second.id.slice(-8)}` })
      .getByRole('button', { name: `End session of ${label('dana')}` })
      .click();
    await alex
      .getByRole('status')
      .filter({ hasText: `The session of ${label('dana')} has ended.` })
      .waitFor();
    await expect.poll(() => table.getByRole('row').count()).toBe(5);

    // Dana's second browser: the next call answers 401; sign-in again, with a clear sentence, keeps the place.
    await dana2.getByRole('link', { name: 'Audit trail' }).click();
    await dana2.getByText('Your session has ended').waitFor();
    expect(new URL(dana2.url()).hash).toBe('#/audit');
    await expect.poll(() => dana2.getByLabel('Tenant').inputValue()).toBe(TENANT);
    await dana2.getByRole('button', { name: 'Continue to your identity provider' }).click();
    // Still signed in at the IdP: straight back, to the trail.
    await dana2.getByRole('table', { name: 'Audit events, newest first' }).waitFor();
    expect(new URL(dana2.url()).hash).toBe('#/audit');

    // The approver signs out: the IdP ends its session too, and the old cookie no longer works.
    const samCookie = (await sessionCookie(sam))?.value as string;
    expect(
      (await t.app.inject({ url: '/v1/session', headers: { cookie: `${COOKIE}=${samCookie}` } })).statusCode,
    ).toBe(200);
    await sam.getByRole('button', { name: 'Sign out' }).click();
    await sam.getByRole('button', { name: /Yes, sign me out/ }).click();
    await sam.getByLabel('Username').waitFor();
    expect(await sessionCookie(sam)).toBeUndefined();
    for (const url of ['/v1/session', '/v1/me', '/v1/orgs']) {
      const res = await t.app.inject({ url, headers: { cookie: `${COOKIE}=${samCookie}` } });
      expect(res.statusCode, url).toBe(401);
    }

    // The trail names each person for each step; filtering by actor finds them (API and page).
    const personId = (login: string) =>
      (listed.find((s) => s.person.email === PEOPLE[login]?.email) as { person: { id: string } }).person.id;
    const actions = async (login: string) => {
      const events = (await api('GET', `/v1/audit-events?actor=${personId(login)}&limit=200`))
        .items as Array<{
        action: string;
        actor: { type: string; name: string; person?: { email: string; subject: string; roles: string[] } };
      }>;
      for (const e of events) {
        expect(e.actor).toMatchObject({
          type: 'person',
          person: { email: PEOPLE[login]?.email, subject: idp.subjectOf(login) },
        });
      }
      return events.map((e) => e.action).sort();
    };
    expect(await actions('dana')).toEqual([
      'console_sign_in.succeeded',
      'console_sign_in.succeeded',
      'console_sign_in.succeeded',
      'sso_version.created',
    ]);
    // The approval also enqueues the version's deployment, in Sam's name.
    expect(await actions('sam')).toEqual([
      'console_sign_in.succeeded',
      'console_sign_out',
      'deployment.enqueued',
      'sso_version.approved',
    ]);
    expect(await actions('alex')).toEqual(['console_session.ended', 'console_sign_in.succeeded']);
    expect(await actions('avery')).toEqual(['console_sign_in.succeeded']);
    const refusals = (await api('GET', '/v1/audit-events?action=console_sign_in.refused')).items;
    expect(refusals).toHaveLength(1);
    expect((await api('GET', '/v1/audit-events?action=console_login.updated')).items).toHaveLength(1);

    await alex.getByRole('link', { name: 'Audit trail' }).click();
    const trail = alex.getByRole('table', { name: 'Audit events, newest first' });
    await trail
      .getByRole('row', { name: /sso_version\.approved/ })
      .getByRole('link', { name: PEOPLE.sam?.email })
      .click();
    await expect.poll(() => alex.url()).toContain(`actor=${personId('sam')}`);
    await expect.poll(() => trail.getByRole('row').count()).toBe(5);
    expect(await trail.getByRole('row', { name: /sso_version\.approved/ }).innerText()).toMatch(
      /sam@acme\.example[\s\S]*person · [a-z, ]*approver[\s\S]*sso_version\.approved/,
    );
    await expect.poll(() => alex.getByLabel('Actor').inputValue()).toBe(personId('sam'));

    // A tenant that keeps its console to its IdP: the sign-in page offers no key form.
    await api('PUT', '/v1/console-login', {
      issuer: idp.issuer,
      clientId: CONSOLE_CLIENT_ID,
      roleMappings: settings.roleMappings,
      allowedEmailDomains: ['acme.example'],
      apiKeySignInAllowed: false,
    });
    const keyless = await newPage();
    await keyless.goto(`${base}/ui/?tenant=${TENANT}`);
    await keyless
      .getByText(`Tenant “${TENANT}” signs in to the console through its identity provider only`)
      .waitFor();
    expect(await keyless.getByLabel('API key').count()).toBe(0);
    await capture(keyless, 'sso-07-sign-in-idp-only', axeResults);

    // No URL the browsers visited after a callback carries the code, the state, a token or a session id.
    const callbacks = requested
      .filter((u) => u.startsWith(`${base}/ui/auth/callback`))
      .map((u) => new URL(u));
    expect(callbacks).toHaveLength(7);
    const codes = callbacks.map((u) => u.searchParams.get('code') as string);
    const states = callbacks.map((u) => u.searchParams.get('state') as string);
    const cookies = (await Promise.all(contexts.map((c) => c.cookies(base))))
      .flat()
      .filter((c) => c.name === COOKIE);
    const sessionIds = [danaCookie?.value, samCookie, ...cookies.map((c) => c.value)].filter(
      Boolean,
    ) as string[];
    expect(sessionIds.length).toBeGreaterThanOrEqual(5);
    const afterFirstCallback = requested.slice(
      requested.findIndex((u) => u.startsWith(`${base}/ui/auth/callback`)),
    );
    for (const url of [...afterFirstCallback, ...record.visitedUrls]) {
      if (url.startsWith(`${base}/ui/auth/callback`)) continue;
      for (const secret of [...codes, ...sessionIds]) expect(url).not.toContain(secret);
      expect(url).not.toMatch(/[?&#](id_token|access_token|refresh_token)=/);
      if (url.startsWith(base)) for (const state of states) expect(url).not.toContain(state);
    }

    // No client secret, session id or code in any response the browser received, or in a log line.
    const received = await Promise.all(record.bodies);
    for (const body of received) {
      for (const secret of [CONSOLE_CLIENT_SECRET, ...sessionIds, ...codes])
        expect(body).not.toContain(secret);
    }
    for (const secret of [CONSOLE_CLIENT_SECRET, ...sessionIds, ...codes]) {
      expect(t.logs.filter((line) => line.includes(secret))).toEqual([]);
    }
    // The console's own pages complained of nothing; the service refused only what the story provoked.
    expect(
      record.problems.filter((p) => p.includes(` ${base}/ui`) && !p.includes('Failed to load resource')),
    ).toEqual([]);
    const provoked = [
      '422 /v1/console-login', // the issuer that does not answer
      '403 /v1/orgs/contoso/sso/versions', // no anti-CSRF token
      '403 /v1/orgs/contoso/sso/versions/1/approve', // four eyes
      '403 /ui/auth/callback', // the contractor
      '401 /v1/session', // the sign-in page looking for a session
    ];
    const unexpected = [...failed].filter((f) => !provoked.includes(f) && !/^401 \/v1\//.test(f));
    expect(unexpected.filter((f) => f !== '404 /favicon.ico')).toEqual([]);
    console.info(
      `console sign-in e2e: ${Date.now() - started} ms in the browser, ${requested.length} requests and ${received.length} responses checked, axe: ${axeSummary(axeResults)}`,
    );
  }, 300_000); // CI runs it beside the whole suite on two cores
});
