/**
 * The watch's opt-in credential probe and client-secret expiry, against a real oidc-provider over
 * HTTPS: off by default (no token request), turned on by an admin (audited), rate-limited per org,
 * `credential_rejected` when the IdP no longer accepts the secret and resolved when it does again;
 * a client secret recorded as expiring in 10 days is a warning, a new secret with a later date
 * resolves it.
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
import { CLIENT_SECRET, loopbackFetch } from '../discovery/idp-servers.js';
import { oidcDraft } from '../sso-versions/sso-support.js';
import { type ControlledIdp, startControlledIdp } from './watch-support.js';

let t: TestApp;
let idp: ControlledIdp;
let tenant: TenantFixture;
let editor: string;
let approver: string;

const send = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
const run = async (org: string) => {
  const res = await send('POST', `/v1/orgs/${org}/watch/run`, editor, {});
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().open as { kind: string; severity: string; subject: string }[]).map(
    (f) => `${f.kind}:${f.severity}`,
  );
};
/**
 * The probe's interval (an hour here) passes: its last probe moved back by it. Not slept through: a
 * loaded machine could stretch a run past a short interval, making a probe due that the test says is not.
 */
const intervalPasses = (org: string) =>
  t.database.pool.query(
    `UPDATE watch_settings SET last_probed_at = last_probed_at - interval '3601 seconds'
      WHERE org_id = (SELECT id FROM orgs WHERE slug = $1)`,
    [org],
  );

beforeAll(async () => {
  idp = await startControlledIdp({ kid: 'probe-1', algs: ['RS256'] });
  t = await createTestApp(
    { OUTBOUND_ALLOWLIST: '127.0.0.1', WATCH_PROBE_INTERVAL_SECONDS: '3600' },
    'watch-probe',
    {
      outbound: loopbackFetch(),
    },
  );
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
});

afterAll(async () => {
  await t?.close();
  await idp?.close();
});

async function orgWithVersion(slug: string, extra: Record<string, unknown> = {}) {
  const org = await createOrg(t.app, tenant.adminKey, slug);
  const draft = await send('POST', `/v1/orgs/${slug}/sso/versions`, editor, {
    ...oidcDraft(idp.issuer),
    ...extra,
    baseVersion: 0,
  });
  expect(draft.statusCode, draft.body).toBe(201);
  expect((await send('POST', `/v1/orgs/${slug}/sso/versions/1/approve`, approver, {})).statusCode).toBe(200);
  return org;
}

describe('the credential probe', () => {
  test('off by default: a check sends no token request', async () => {
    await orgWithVersion('probe-off');
    expect((await send('GET', '/v1/orgs/probe-off/watch', editor)).json()).toMatchObject({
      credentialProbe: false,
      lastProbedAt: null,
    });
    const before = idp.served.token;
    expect(await run('probe-off')).toEqual([]);
    expect(idp.served.token).toBe(before);
  });

  test('an editor may not turn it on; an admin may, and it is audited', async () => {
    const org = await orgWithVersion('probe-on');
    expect((await send('PUT', '/v1/orgs/probe-on/watch', editor, { credentialProbe: true })).statusCode).toBe(
      403,
    );
    const put = await send('PUT', '/v1/orgs/probe-on/watch', tenant.adminKey, { credentialProbe: true });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ credentialProbe: true, probeIntervalSeconds: 3600 });
    const events = await send(
      'GET',
      `/v1/audit-events?org=${org.id}&action=org.watch_changed`,
      tenant.adminKey,
    );
    expect(events.json().items).toHaveLength(1);
    expect(events.json().items[0].diff).toEqual({
      before: { credentialProbe: false },
      after: { credentialProbe: true },
    });
    // the same setting again changes nothing and records nothing
    await send('PUT', '/v1/orgs/probe-on/watch', tenant.adminKey, { credentialProbe: true });
    expect(
      (await send('GET', `/v1/audit-events?org=${org.id}&action=org.watch_changed`, tenant.adminKey)).json()
        .items,
    ).toHaveLength(1);
    expect(
      (await send('PUT', '/v1/orgs/probe-on/watch', tenant.adminKey, { credentialProbe: 'yes' })).statusCode,
    ).toBe(400);
  });

  test('accepted: nothing; rejected: critical; at most once per interval; accepted again: resolved', async () => {
    let before = idp.served.token;
    expect(await run('probe-on')).toEqual([]);
    expect(idp.served.token - before).toBe(1);
    // within the interval: no second probe
    before = idp.served.token;
    await run('probe-on');
    expect(idp.served.token - before).toBe(0);

    idp.reconfigure({ kid: 'probe-1', algs: ['RS256'], clientSecret: 'rotated-at-the-idp-0123456789abcdef' });
    await intervalPasses('probe-on');
    expect(await run('probe-on')).toEqual(['credential_rejected:critical']);
    const findings = await send('GET', '/v1/orgs/probe-on/findings', tenant.adminKey);
    expect(findings.body).not.toContain(CLIENT_SECRET);

    idp.reconfigure({ kid: 'probe-1', algs: ['RS256'] });
    // not due yet: the finding stays open (a check without a probe decides nothing about it)
    expect(await run('probe-on')).toEqual(['credential_rejected:critical']);
    await intervalPasses('probe-on');
    expect(await run('probe-on')).toEqual([]);
    expect(t.logs.join('\n')).not.toContain(CLIENT_SECRET);
  });
});

describe('client secret expiry', () => {
  test('10 days left: a warning; a new secret expiring later resolves it', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await orgWithVersion('secret-soon', { idpClientSecretExpiresAt: soon });
    const open = await send('POST', '/v1/orgs/secret-soon/watch/run', editor, {});
    expect(open.json().open).toMatchObject([
      {
        kind: 'client_secret_expiry',
        subject: 'client-secret-of-v1',
        severity: 'warning',
        evidence: { stage: '30d', expiresAt: soon, setInVersion: 1 },
      },
    ]);
    expect(open.body).not.toContain(CLIENT_SECRET);

    const later = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const v2 = await send('POST', '/v1/orgs/secret-soon/sso/versions', editor, {
      ...oidcDraft(idp.issuer),
      idpClientSecretExpiresAt: later,
      baseVersion: 1,
    });
    expect(v2.statusCode, v2.body).toBe(201);
    expect((await send('POST', '/v1/orgs/secret-soon/sso/versions/2/approve', approver, {})).statusCode).toBe(
      200,
    );
    // version 1 is neither desired nor applied any more (nothing was forwarded): resolved
    expect(await run('secret-soon')).toEqual([]);
  });
});
