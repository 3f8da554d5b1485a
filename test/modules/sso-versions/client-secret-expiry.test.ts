/**
 * A client secret's expiry (issue 17): recorded with an OIDC version's secret, carried over with it,
 * replaced or cleared, shown wherever the secret's fingerprint is, diffed, copied by a rollback and
 * by a bulk draft, reported by the validation — and never part of the content hash or of anything
 * Cognigy receives. Against a real oidc-provider, with a fake Cognigy for the forwarding.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectProblem } from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import {
  CLIENT_SECRET,
  createSsoOrg,
  createSsoWorld,
  oidcDraft,
  type Send,
  type SsoWorld,
  samlDraft,
  sender,
} from './sso-support.js';

const LATER = '2031-06-30T00:00:00.000Z';
const OTHER = '2032-01-15T12:30:00.000Z';
const OTHER_SECRET = 'another-client-secret-0123456789';

let w: SsoWorld;
let send: Send;
let fake: FakeCognigy;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  w = await createSsoWorld('secret-expiry', {
    FORWARDING_POLL_MS: '50',
    FORWARDING_BACKOFF_BASE_MS: '20',
    FORWARDING_BACKOFF_MAX_MS: '200',
  });
  send = sender(w.t);
});
afterAll(async () => {
  await w?.close();
  await fake?.close();
});

/** Posts a draft based on the org's newest version; expects 201 and returns the version view. */
async function draft(orgId: string, base: number, body: Record<string, unknown>) {
  const res = await send('POST', `/v1/orgs/${orgId}/sso/versions`, w.editor, { ...body, baseVersion: base });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

interface Check {
  readonly name: string;
  readonly status: string;
  readonly message: string;
}
const checkNamed = (view: { validation: { checks: Check[] } }, name: string) =>
  view.validation.checks.find((c) => c.name === name);

const storedExpiry = async (orgId: string) =>
  (
    await w.t.database.pool.query<{ number: number; client_secret_expires_at: Date | null }>(
      'SELECT number, client_secret_expires_at FROM sso_versions WHERE org_id = $1 ORDER BY number',
      [orgId],
    )
  ).rows.map((r) => [r.number, r.client_secret_expires_at?.toISOString() ?? null]);

describe('recorded with the secret', () => {
  test('a draft’s expiry is stored, shown beside the fingerprint in every view, reported, and audited without the secret', async () => {
    const org = await createSsoOrg(w, 'exp-shown');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = await draft(org.id, 0, {
      ...oidcDraft(w.idp.issuer),
      idpClientSecretExpiresAt: '2031-06-30T02:00:00+02:00',
    });
    expect(v1.secrets.idpClientSecret).toEqual({
      fingerprint: expect.stringMatching(/^hmac-sha256:/),
      changedIn: 1,
      expiresAt: LATER,
    });
    expect(v1.content).not.toHaveProperty('idpClientSecretExpiresAt');
    expect(checkNamed(v1, 'client_secret_expiry')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining(`expires on ${LATER}`),
      details: { expiresAt: LATER },
    });
    expect(await storedExpiry(org.id)).toEqual([[1, LATER]]);

    expect((await send('GET', `${base}/1`, w.auditor)).json().secrets.idpClientSecret.expiresAt).toBe(LATER);
    const list = (await send('GET', base, w.auditor)).json();
    expect(list.items[0].secrets.idpClientSecret.expiresAt).toBe(LATER);

    const events = (
      await send('GET', `/v1/audit-events?org=${org.id}&action=sso_version.created`, w.auditor)
    ).json().items as { diff: { after: { secrets: { idpClientSecret: unknown } } } }[];
    expect(events).toHaveLength(1);
    expect(events[0]?.diff.after.secrets.idpClientSecret).toEqual(v1.secrets.idpClientSecret);
    expect(JSON.stringify(events)).not.toContain(CLIENT_SECRET);
  });

  test('a SAML or disabled version has no client secret, so no expiry: null in its view', async () => {
    const org = await createSsoOrg(w, 'exp-saml');
    const v1 = await draft(org.id, 0, samlDraft());
    expect(v1.secrets.idpClientSecret).toBeNull();
    expect(v1.secrets.decryptionPrivateKey).not.toHaveProperty('expiresAt');
    expect(checkNamed(v1, 'client_secret_expiry')).toBeUndefined();
  });

  test('without an expiry the view says null and the report has no expiry check', async () => {
    const org = await createSsoOrg(w, 'exp-none');
    const v1 = await draft(org.id, 0, oidcDraft(w.idp.issuer));
    expect(v1.secrets.idpClientSecret.expiresAt).toBeNull();
    expect(checkNamed(v1, 'client_secret_expiry')).toBeUndefined();
  });
});

