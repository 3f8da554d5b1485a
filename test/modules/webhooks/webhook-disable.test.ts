/**
 * An endpoint that keeps failing is retried only for the retry window, and disabled once it has been
 * failing for longer than the disable time (here: 2 s and 1 s): an audit event of the system actor,
 * and a `webhook.disabled` event to the tenant's other endpoints. Enabling it again clears its record.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bearer, createTenant, type TenantFixture, type TestApp } from '../../support/app.js';
import { chainOf } from '../../support/audit.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { addEndpoint, deliveriesOf, waitFor, webhookApp } from './webhook-support.js';

let t: TestApp;
let tenant: TenantFixture;
let failing: WebhookReceiver;
let healthy: WebhookReceiver;

beforeAll(async () => {
  t = await webhookApp('webhook-disable', {
    WEBHOOK_RETRY_SECONDS: '3',
    WEBHOOK_DISABLE_AFTER_SECONDS: '1',
    WEBHOOK_BACKOFF_BASE_MS: '100',
    WEBHOOK_BACKOFF_MAX_MS: '300',
  });
  tenant = await createTenant(t.app);
  failing = await startWebhookReceiver();
  healthy = await startWebhookReceiver();
});
afterAll(async () => {
  await t?.close();
  await failing?.close();
  await healthy?.close();
});

describe('an endpoint failing for too long', () => {
  test('is disabled, audited, announced to the other endpoints; its delivery gives up after the window', async () => {
    const bad = await addEndpoint(t, tenant.adminKey, failing);
    await addEndpoint(t, tenant.adminKey, healthy, { eventTypes: ['webhook.disabled'] });
    failing.alwaysFail({ kind: 'status', status: 503 });
    const ping = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${bad.id}/test`,
      headers: bearer(tenant.adminKey),
    });
    expect(ping.statusCode).toBe(202);
    const announced = await waitFor('webhook.disabled delivered', () =>
      healthy.verified().find((x) => x.payload?.type === 'webhook.disabled'),
    );
    expect(announced.payload?.data).toMatchObject({
      resource: { type: 'webhook', id: bad.id, path: `/v1/webhooks/${bad.id}` },
      org: null,
      summary: expect.stringContaining(failing.url),
    });
    const view = (
      await t.app.inject({ method: 'GET', url: `/v1/webhooks/${bad.id}`, headers: bearer(tenant.adminKey) })
    ).json();
    expect(view).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/failed since/) });
    const events = (await chainOf(t.database.pool, tenant.id)).filter((e) => e.action === 'webhook.disabled');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: null, actor_name: 'system (webhooks)', target_id: bad.id });
    // its delivery is not sent any more: failed (no attempt after the endpoint was disabled)
    const d = await waitFor('given up', async () => {
      const [only] = await deliveriesOf(t, tenant.adminKey, bad.id);
      return only?.state === 'failed' ? only : undefined;
    });
    const attempts = failing.received.length;
    expect(attempts).toBeGreaterThan(1);
    expect(d.attempts).toHaveLength(attempts);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(failing.received).toHaveLength(attempts);
    // only one announcement, however many failures followed
    expect(healthy.verified().filter((x) => x.payload?.type === 'webhook.disabled')).toHaveLength(1);
  });

  test('enabling it again clears the failure record', async () => {
    const list = (
      await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bearer(tenant.adminKey) })
    ).json().items;
    const bad = list.find((w: { url: string }) => w.url === failing.url);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${bad.id}`,
      headers: bearer(tenant.adminKey),
      payload: { enabled: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
  });
});

describe('the retry window', () => {
  test('a delivery that keeps failing is given up once the window has passed', async () => {
    const r = await startWebhookReceiver();
    try {
      r.alwaysFail({ kind: 'status', status: 500 });
      const t2 = await webhookApp('webhook-window', {
        WEBHOOK_RETRY_SECONDS: '1',
        WEBHOOK_BACKOFF_BASE_MS: '100',
        WEBHOOK_BACKOFF_MAX_MS: '200',
      });
      try {
        const other = await createTenant(t2.app);
        const hook = await addEndpoint(t2, other.adminKey, r);
        await t2.app.inject({
          method: 'POST',
          url: `/v1/webhooks/${hook.id}/test`,
          headers: bearer(other.adminKey),
        });
        const d = await waitFor('given up', async () => {
          const [only] = await deliveriesOf(t2, other.adminKey, hook.id);
          return only?.state === 'failed' ? only : undefined;
        });
        expect(String(d.error)).toMatch(/given up/);
        expect(d.nextAttemptAt).toBeNull();
        // the endpoint was not failing for longer than 3 days: still enabled
        const view = (
          await t2.app.inject({
            method: 'GET',
            url: `/v1/webhooks/${hook.id}`,
            headers: bearer(other.adminKey),
          })
        ).json();
        expect(view.enabled).toBe(true);
        expect(view.failingSince).not.toBeNull();
      } finally {
        await t2.close();
      }
    } finally {
      await r.close();
    }
  });
});
