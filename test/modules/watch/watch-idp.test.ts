/**
 * The watch against a real OpenID Provider over HTTPS (issue 17, first acceptance item): rotating
 * its signing keys opens an info finding; removing the version's algorithm opens a critical one at
 * once; stopping the provider opens "unreachable" after two checks, not one; each resolves when
 * fixed. A SAML version whose certificate expires in 20 days opens a warning, which a new version
 * with a fresh certificate resolves once it is applied at Cognigy (a fake Cognigy, the real
 * forwarder). Along the way: findings are tenant- and scope-isolated, opening and resolving are
 * system audit events, the chain verifies, and no secret appears in a finding or a log line.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { waitFor } from '../../support/rollout.js';
import { CLIENT_SECRET, loopbackFetch } from '../discovery/idp-servers.js';
import { oidcDraft, samlDraft } from '../sso-versions/sso-support.js';
import { type ControlledIdp, certificateExpiringIn, startControlledIdp } from './watch-support.js';

let t: TestApp;
let idp: ControlledIdp;
let cognigy: FakeCognigy;
let tenant: TenantFixture;
let editor: string;
let approver: string;
let acme: { id: string; slug: string };

interface Finding {
  id: string;
  kind: string;
  severity: string;
  state: string;
  subject: string;
  summary: string;
  evidence: Record<string, unknown>;
  firstSeenAt: string;
  resolvedAt: string | null;
  org: { id: string; slug: string };
}

const send = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

async function run(
  org: string,
): Promise<{ open: Finding[]; opened: number; resolved: number; issuers: number }> {
  const res = await send('POST', `/v1/orgs/${org}/watch/run`, editor, {});
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const kinds = (list: Finding[]) => list.map((f) => `${f.kind}:${f.severity}`).sort();

async function approve(org: string, n: number) {
  const res = await send('POST', `/v1/orgs/${org}/sso/versions/${n}/approve`, approver, {});
  expect(res.statusCode, res.body).toBe(200);
}

beforeAll(async () => {
  idp = await startControlledIdp({ kid: 'key-1', algs: ['RS256'] });
  cognigy = await startFakeCognigy({ https: true });
  t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1' }, 'watch-idp', { outbound: loopbackFetch() });
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  acme = await createOrg(t.app, tenant.adminKey, 'acme');
  const draft = await send('POST', `/v1/orgs/acme/sso/versions`, editor, {
    ...oidcDraft(idp.issuer),
    baseVersion: 0,
  });
  expect(draft.statusCode, draft.body).toBe(201);
  await approve('acme', 1);
});

afterAll(async () => {
  await t?.container.forwarder.stop();
  await t?.close();
  await idp?.close();
  await cognigy?.close();
});

describe('an OIDC issuer watched', () => {
  test('a healthy IdP: nothing found, one document and one JWKS read', async () => {
    const before = { ...idp.served };
    const r = await run('acme');
    expect(r.issuers).toBe(1);
    expect(r.open).toEqual([]);
    expect(idp.served.documents - before.documents).toBe(1);
    expect(idp.served.jwks - before.jwks).toBe(1);
  });

  test('rotated signing keys open an info finding; validating the version again resolves it', async () => {
    idp.reconfigure({ kid: 'key-2', algs: ['RS256'] });
    const r = await run('acme');
    expect(kinds(r.open)).toEqual(['signing_keys_rotated:info']);
    const [rotated] = r.open as [Finding];
    expect(rotated.subject).toBe(idp.issuer);
    expect(rotated.evidence).toMatchObject({
      expected: ['key-1'],
      seen: ['key-2'],
      added: ['key-2'],
      removed: ['key-1'],
    });
    // seen again: still one finding, not two
    expect((await run('acme')).open.map((f) => f.id)).toEqual([rotated.id]);

    const events = await send(
      'GET',
      `/v1/audit-events?org=${acme.id}&action=finding.opened`,
      tenant.adminKey,
    );
    expect(events.statusCode, events.body).toBe(200);
    const opened = events.json().items.filter((e: { target: { id: string } }) => e.target.id === rotated.id);
    expect(opened).toHaveLength(1);
    expect(opened[0].actor).toMatchObject({ type: 'system' });

    expect((await send('POST', `/v1/orgs/acme/sso/versions/1/validate`, editor, {})).statusCode).toBe(200);
    expect((await run('acme')).open).toEqual([]);
    const resolved = (await send('GET', `/v1/orgs/acme/findings?state=resolved`, editor)).json()
      .items as Finding[];
    expect(resolved.find((f) => f.id === rotated.id)?.resolvedAt).toEqual(expect.any(String));
  });

  test('the version’s algorithm removed from the document: critical at once; restored: resolved', async () => {
    idp.reconfigure({ kid: 'key-2', algs: ['PS256'] });
    const r = await run('acme');
    expect(kinds(r.open)).toContain('alg_not_advertised:critical');
    const alg = r.open.find((f) => f.kind === 'alg_not_advertised') as Finding;
    expect(alg.summary).toContain('RS256');
    expect(alg.evidence).toMatchObject({ expected: 'RS256', version: 1 });

    idp.reconfigure({ kid: 'key-2', algs: ['RS256'] });
    expect((await run('acme')).open).toEqual([]);
  });

  test('a stopped IdP: nothing after one failing check, unreachable after the second; resolved when back', async () => {
    await idp.stop();
    const firstFailure = Date.now();
    expect((await run('acme')).open).toEqual([]);
    const second = await run('acme');
    expect(kinds(second.open)).toEqual(['idp_unreachable:critical']);
    const down = second.open[0] as Finding;
    expect(new Date(down.firstSeenAt).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(down.firstSeenAt).getTime()).toBeGreaterThanOrEqual(firstFailure - 1000);
    expect(down.evidence).toMatchObject({ failingRounds: 2 });

    await idp.start();
    expect((await run('acme')).open).toEqual([]);
  });
});

describe('a SAML certificate expiring', () => {
  test('20 days left: a warning; a new version with a fresh certificate resolves it once applied', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'saml-co');
    cognigy.addKey('cognigy-key-saml-co-0123456789', 'org-saml-co');
    expect(
      (
        await send('PUT', `/v1/orgs/saml-co/cognigy`, tenant.adminKey, {
          apiBase: cognigy.apiBase,
          apiKey: 'cognigy-key-saml-co-0123456789',
        })
      ).statusCode,
    ).toBe(200);
    const draft = await send('POST', `/v1/orgs/saml-co/sso/versions`, editor, {
      ...samlDraft({ idpCertificate: certificateExpiringIn(20) }),
      baseVersion: 0,
    });
    expect(draft.statusCode, draft.body).toBe(201);
    await approve('saml-co', 1);
    t.container.forwarder.start();
    const applied = async (n: number) =>
      (await send('GET', `/v1/orgs/saml-co/sso`, editor)).json().applied?.number === n;
    await waitFor('v1 applied', () => applied(1), 20_000);

    const r = await run('saml-co');
    expect(kinds(r.open)).toEqual(['saml_certificate_expiry:warning']);
    expect(r.open[0]?.evidence).toMatchObject({ stage: '30d', version: 1, roles: ['desired', 'applied'] });

    // a fresh certificate approved but not yet applied: the applied one still expires
    await t.container.forwarder.stop();
    const fresh = await send('POST', `/v1/orgs/saml-co/sso/versions`, editor, {
      ...samlDraft({ idpCertificate: certificateExpiringIn(400, 'idp.fresh.test') }),
      baseVersion: 1,
    });
    expect(fresh.statusCode, fresh.body).toBe(201);
    await approve('saml-co', 2);
    const pending = await run('saml-co');
    expect(kinds(pending.open)).toEqual(['saml_certificate_expiry:warning']);
    // the same finding, still about version 1 (the one Cognigy runs)
    expect(pending.open.map((f) => f.id)).toEqual(r.open.map((f) => f.id));
    expect(pending.open[0]?.evidence).toMatchObject({ version: 1 });

    t.container.forwarder.start();
    await waitFor('v2 applied', () => applied(2), 20_000);
    expect((await run('saml-co')).open).toEqual([]);
    expect(org.slug).toBe('saml-co');
  });
});

describe('who sees findings', () => {
  test('the tenant’s readers see them in /v1/findings, most severe first, with the org', async () => {
    const all = await send('GET', `/v1/findings?limit=200`, tenant.adminKey);
    expect(all.statusCode).toBe(200);
    const items = all.json().items as Finding[];
    expect(items.length).toBeGreaterThanOrEqual(4);
    const ranks = items.map((f) => ({ info: 1, warning: 2, critical: 3 })[f.severity] ?? 0);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(items.every((f) => f.org.slug === 'acme' || f.org.slug === 'saml-co')).toBe(true);
    const page = await send('GET', `/v1/findings?limit=2`, tenant.adminKey);
    const next = await send(
      'GET',
      `/v1/findings?limit=200&cursor=${page.json().nextCursor}`,
      tenant.adminKey,
    );
    expect([...page.json().items, ...next.json().items].map((f: Finding) => f.id)).toEqual(
      items.map((f) => f.id),
    );
  });

  test('another tenant sees none of them (empty list, 404 on the org)', async () => {
    const other = await createTenant(t.app);
    expect((await send('GET', `/v1/findings`, other.adminKey)).json().items).toEqual([]);
    expect((await send('GET', `/v1/orgs/${acme.id}/findings`, other.adminKey)).statusCode).toBe(404);
    expect((await send('POST', `/v1/orgs/${acme.id}/watch/run`, other.adminKey, {})).statusCode).toBe(404);
  });

  test('a key scoped to another org sees none of acme’s', async () => {
    const elsewhere = await createOrg(t.app, tenant.adminKey, 'elsewhere');
    const scoped = (await createKey(t.app, tenant.adminKey, ['auditor'], [elsewhere.id])).token;
    const items = (await send('GET', `/v1/findings?limit=200`, scoped)).json().items as Finding[];
    expect(items).toEqual([]);
    expect((await send('GET', `/v1/orgs/acme/findings`, scoped)).statusCode).toBe(404);
    expect((await send('GET', `/v1/findings?org=acme`, scoped)).statusCode).toBe(404);
  });

  test('an auditor may read but not run a check', async () => {
    const auditor = (await createKey(t.app, tenant.adminKey, ['auditor'])).token;
    expect((await send('GET', `/v1/orgs/acme/findings`, auditor)).statusCode).toBe(200);
    expect((await send('POST', `/v1/orgs/acme/watch/run`, auditor, {})).statusCode).toBe(403);
  });

  test('the metrics show open findings by kind and severity, and the issuer checks', async () => {
    await run('acme');
    idp.reconfigure({ kid: 'key-3', algs: ['RS256'] });
    await run('acme'); // rotated again: one open info finding
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/findings_open\{kind="signing_keys_rotated",severity="info"\} [1-9]/);
    expect(metrics).toMatch(/watch_issuer_checks_total\{outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/watch_issuer_checks_total\{outcome="unreadable"\} [1-9]/);
    expect(metrics).toContain('jobs_queue_depth');
  });

  test('no secret in any finding, audit event or log line; the chain verifies', async () => {
    const all = await send('GET', `/v1/findings?limit=200`, tenant.adminKey);
    const events = await send('GET', `/v1/audit-events?limit=200`, tenant.adminKey);
    for (const text of [all.body, events.body, t.logs.join('\n')]) {
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain('cognigy-key-saml-co-0123456789');
    }
    const verify = await send('GET', `/v1/audit-events/verify`, tenant.adminKey);
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true });
  });
});