describe('from one version to the next', () => {
  test('kept with a kept secret, replaced with a new secret, set or cleared on its own', async () => {
    const org = await createSsoOrg(w, 'exp-carry');
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: LATER });
    const fingerprint1 = v1.secrets.idpClientSecret.fingerprint;

    // secret omitted, expiry omitted: both carried over
    const { idpClientSecret: _secret, ...withoutSecret } = oidcDraft(w.idp.issuer);
    const v2 = await draft(org.id, 1, { ...withoutSecret, note: 'keep' });
    expect(v2.secrets.idpClientSecret).toEqual({ fingerprint: fingerprint1, changedIn: 1, expiresAt: LATER });

    // secret omitted, expiry given: the same secret with a new expiry
    const v3 = await draft(org.id, 2, { ...withoutSecret, idpClientSecretExpiresAt: OTHER });
    expect(v3.secrets.idpClientSecret).toEqual({ fingerprint: fingerprint1, changedIn: 1, expiresAt: OTHER });

    // secret omitted, expiry null: the same secret, no expiry
    const v4 = await draft(org.id, 3, { ...withoutSecret, idpClientSecretExpiresAt: null });
    expect(v4.secrets.idpClientSecret).toEqual({ fingerprint: fingerprint1, changedIn: 1, expiresAt: null });

    // back to a date, then a new secret without one: a new secret has none of the old one's expiry
    await draft(org.id, 4, { ...withoutSecret, idpClientSecretExpiresAt: LATER });
    const v6 = await draft(org.id, 5, { ...withoutSecret, idpClientSecret: OTHER_SECRET });
    expect(v6.secrets.idpClientSecret).toMatchObject({ changedIn: 6, expiresAt: null });
    expect(v6.secrets.idpClientSecret.fingerprint).not.toBe(fingerprint1);

    // a new secret with its expiry
    const v7 = await draft(org.id, 6, {
      ...withoutSecret,
      idpClientSecret: CLIENT_SECRET,
      idpClientSecretExpiresAt: OTHER,
    });
    expect(v7.secrets.idpClientSecret).toEqual({ fingerprint: fingerprint1, changedIn: 7, expiresAt: OTHER });

    expect(await storedExpiry(org.id)).toEqual([
      [1, LATER],
      [2, LATER],
      [3, OTHER],
      [4, null],
      [5, LATER],
      [6, null],
      [7, OTHER],
    ]);
  });

  test('the expiry is not part of the content hash; the diff names it as a field of its own', async () => {
    const org = await createSsoOrg(w, 'exp-hash');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: LATER });
    const v2 = await draft(org.id, 1, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: OTHER });
    const v3 = await draft(org.id, 2, oidcDraft(w.idp.issuer));
    expect(v2.contentHash).toBe(v1.contentHash);
    expect(v3.contentHash).toBe(v1.contentHash);

    const diff = (await send('GET', `${base}/2/diff?against=1`, w.auditor)).json();
    expect(diff).toMatchObject({
      equal: false,
      changes: [{ field: 'idpClientSecret.expiresAt', before: LATER, after: OTHER, secret: false }],
    });
    expect(diff.summary).toEqual(
      expect.arrayContaining([
        `idpClientSecret.expiresAt changed from ${LATER} to ${OTHER}.`,
        'v2 configures Cognigy exactly as v1 does: only the recorded expiry of a secret differs.',
      ]),
    );
    const cleared = (await send('GET', `${base}/3/diff?against=2`, w.auditor)).json();
    expect(cleared.changes).toEqual([
      { field: 'idpClientSecret.expiresAt', before: OTHER, after: null, secret: false },
    ]);
    expect(cleared.summary).toContain(`idpClientSecret.expiresAt removed (was ${OTHER}).`);
  });

  test('a rollback to version n copies n’s secret and its expiry', async () => {
    const org = await createSsoOrg(w, 'exp-rollback');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: LATER });
    await draft(org.id, 1, {
      ...oidcDraft(w.idp.issuer),
      idpClientSecret: OTHER_SECRET,
      idpClientSecretExpiresAt: OTHER,
    });
    const rolled = await send('POST', `${base}/1/rollback`, w.editor, {});
    expect(rolled.statusCode, rolled.body).toBe(201);
    expect(rolled.json()).toMatchObject({ number: 3, rollbackOf: 1, contentHash: v1.contentHash });
    expect(rolled.json().secrets.idpClientSecret).toEqual({
      fingerprint: v1.secrets.idpClientSecret.fingerprint,
      changedIn: 3,
      expiresAt: LATER,
    });
    expect(checkNamed(rolled.json(), 'client_secret_expiry')).toMatchObject({ status: 'pass' });
    expect((await send('GET', `${base}/3/diff?against=1`, w.auditor)).json()).toMatchObject({
      equal: true,
      changes: [],
    });
  });
});

