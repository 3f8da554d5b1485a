/** What the webhook tests share: an app whose webhook worker runs fast, and endpoint helpers. */
import { expect } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../../support/app.js';
import type { WebhookReceiver } from '../../support/webhook-receiver.js';

/** Settings that make retries and polls fast enough for a test. */
export const FAST_WEBHOOKS = {
  OUTBOUND_ALLOWLIST: '127.0.0.1',
  OUTBOUND_ALLOW_HTTP: 'true',
  JOBS_POLL_MS: '50',
  JOBS_LEASE_SECONDS: '5',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  WEBHOOK_TIMEOUT_MS: '1000',
  DB_POOL_MAX: '10',
};

export async function webhookApp(label: string, env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestApp({ ...FAST_WEBHOOKS, ...env }, label);
  t.container.webhookJobs.start();
  return t;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Creates an endpoint through the API and gives its secret to the receiver. */
export async function addEndpoint(
  t: TestApp,
  adminKey: string,
  receiver: WebhookReceiver,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string; fingerprint: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(adminKey),
    payload: { url: receiver.url, ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { webhook, secret } = res.json();
  receiver.secrets = [secret];
  return { id: webhook.id, secret, fingerprint: webhook.secret.fingerprint };
}

export const deliveriesOf = async (t: TestApp, adminKey: string, id: string) => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/v1/webhooks/${id}/deliveries`,
    headers: bearer(adminKey),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Array<Record<string, unknown> & { attempts: Array<Record<string, unknown>> }>;
};
