/**
 * The endpoints of /v1/webhooks: the signing secret is shown once (and by an idempotent replay of
 * the same request, whose stored answer is sealed), afterwards only its fingerprint; changes are
 * validated and change nothing when refused; a disabled endpoint is not pinged; deleting an endpoint
 * deletes its deliveries and their jobs; lists page.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createTenant,
  createTestApp,
  expectProblem,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { snapshotDatabase } from '../../support/db-snapshot.js';

let t: TestApp;
let tenant: TenantFixture;

const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = {}) =>
  t.app.inject({
    method,
    url,
    headers: { ...bearer(tenant.adminKey), ...headers },
    ...(payload ? { payload } : {}),
  });
const create = async (body: object = {}) => {
  const res = await send('POST', '/v1/webhooks', { url: 'https://hooks.example.com/in', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { webhook: { id: string; url: string } & Record<string, unknown>; secret: string };
};

beforeAll(async () => {
  // no worker runs: deliveries stay pending
  t = await createTestApp({}, 'webhooks-api');
  tenant = await createTenant(t.app);
});
afterAll(async () => t?.close());

describe('creating', () => {
  test('answers 201 with the secret once; reads show only its fingerprint', async () => {
    const res = await send('POST', '/v1/webhooks', {
      url: 'https://Hooks.Example.com/path?team=ops',
      eventTypes: ['deployment.failed', 'finding.opened'],
      description: '  on-call  ',
    });
    expect(res.statusCode, res.body).toBe(201);
    const { webhook, secret } = res.json();
    expect(res.headers.location).toBe(`/v1/webhooks/${webhook.id}`);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook).toMatchObject({
      url: 'https://hooks.example.com/path?team=ops',
      eventTypes: ['deployment.failed', 'finding.opened'],
      description: 'on-call',
      enabled: true,
      disabledReason: null,
      failingSince: null,
      secret: { fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{32}$/), previousFingerprint: null },
    });
    const read = await send('GET', `/v1/webhooks/${webhook.id}`);
    expect(read.json()).toEqual(webhook);
    const list = await send('GET', '/v1/webhooks');
    expect(list.body).not.toContain(secret.slice(6));
    expect(read.body).not.toContain(secret.slice(6));
    const row = await t.database.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', webhook.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
  });

  test('a retry with the same Idempotency-Key returns the same answer (the stored answer is sealed)', async () => {
    const headers = { 'idempotency-key': `hook-${randomUUID()}` };
    const first = await send('POST', '/v1/webhooks', { url: 'https://hooks.example.com/idem' }, headers);
    const again = await send('POST', '/v1/webhooks', { url: 'https://hooks.example.com/idem' }, headers);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const stored = await t.database.pool.query(
      'SELECT row_to_json(r)::text AS row FROM idempotency_records r',
    );
    for (const { row } of stored.rows) expect(row).not.toContain(first.json().secret.slice(6));
    const count = await t.database.pool.query(
      "SELECT count(*)::int AS n FROM webhook_endpoints WHERE url = 'https://hooks.example.com/idem'",
    );
    expect(count.rows[0].n).toBe(1);
  });

  test.each([
    ['no url', {}, '/body/url'],
    [
      'an unknown event type',
      { url: 'https://hooks.example.com/', eventTypes: ['sso.version.deleted'] },
      '/body/eventTypes/0',
    ],
    [
      'a repeated event type',
      { url: 'https://hooks.example.com/', eventTypes: ['finding.opened', 'finding.opened'] },
      '/body/eventTypes',
    ],
    [
      'a description of 501 characters',
      { url: 'https://hooks.example.com/', description: 'x'.repeat(501) },
      '/body/description',
    ],
    ['enabled as a string', { url: 'https://hooks.example.com/', enabled: 'yes' }, '/body/enabled'],
    ['an unknown field', { url: 'https://hooks.example.com/', secret: 'whsec_mine' }, '/body/secret'],
  ])('%s is 400 pointing at it, and changes nothing', async (_what, body, pointer) => {
    const before = await snapshotDatabase(t.database.pool);
    const res = await send('POST', '/v1/webhooks', body);
    const problem = expectProblem(res, 400);
    expect(problem.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test.each([['not a url'], ['/relative/path'], ['https://hooks.example.com/#frag']])(
    'the URL %j is 400 WEBHOOK_URL_REFUSED',
    async (url) => {
      expectProblem(await send('POST', '/v1/webhooks', { url }), 400, 'WEBHOOK_URL_REFUSED');
    },
  );

  test('an editor, approver or auditor may not create one (403); an auditor may read', async () => {
    for (const role of ['editor', 'approver', 'auditor']) {
      const key = (await createKey(t.app, tenant.adminKey, [role])).token;
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: bearer(key),
        payload: { url: 'https://hooks.example.com/x' },
      });
      expectProblem(res, 403, 'AUTH_ROLE_REQUIRED');
    }
    const auditor = (await createKey(t.app, tenant.adminKey, ['auditor'])).token;
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bearer(auditor) })).statusCode,
    ).toBe(200);
  });
});

describe('changing', () => {
  test('PATCH changes only what it names; an empty body is 400', async () => {
    const { webhook } = await create({ description: 'a' });
    const res = await send('PATCH', `/v1/webhooks/${webhook.id}`, { eventTypes: ['webhook.disabled'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      description: 'a',
      eventTypes: ['webhook.disabled'],
      url: webhook.url,
      revision: 2,
    });
    expectProblem(await send('PATCH', `/v1/webhooks/${webhook.id}`, {}), 400, 'REQUEST_VALIDATION_FAILED');
  });

  test('the same values again change nothing and record nothing', async () => {
    const { webhook } = await create({ description: 'same' });
    const before = await snapshotDatabase(t.database.pool);
    const res = await send('PATCH', `/v1/webhooks/${webhook.id}`, { description: 'same' });
    expect(res.statusCode).toBe(200);
    expect(res.json().revision).toBe(1);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('a disabled endpoint is not pinged (409), nor redelivered to', async () => {
    const { webhook } = await create();
    const ping = await send('POST', `/v1/webhooks/${webhook.id}/test`);
    expect(ping.statusCode).toBe(202);
    expect((await send('PATCH', `/v1/webhooks/${webhook.id}`, { enabled: false })).statusCode).toBe(200);
    expectProblem(await send('POST', `/v1/webhooks/${webhook.id}/test`), 409, 'WEBHOOK_DISABLED');
    expectProblem(
      await send('POST', `/v1/webhooks/${webhook.id}/deliveries/${ping.json().deliveryId}/redeliver`),
      409,
      'WEBHOOK_DISABLED',
    );
  });

  test('a delivery of another endpoint, or none, is 404 WEBHOOK_DELIVERY_NOT_FOUND', async () => {
    const a = await create();
    const b = await create();
    const ping = await send('POST', `/v1/webhooks/${a.webhook.id}/test`);
    expectProblem(
      await send('POST', `/v1/webhooks/${b.webhook.id}/deliveries/${ping.json().deliveryId}/redeliver`),
      404,
      'WEBHOOK_DELIVERY_NOT_FOUND',
    );
    expectProblem(
      await send('POST', `/v1/webhooks/${a.webhook.id}/deliveries/${randomUUID()}/redeliver`),
      404,
      'WEBHOOK_DELIVERY_NOT_FOUND',
    );
  });

  test('an endpoint that does not exist is 404 WEBHOOK_NOT_FOUND for every operation', async () => {
    const id = randomUUID();
    for (const [method, url] of [
      ['GET', `/v1/webhooks/${id}`],
      ['DELETE', `/v1/webhooks/${id}`],
      ['POST', `/v1/webhooks/${id}/rotate-secret`],
      ['POST', `/v1/webhooks/${id}/test`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
    ] as const) {
      expectProblem(await send(method, url), 404, 'WEBHOOK_NOT_FOUND');
    }
    expectProblem(await send('PATCH', `/v1/webhooks/${id}`, { enabled: true }), 404, 'WEBHOOK_NOT_FOUND');
  });
});

describe('deleting', () => {
  test('deletes the endpoint with its deliveries and their pending jobs; 204', async () => {
    const { webhook } = await create();
    await send('POST', `/v1/webhooks/${webhook.id}/test`);
    await send('POST', `/v1/webhooks/${webhook.id}/test`);
    const deliveries = await t.database.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('endpoint_id', '=', webhook.id)
      .execute();
    expect(deliveries).toHaveLength(2);
    const res = await send('DELETE', `/v1/webhooks/${webhook.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const jobs = await t.database.db
      .selectFrom('jobs')
      .select('id')
      .where(
        'key',
        'in',
        deliveries.map((d) => d.id),
      )
      .execute();
    expect(jobs).toEqual([]);
    const left = await t.database.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('endpoint_id', '=', webhook.id)
      .execute();
    expect(left).toEqual([]);
    expectProblem(await send('GET', `/v1/webhooks/${webhook.id}`), 404, 'WEBHOOK_NOT_FOUND');
  });
});

describe('lists', () => {
  test('endpoints and deliveries page with a cursor, newest first', async () => {
    const other = await createTenant(t.app);
    const mine = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: bearer(other.adminKey),
        payload: { url: `https://hooks.example.com/${i}` },
      });
      mine.push(res.json().webhook.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await t.app.inject({
          method: 'GET',
          url: `/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          headers: bearer(other.adminKey),
        })
      ).json();
      seen.push(...page.items.map((w) => w.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...mine].reverse());
    for (let i = 0; i < 3; i += 1)
      await t.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${mine[0]}/test`,
        headers: bearer(other.adminKey),
      });
    const first = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${mine[0]}/deliveries?limit=2`,
        headers: bearer(other.adminKey),
      })
    ).json();
    expect(first.items).toHaveLength(2);
    expect(first.items[0]).toMatchObject({
      state: 'pending',
      eventType: 'webhook.test',
      attempts: [],
      httpStatus: null,
    });
    const rest = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${mine[0]}/deliveries?limit=2&cursor=${first.nextCursor}`,
        headers: bearer(other.adminKey),
      })
    ).json();
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    const pendingOnly = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${mine[0]}/deliveries?state=delivered`,
        headers: bearer(other.adminKey),
      })
    ).json();
    expect(pendingOnly.items).toEqual([]);
  });
});
