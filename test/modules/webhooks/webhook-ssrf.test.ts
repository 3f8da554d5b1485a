/**
 * SSRF (issue 18, §8): without an allow-list, endpoints at 127.0.0.1, in 10/8, at the metadata
 * service 169.254.169.254 (and their IPv4-mapped forms), or named localhost are refused when created
 * or changed, and nothing is written; an endpoint whose name resolves to loopback by the time of
 * delivery is refused by the network policy before any connection is made.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bearer, createTenant, expectProblem, type TenantFixture, type TestApp } from '../../support/app.js';
import { snapshotDatabase } from '../../support/db-snapshot.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { deliveriesOf, waitFor, webhookApp } from './webhook-support.js';

let t: TestApp;
let tenant: TenantFixture;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // http allowed (the receiver is plain http), but no allow-list: loopback is refused like any private address
  t = await webhookApp('webhook-ssrf', { OUTBOUND_ALLOWLIST: '' });
  tenant = await createTenant(t.app);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

describe('refused when created or changed', () => {
  test.each([
    ['loopback', () => receiver.url, /loopback/],
    ['loopback, https', () => 'https://127.0.0.1/hooks', /loopback/],
    ['10/8', () => 'https://10.20.30.40/hooks', /private/],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/', /metadata/],
    ['an IPv4-mapped loopback', () => 'https://[::ffff:127.0.0.1]/hooks', /loopback/],
    ['localhost', () => `http://localhost:${receiver.port}/hooks`, /local name/],
    ['a user name and password', () => 'https://user:pw@hooks.example.com/', /user name or password/],
    ['another scheme', () => 'ftp://hooks.example.com/', /not allowed|only https/],
  ])('%s is 400 WEBHOOK_URL_REFUSED and changes nothing', async (_what, url, why) => {
    const before = await snapshotDatabase(t.database.pool);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(tenant.adminKey),
      payload: { url: url() },
    });
    const body = expectProblem(res, 400, 'WEBHOOK_URL_REFUSED');
    expect(body.errors).toEqual([{ pointer: '/body/url', detail: expect.stringMatching(why) }]);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('changing a public endpoint to the metadata service is refused as well', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(tenant.adminKey),
      payload: { url: 'https://hooks.example.com/in' },
    });
    expect(created.statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${created.json().webhook.id}`,
      headers: bearer(tenant.adminKey),
      payload: { url: 'http://169.254.169.254/' },
    });
    expectProblem(res, 400, 'WEBHOOK_URL_REFUSED');
  });
});

describe('refused at delivery', () => {
  test('a name that resolves to loopback is refused by the network policy; no connection is made', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(tenant.adminKey),
      payload: { url: 'https://hooks.example.com/in' },
    });
    const id = created.json().webhook.id as string;
    // The name now points at this machine (DNS changed after the endpoint was checked).
    await t.database.db
      .updateTable('webhook_endpoints')
      .set({ url: `http://localhost:${receiver.port}/hooks` })
      .where('id', '=', id)
      .execute();
    const ping = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/test`,
      headers: bearer(tenant.adminKey),
    });
    expect(ping.statusCode).toBe(202);
    const d = await waitFor('settled', async () => {
      const found = (await deliveriesOf(t, tenant.adminKey, id)).find((x) => x.id === ping.json().deliveryId);
      return found?.state === 'pending' ? undefined : found;
    });
    expect(d.state).toBe('failed');
    expect(String(d.error)).toMatch(/loopback/);
    expect(d.attempts).toHaveLength(1);
    expect(receiver.connections).toBe(0);
  });
});
