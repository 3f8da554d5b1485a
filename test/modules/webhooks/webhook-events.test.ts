/**
 * Each event type is delivered once per endpoint that wants it, for real changes made through the
 * API (drafts, approval, rejection, deployments succeeding and failing against a fake Cognigy, the
 * watch opening and resolving a finding); an endpoint that wants other types gets nothing of them, a
 * disabled endpoint and another tenant's endpoints get nothing. Every request is verified by the
 * `standardwebhooks` package; the payload names the event, tenant, org, resource and its API path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { samlDraft } from '../sso-versions/sso-support.js';
import { addEndpoint, waitFor, webhookApp } from './webhook-support.js';

let t: TestApp;
let fake: FakeCognigy;
let tenant: TenantFixture;
let other: TenantFixture;
let editor: string;
let approver: string;
const r: Record<'all' | 'some' | 'disabled' | 'otherTenant', WebhookReceiver> = {} as never;

const send = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: bearer(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

async function orgOnFake(slug: string, known: boolean) {
  const org = await createOrg(t.app, tenant.adminKey, slug);
  const apiKey = `cognigy-key-${slug}-0123456789abcdef`;
  if (known) fake.addKey(apiKey, org.id);
  const res = await send('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.adminKey, {
    apiBase: fake.apiBase,
    apiKey,
  });
  expect(res.statusCode, res.body).toBe(200);
  return { ...org, apiKey };
}

const types = (rec: WebhookReceiver) =>
  rec
    .verified()
    .map((x) => x.payload?.type)
    .sort();

beforeAll(async () => {
  fake = await startFakeCognigy();
  t = await webhookApp('webhook-events', {
    FORWARDING_POLL_MS: '50',
    FORWARDING_BACKOFF_BASE_MS: '20',
    FORWARDING_BACKOFF_MAX_MS: '200',
  });
  t.container.forwarder.start();
  tenant = await createTenant(t.app);
  other = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  for (const name of ['all', 'some', 'disabled', 'otherTenant'] as const)
    r[name] = await startWebhookReceiver();
  await addEndpoint(t, tenant.adminKey, r.all, { description: 'everything' });
  await addEndpoint(t, tenant.adminKey, r.some, {
    eventTypes: ['sso.version.approved', 'deployment.failed'],
  });
  await addEndpoint(t, tenant.adminKey, r.disabled, { enabled: false });
  await addEndpoint(t, other.adminKey, r.otherTenant);
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
  for (const rec of Object.values(r)) await rec?.close();
});

describe('events of real changes', () => {
  const orgs = {} as Record<'a' | 'b', { id: string; slug: string; apiKey: string }>;

  test('drafts, review, deployments and findings each reach every endpoint that wants them, once', async () => {
    orgs.a = await orgOnFake('hooks-a', true);
    orgs.b = await orgOnFake('hooks-b', false);
    // org a: v1 drafted and approved (deployed: succeeded), v2 drafted and rejected
    expect(
      (await send('POST', `/v1/orgs/${orgs.a.id}/sso/versions`, editor, { ...samlDraft(), baseVersion: 0 }))
        .statusCode,
    ).toBe(201);
    expect(
      (await send('POST', `/v1/orgs/${orgs.a.id}/sso/versions/1/approve`, approver, {})).statusCode,
    ).toBe(200);
    expect(
      (
        await send('POST', `/v1/orgs/${orgs.a.id}/sso/versions`, editor, {
          ...samlDraft({ idpIssuer: 'urn:v2' }),
          baseVersion: 1,
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await send('POST', `/v1/orgs/${orgs.a.id}/sso/versions/2/reject`, approver, { comment: 'not now' }))
        .statusCode,
    ).toBe(200);
    // org b: its Cognigy key is unknown to the fake: the deployment fails at once (401)
    expect(
      (await send('POST', `/v1/orgs/${orgs.b.id}/sso/versions`, editor, { ...samlDraft(), baseVersion: 0 }))
        .statusCode,
    ).toBe(201);
    expect(
      (await send('POST', `/v1/orgs/${orgs.b.id}/sso/versions/1/approve`, approver, {})).statusCode,
    ).toBe(200);
    const failed = await waitFor('b failed', async () => {
      const list = (await send('GET', `/v1/orgs/${orgs.b.id}/deployments`, editor)).json().items;
      return list.find((d: { state: string }) => d.state === 'failed');
    });
    // the watch opens a finding for it, and resolves it once a retry succeeded
    const run1 = (await send('POST', `/v1/orgs/${orgs.b.id}/watch/run`, editor)).json();
    // (the test SAML certificate runs out within 90 days: a second, informational finding)
    expect(run1.open.map((f: { kind: string }) => f.kind).sort()).toEqual([
      'delivery_failed',
      'saml_certificate_expiry',
    ]);
    fake.addKey(orgs.b.apiKey, orgs.b.id);
    expect(
      (await send('POST', `/v1/orgs/${orgs.b.id}/deployments/${failed.id}/retry`, approver, {})).statusCode,
    ).toBe(200);
    await waitFor(
      'b applied',
      async () => (await send('GET', `/v1/orgs/${orgs.b.id}/sso`, editor)).json().applied?.number === 1,
    );
    expect((await send('POST', `/v1/orgs/${orgs.b.id}/watch/run`, editor)).json().resolved).toBe(1);

    const expectedAll = [
      'deployment.failed',
      'deployment.succeeded',
      'deployment.succeeded',
      'finding.opened',
      'finding.opened',
      'finding.resolved',
      'sso.version.approved',
      'sso.version.approved',
      'sso.version.drafted',
      'sso.version.drafted',
      'sso.version.drafted',
      'sso.version.rejected',
    ];
    await waitFor(
      'all delivered',
      () => r.all.verified().length >= expectedAll.length && r.some.verified().length >= 3,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more arrives
    expect(types(r.all)).toEqual(expectedAll);
    expect(types(r.some)).toEqual(['deployment.failed', 'sso.version.approved', 'sso.version.approved']);
    expect(r.disabled.received).toHaveLength(0);
    expect(r.otherTenant.received).toHaveLength(0);
    // every request verified, none unverified; once per event per endpoint
    for (const rec of [r.all, r.some]) {
      expect(rec.received.every((x) => x.verifiedBy.length === 1)).toBe(true);
      const ids = rec.received.map((x) => x.headers['webhook-id']);
      expect(new Set(ids).size).toBe(ids.length);
    }
    // the same event carries the same id to every endpoint that gets it
    const approvedIds = (rec: WebhookReceiver) =>
      rec
        .verified()
        .filter((x) => x.payload?.type === 'sso.version.approved')
        .map((x) => x.payload?.id)
        .sort();
    expect(approvedIds(r.some)).toEqual(approvedIds(r.all));
  });

  test('a payload names the event, tenant, org, resource and its API path, and a sentence; never a secret', () => {
    const byType = (type: string) => r.all.verified().filter((x) => x.payload?.type === type);
    const drafted = byType('sso.version.drafted').find(
      (x) => (x.payload?.data.org as { slug: string } | undefined)?.slug === 'hooks-a',
    );
    expect(drafted?.payload).toMatchObject({
      id: drafted?.headers['webhook-id'],
      type: 'sso.version.drafted',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      data: {
        tenant: { id: tenant.id },
        org: { id: orgs.a?.id, slug: 'hooks-a' },
        resource: { type: 'sso_version', path: `/v1/orgs/${orgs.a?.id}/sso/versions/1` },
        summary: expect.stringContaining('Version 1 of hooks-a was drafted'),
        version: 1,
      },
    });
    const failed = byType('deployment.failed')[0]?.payload;
    expect(failed?.data).toMatchObject({
      org: { slug: 'hooks-b' },
      resource: {
        type: 'deployment',
        path: expect.stringMatching(new RegExp(`^/v1/orgs/${orgs.b?.id}/deployments/`)),
      },
      httpStatus: 401,
      summary: expect.stringContaining('failed (HTTP 401)'),
    });
    const opened = byType('finding.opened').find((x) => x.payload?.data.kind === 'delivery_failed')?.payload;
    expect(opened?.data).toMatchObject({
      resource: { type: 'finding', path: `/v1/orgs/${orgs.b?.id}/findings` },
      kind: 'delivery_failed',
      severity: 'critical',
      summary: expect.stringMatching(/^hooks-b: /),
    });
    const everything = r.all.received.map((x) => x.body).join('\n');
    for (const secretish of ['whsec_', 'hmac-sha256:', 'PRIVATE KEY', orgs.a?.apiKey, orgs.b?.apiKey]) {
      expect(everything).not.toContain(secretish);
    }
  });

  test('the deliveries list shows each delivery with its attempt: status, HTTP status, duration', async () => {
    const list = (await send('GET', '/v1/webhooks', tenant.adminKey)).json().items as Array<{
      id: string;
      url: string;
    }>;
    const all = list.find((w) => w.url === r.all.url);
    const deliveries = (
      await send('GET', `/v1/webhooks/${all?.id}/deliveries?limit=200`, tenant.adminKey)
    ).json().items;
    expect(deliveries).toHaveLength(12);
    for (const d of deliveries) {
      expect(d).toMatchObject({ state: 'delivered', httpStatus: 204, error: null, nextAttemptAt: null });
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]).toMatchObject({ number: 1, outcome: 'delivered', httpStatus: 204 });
      expect(typeof d.durationMs).toBe('number');
    }
  });
});