describe('a date already past', () => {
  test('is accepted, and the report says the secret expired (a warning), never that it is valid', async () => {
    const org = await createSsoOrg(w, 'exp-past');
    const past = '2024-01-31T00:00:00.000Z';
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: past });
    expect(v1.secrets.idpClientSecret.expiresAt).toBe(past);
    const check = checkNamed(v1, 'client_secret_expiry');
    expect(check).toMatchObject({ status: 'warn', message: expect.stringContaining(`expired on ${past}`) });
    expect(check?.message).not.toMatch(/valid|expires in/);
    expect(v1.validation.status).not.toBe('pass');
    // validation run again reports it too
    const again = await send('POST', `/v1/orgs/${org.id}/sso/versions/1/validate`, w.editor, {});
    expect(again.statusCode, again.body).toBe(200);
    expect(checkNamed(again.json(), 'client_secret_expiry')).toMatchObject({ status: 'warn' });
  });

  test('a date within 30 days is a warning naming the days left', async () => {
    const org = await createSsoOrg(w, 'exp-soon');
    const soon = new Date(Date.now() + 10.5 * 86_400_000).toISOString();
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: soon });
    expect(checkNamed(v1, 'client_secret_expiry')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('in 10 days'),
    });
  });
});

describe('refused', () => {
  test.each([
    ['a SAML draft with an expiry', () => samlDraft({ idpClientSecretExpiresAt: LATER })],
    ['a SAML draft with a null expiry', () => samlDraft({ idpClientSecretExpiresAt: null })],
    ['a disabled draft with an expiry', () => ({ kind: 'disabled', idpClientSecretExpiresAt: LATER })],
    [
      'an expiry that is no date',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: 'soon' }),
    ],
    [
      'an expiry without a time zone',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: '2031-06-30T00:00:00' }),
    ],
    [
      'an expiry on 30 February',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: '2031-02-30T00:00:00Z' }),
    ],
    [
      'an expiry on a leap second',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: '2030-12-31T23:59:60Z' }),
    ],
    [
      'an expiry in year 0',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: '0000-06-30T00:00:00Z' }),
    ],
    [
      'an expiry that is a number',
      () => ({ ...oidcDraft('https://idp.example'), idpClientSecretExpiresAt: 1 }),
    ],
  ])('%s is 400 pointing at /body/idpClientSecretExpiresAt, and creates no version', async (_what, body) => {
    const org = await createSsoOrg(w, `exp-bad-${Math.random().toString(36).slice(2, 8)}`);
    const res = await send('POST', `/v1/orgs/${org.id}/sso/versions`, w.editor, {
      ...body(),
      baseVersion: 0,
    });
    const problem = expectProblem(res, 400) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toContain('/body/idpClientSecretExpiresAt');
    expect(await storedExpiry(org.id)).toEqual([]);
  });
});

describe('never sent to Cognigy', () => {
  test('neither the dry run nor the configure call the fake Cognigy receives carries the expiry', async () => {
    const org = await createSsoOrg(w, 'exp-forward');
    const apiKey = 'cognigy-key-expiry-0123456789abcdef';
    fake.addKey(apiKey, org.id);
    const target = await send('PUT', `/v1/orgs/${org.id}/cognigy`, w.tenant.adminKey, {
      apiBase: fake.apiBase,
      apiKey,
    });
    expect(target.statusCode, target.body).toBe(200);
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = await draft(org.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecretExpiresAt: LATER });

    const dry = await send('GET', `${base}/1/cognigy-request`, w.auditor);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().body).toMatchObject({
      idpType: 'oidc',
      idpClientSecret: `[masked ${v1.secrets.idpClientSecret.fingerprint}]`,
    });
    expect(dry.body).not.toMatch(/expires|2031-06-30/i);

    w.t.container.forwarder.start();
    const approved = await send('POST', `${base}/1/approve`, w.approver, {});
    expect(approved.statusCode, approved.body).toBe(200);
    // The fake answers this call 400 (like Cognigy, it refuses a loopback issuer): what matters
    // here is the body it received.
    const until = Date.now() + 20_000;
    const received = () => fake.received.find((r) => r.organisation === org.id);
    while (!received()) {
      if (Date.now() > until) throw new Error('the fake Cognigy was never called');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const call = received();
    expect(call?.path).toBe('/new/v2.0/identityprovider/configure');
    expect(call?.body).toMatchObject({ idpType: 'oidc', idpClientSecret: CLIENT_SECRET });
    expect(JSON.stringify(call?.body)).not.toMatch(/expires|2031-06-30/i);
  });
});

