/**
 * Delivering: signatures a Standard Webhooks receiver accepts (both secrets during a rotation's
 * overlap; a tampered body or a stale timestamp refused), retries through receiver faults (500, 429
 * with Retry-After, a hang beyond the deadline, a connection reset) until delivered, every attempt
 * recorded; a refusal (400) fails at once; redirects to private or metadata addresses are refused by
 * the network policy before any connection.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bearer, createTenant, type TenantFixture, type TestApp } from '../../support/app.js';
import {
  startWebhookReceiver,
  verifiedBy,
  verifyWith,
  type WebhookReceiver,
} from '../../support/webhook-receiver.js';
import { addEndpoint, deliveriesOf, waitFor, webhookApp } from './webhook-support.js';

let t: TestApp;
let tenant: TenantFixture;
const receivers: WebhookReceiver[] = [];

const receiver = async () => {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
};
const ping = async (id: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${id}/test`,
    headers: bearer(tenant.adminKey),
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { deliveryId: string; eventId: string };
};
const rotate = async (id: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${id}/rotate-secret`,
    headers: bearer(tenant.adminKey),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { secret: string; webhook: { secret: Record<string, unknown> } };
};
const deliveryOf = async (endpointId: string, deliveryId: string) =>
  (await deliveriesOf(t, tenant.adminKey, endpointId)).find((d) => d.id === deliveryId);
const settled = (endpointId: string, deliveryId: string) => async () => {
  const d = await deliveryOf(endpointId, deliveryId);
  return d && d.state !== 'pending' ? d : undefined;
};

beforeAll(async () => {
  t = await webhookApp('webhook-delivery');
  tenant = await createTenant(t.app);
});
afterAll(async () => {
  await t?.close();
  for (const r of receivers) await r.close();
});

describe('signatures', () => {
  test('the standardwebhooks package verifies a delivery; a tampered body or a stale timestamp fails', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    const sent = await ping(hook.id);
    await waitFor('ping', () => r.received.length === 1);
    const got = r.received[0]!;
    expect(got.verifiedBy).toEqual([0]);
    expect(got.headers['webhook-id']).toBe(sent.eventId);
    expect(got.payload).toMatchObject({
      id: sent.eventId,
      type: 'webhook.test',
      data: { resource: { id: hook.id } },
    });
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    expect(verifyWith(hook.secret, got.body, headers)).toMatchObject({ type: 'webhook.test' });
    expect(() =>
      verifyWith(hook.secret, got.body.replace('webhook.test', 'webhook.tesT'), headers),
    ).toThrow();
    expect(() => verifyWith(hook.secret, `${got.body} `, headers)).toThrow();
    const stale = String(Number(headers['webhook-timestamp']) - 10 * 60);
    expect(() => verifyWith(hook.secret, got.body, { ...headers, 'webhook-timestamp': stale })).toThrow(
      /timestamp/i,
    );
    expect(() => verifyWith(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, got.body, headers)).toThrow();
  });

  test('after a rotation both the old and the new secret verify (two signatures) during the overlap', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    const { secret: fresh, webhook } = await rotate(hook.id);
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(hook.secret);
    expect(webhook.secret).toMatchObject({
      previousFingerprint: hook.fingerprint,
      previousExpiresAt: expect.any(String),
    });
    expect(webhook.secret.fingerprint).not.toBe(hook.fingerprint);
    r.secrets = [hook.secret, fresh];
    await ping(hook.id);
    await waitFor('ping', () => r.received.length === 1);
    const got = r.received[0]!;
    expect(got.verifiedBy).toEqual([0, 1]);
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // and a receiver that knows only one of them accepts it as well
    expect(verifiedBy([fresh], got.body, got.headers)).toEqual([0]);
    expect(verifiedBy([hook.secret], got.body, got.headers)).toEqual([0]);
    expect(verifiedBy([fresh], got.body.replace('"webhook.test"', '"webhook.pwned"'), got.headers)).toEqual(
      [],
    );
  });

  test('once the overlap is over only the new secret signs', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    const fresh = (await rotate(hook.id)).secret;
    await t.database.db
      .updateTable('webhook_endpoints')
      .set({ previous_secret_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', hook.id)
      .execute();
    r.secrets = [hook.secret, fresh];
    await ping(hook.id);
    await waitFor('ping', () => r.received.length === 1);
    expect(r.received[0]?.verifiedBy).toEqual([1]);
    expect(String(r.received[0]?.headers['webhook-signature']).split(' ')).toHaveLength(1);
    const view = await t.app.inject({
      method: 'GET',
      url: `/v1/webhooks/${hook.id}`,
      headers: bearer(tenant.adminKey),
    });
    expect(view.json().secret).toMatchObject({ previousFingerprint: null, previousExpiresAt: null });
  });
});

describe('receiver faults', () => {
  test('500, 429 with Retry-After, a hang beyond the deadline and a reset are retried until delivered', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    r.queueFaults(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429, retryAfter: '1' },
      { kind: 'hang', ms: 2500 },
      { kind: 'reset' },
    );
    const sent = await ping(hook.id);
    const d = await waitFor('delivered', settled(hook.id, sent.deliveryId), 30_000);
    expect(d.state).toBe('delivered');
    expect(r.received.map((x) => x.answer)).toEqual(['status', 'status', 'hang', 'reset', '204']);
    // the same event id every time: a receiver can de-duplicate by it
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([sent.eventId]));
    expect(r.received.every((x) => x.verifiedBy.length === 1)).toBe(true);
    const attempts = d.attempts as Array<Record<string, unknown>>;
    expect(attempts.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['retryable', 500],
      ['retryable', 429],
      ['retryable', null],
      ['retryable', null],
      ['delivered', 204],
    ]);
    expect(attempts[0]).toMatchObject({ error: 'HTTP 500', responseExcerpt: 'status 500' });
    expect(String(attempts[2]?.error)).toMatch(/time|deadline|1000 ms/i);
    expect(attempts[2]?.durationMs as number).toBeLessThan(2000);
    expect(String(attempts[3]?.error)).toMatch(/reset|closed|socket|network/i);
    // Retry-After: 1 was honoured (the backoff alone would be at most 400 ms)
    const at = r.received.map((x) => x.at);
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(950);
    expect(attempts[1]?.nextAttemptAt).not.toBeNull();
  });

  test('a refusal (400) fails at once, with a short excerpt of the answer only', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    r.queueFaults({ kind: 'status', status: 400, body: `bad\n${'x'.repeat(5000)}` });
    const sent = await ping(hook.id);
    const d = await waitFor('failed', settled(hook.id, sent.deliveryId));
    expect(d).toMatchObject({ state: 'failed', httpStatus: 400, error: 'HTTP 400', nextAttemptAt: null });
    const excerpt = (d.attempts as Array<{ responseExcerpt: string }>)[0]?.responseExcerpt ?? '';
    expect(excerpt.startsWith('bad x')).toBe(true);
    expect(excerpt.length).toBeLessThanOrEqual(256);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received).toHaveLength(1);
  });

  test('POST …/redeliver sends the event again as a new delivery with the same webhook-id', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    r.queueFaults({ kind: 'status', status: 410 });
    const sent = await ping(hook.id);
    await waitFor('failed', settled(hook.id, sent.deliveryId));
    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${hook.id}/deliveries/${sent.deliveryId}/redeliver`,
      headers: bearer(tenant.adminKey),
    });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ eventId: sent.eventId });
    const d = await waitFor('redelivered', settled(hook.id, again.json().deliveryId));
    expect(d.state).toBe('delivered');
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([sent.eventId, sent.eventId]);
    expect((await deliveryOf(hook.id, sent.deliveryId))?.state).toBe('failed');
  });
});

describe('the network policy at delivery', () => {
  test.each([
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/', /metadata/],
    ['a private address', 'http://10.1.2.3/hooks', /private/],
  ])(
    'a redirect to %s is refused before any connection; the delivery fails',
    async (_what, location, why) => {
      const r = await receiver();
      const hook = await addEndpoint(t, tenant.adminKey, r);
      r.queueFaults({ kind: 'redirect', location });
      const sent = await ping(hook.id);
      const d = await waitFor('failed', settled(hook.id, sent.deliveryId));
      expect(d.state).toBe('failed');
      expect(String(d.error)).toMatch(why);
      expect(r.received).toHaveLength(1);
    },
  );
});

describe('metrics', () => {
  test('/metrics counts attempts by outcome and shows the queue depth and the oldest undelivered delivery', async () => {
    const r = await receiver();
    const hook = await addEndpoint(t, tenant.adminKey, r);
    r.alwaysFail({ kind: 'status', status: 503 });
    await ping(hook.id);
    await waitFor('a failed attempt', () => r.received.length >= 1);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="delivered",status_class="2xx"\} [1-9]/);
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="retryable",status_class="5xx"\} [1-9]/);
    expect(metrics).toMatch(/webhook_delivery_duration_seconds_count\{status_class="2xx"\} [1-9]/);
    expect(metrics).toMatch(/^webhook_queue_depth [1-9]/m);
    expect(Number(/^webhook_oldest_undelivered_seconds (\S+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    r.alwaysFail(undefined);
  });
});