describe('bulk drafts', () => {
  test('an expiry alone is a change (drafted, not skipped); each org keeps its own secret', async () => {
    const a = await createSsoOrg(w, 'exp-bulk-a', { wave: 'exp-bulk' });
    const b = await createSsoOrg(w, 'exp-bulk-b', { wave: 'exp-bulk' });
    const va = await draft(a.id, 0, oidcDraft(w.idp.issuer));
    const vb = await draft(b.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecret: OTHER_SECRET });
    const res = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { labels: { wave: 'exp-bulk' } },
      change: { idpClientSecretExpiresAt: LATER },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().summary).toMatchObject({ selected: 2, succeeded: 2, skipped: 0, failed: 0 });
    for (const [org, v1] of [
      [a, va],
      [b, vb],
    ] as const) {
      const v2 = (await send('GET', `/v1/orgs/${org.id}/sso/versions/2`, w.auditor)).json();
      expect(v2.secrets.idpClientSecret).toEqual({ ...v1.secrets.idpClientSecret, expiresAt: LATER });
      expect(v2.contentHash).toBe(v1.contentHash);
    }
    // the same change again: nothing to do
    const again = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { labels: { wave: 'exp-bulk' } },
      change: { idpClientSecretExpiresAt: LATER },
    });
    expect(again.json().summary).toMatchObject({ selected: 2, skipped: 2 });
  });

  test('a new client secret alone is a change (a rotation); the secret an org holds already is not', async () => {
    const a = await createSsoOrg(w, 'rot-bulk-a', { wave: 'rot-bulk' });
    const b = await createSsoOrg(w, 'rot-bulk-b', { wave: 'rot-bulk' });
    const va = await draft(a.id, 0, oidcDraft(w.idp.issuer));
    await draft(b.id, 0, { ...oidcDraft(w.idp.issuer), idpClientSecret: OTHER_SECRET });
    // b already holds OTHER_SECRET: skipped; a gets a v2 whose secret changed in v2, content as before
    const rotated = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { labels: { wave: 'rot-bulk' } },
      change: { idpClientSecret: OTHER_SECRET },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.body).not.toContain(OTHER_SECRET);
    expect(rotated.json().summary).toMatchObject({ selected: 2, succeeded: 1, skipped: 1, failed: 0 });
    const outcomes = Object.fromEntries(
      rotated.json().results.map((r: { org: { slug: string }; outcome: string }) => [r.org.slug, r.outcome]),
    );
    expect(outcomes).toEqual({ 'rot-bulk-a': 'created', 'rot-bulk-b': 'skipped' });
    const v2 = (await send('GET', `/v1/orgs/${a.id}/sso/versions/2`, w.auditor)).json();
    expect(v2.secrets.idpClientSecret.changedIn).toBe(2);
    expect(v2.secrets.idpClientSecret.fingerprint).not.toBe(va.secrets.idpClientSecret.fingerprint);
    expect(v2.content).toEqual(va.content);
    // the same rotation again: both hold it now
    const again = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { labels: { wave: 'rot-bulk' } },
      change: { idpClientSecret: OTHER_SECRET },
    });
    expect(again.json().summary).toMatchObject({ selected: 2, succeeded: 0, skipped: 2 });
  });

  test('an expiry for a SAML org fails that org, pointing at the field', async () => {
    const org = await createSsoOrg(w, 'exp-bulk-saml');
    await draft(org.id, 0, samlDraft());
    const res = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { orgs: [org.slug] },
      change: { idpClientSecretExpiresAt: LATER },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().results[0]).toMatchObject({ outcome: 'failed', version: null });
    expect(res.json().results[0].problem.errors.map((e: { pointer: string }) => e.pointer)).toContain(
      '/change/idpClientSecretExpiresAt',
    );
    const bad = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { orgs: [org.slug] },
      change: { idpClientSecretExpiresAt: 'next year' },
    });
    const problem = expectProblem(bad, 400) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toContain('/body/change/idpClientSecretExpiresAt');
  });
});
