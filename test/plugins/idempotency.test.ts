/**
 * Idempotency-Key on every POST (§3.1): a retry with the same key and body gets the first response
 * and changes nothing; another body with the same key is 422; keys belong to the API key that used
 * them; the kept response (which may hold a new API key) is sealed, never stored in plain text.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  expectProblem,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../support/app.js';
import { snapshotDatabase } from '../support/db-snapshot.js';
import { countRows as countWhere } from '../support/rows.js';

let t: TestApp;
let tenant: TenantFixture;
let counter = 0;
const freshKey = () => {
  counter += 1;
  return `idem-${counter}-${Math.random().toString(36).slice(2)}`;
};

function post(
  url: string,
  payload: object | string,
  idempotencyKey: string | undefined,
  key = tenant.adminKey,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url,
    headers: {
      ...bearer(key),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}),
    },
    payload,
  });
}

const replayed = (res: LightMyRequestResponse) => res.headers['idempotent-replayed'] === 'true';

/** The parts of a response a replay must reproduce exactly. */
const essence = (res: LightMyRequestResponse) => ({
  status: res.statusCode,
  body: res.body,
  location: res.headers.location,
  etag: res.headers.etag,
  contentType: res.headers['content-type'],
});

const countRows = async (table: string) =>
  Number((await t.database.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

beforeAll(async () => {
  t = await createTestApp({}, 'idempotency');
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

describe('a retry with the same key and body', () => {
  test('gets the first response (status, body, Location, ETag) marked idempotent-replayed and creates no second org', async () => {
    const key = freshKey();
    const first = await post('/v1/orgs', { slug: 'once', name: 'Once' }, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await snapshotDatabase(t.database.pool);
    const second = await post('/v1/orgs', { slug: 'once', name: 'Once' }, key);
    const third = await post('/v1/orgs', { slug: 'once', name: 'Once' }, key);
    for (const retry of [second, third]) {
      expect(replayed(retry)).toBe(true);
      expect(essence(retry)).toEqual(essence(first));
    }
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
    expect(await countWhere(t.database.db, 'orgs', { slug: 'once' })).toBe(1);
  });

  test('is recognised whatever the order of the body’s fields', async () => {
    const key = freshKey();
    const first = await post(
      '/v1/orgs',
      '{"slug":"ordered","name":"Ordered","labels":{"a":"1","b":"2"}}',
      key,
    );
    const second = await post(
      '/v1/orgs',
      '{"labels":{"b":"2","a":"1"},"name":"Ordered","slug":"ordered"}',
      key,
    );
    expect(first.statusCode).toBe(201);
    expect(replayed(second)).toBe(true);
    expect(second.body).toBe(first.body);
  });

  test('of an API key creation returns the same token, while the stored record holds it only sealed', async () => {
    const key = freshKey();
    const first = await post('/v1/api-keys', { name: 'ci', roles: ['editor'] }, key);
    expect(first.statusCode).toBe(201);
    const keysBefore = await countRows('api_keys');
    const second = await post('/v1/api-keys', { name: 'ci', roles: ['editor'] }, key);
    expect(replayed(second)).toBe(true);
    expect(second.json().token).toBe(first.json().token);
    expect(second.json().apiKey.id).toBe(first.json().apiKey.id);
    expect(await countRows('api_keys')).toBe(keysBefore);

    const token: string = first.json().token;
    const records = await t.database.pool.query<{ row: string; sealed: string | null }>(
      'SELECT to_jsonb(r)::text AS row, response_sealed AS sealed FROM idempotency_records r WHERE key = $1',
      [key],
    );
    expect(records.rows).toHaveLength(1);
    const record = records.rows[0] as { row: string; sealed: string | null };
    expect(record.sealed).toBeTruthy();
    for (const text of [token, token.slice(-43), Buffer.from(token).toString('base64')]) {
      expect(record.row).not.toContain(text);
    }
    const all = (await t.database.pool.query('SELECT to_jsonb(r)::text AS row FROM idempotency_records r'))
      .rows;
    expect(all.map((r) => r.row).join('\n')).not.toContain(token.slice(-43));
  });

  test('of a tenant creation returns the same tenant and first admin key', async () => {
    const key = freshKey();
    const payload = { slug: 'idem-tenant', name: 'Idem' };
    const first = await post('/v1/tenants', payload, key, PLATFORM_KEY);
    expect(first.statusCode).toBe(201);
    const tenantsBefore = await countRows('tenants');
    const second = await post('/v1/tenants', payload, key, PLATFORM_KEY);
    expect(replayed(second)).toBe(true);
    expect(essence(second)).toEqual(essence(first));
    expect(await countRows('tenants')).toBe(tenantsBefore);
  });

  test('after the first response was a 4xx, is answered with that 4xx again', async () => {
    const taken = await createOrg(t.app, tenant.adminKey, 'taken-slug');
    const key = freshKey();
    const first = await post('/v1/orgs', { slug: 'taken-slug', name: 'Clash' }, key);
    expectProblem(first, 409, 'ORG_SLUG_TAKEN');
    // The clash is gone now, but the retry still gets the first answer and creates nothing.
    await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${taken.id}`, headers: bearer(tenant.adminKey) });
    const orgsBefore = await countRows('orgs');
    const second = await post('/v1/orgs', { slug: 'taken-slug', name: 'Clash' }, key);
    expect(replayed(second)).toBe(true);
    expect(essence(second)).toEqual(essence(first));
    expect(await countRows('orgs')).toBe(orgsBefore);

    const expiryKey = freshKey();
    const payload = { name: 'old', roles: ['admin'], expiresAt: '2020-01-01T00:00:00Z' };
    const refused = await post('/v1/api-keys', payload, expiryKey);
    expectProblem(refused, 400, 'API_KEY_EXPIRY_INVALID');
    const again = await post('/v1/api-keys', payload, expiryKey);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(refused.body);
  });
});

describe('a request that ended without a kept response', () => {
  const record = async (key: string) =>
    (
      await t.database.pool.query<{ change_made_at: Date | null; completed_at: Date | null }>(
        'SELECT change_made_at, completed_at FROM idempotency_records WHERE key = $1',
        [key],
      )
    ).rows[0];
  /** As if the process died after the change committed and before the response was kept. */
  const loseResponse = (key: string, agoSeconds: number) =>
    t.database.pool.query(
      `UPDATE idempotency_records SET completed_at = NULL, status_code = NULL, master_key_id = NULL,
              response_sealed = NULL, created_at = now() - make_interval(secs => $2) WHERE key = $1`,
      [key, agoSeconds],
    );

  /** The key taken for POST /v1/orgs with `body`, as a request does before it runs; its record id. */
  const claim = async (key: string, body: object): Promise<string> => {
    const started = await t.container.idempotency.begin(
      tenant.adminKeyId,
      tenant.id,
      key,
      'POST',
      '/v1/orgs',
      body,
    );
    if (started.kind !== 'proceed') throw new Error('the key was not free');
    return started.recordId;
  };

  test('the record notes the change in the change’s transaction: set after a 201, not after a refused request', async () => {
    const made = freshKey();
    expect((await post('/v1/orgs', { slug: 'noted-change', name: 'Noted' }, made)).statusCode).toBe(201);
    expect(await record(made)).toMatchObject({
      change_made_at: expect.any(Date),
      completed_at: expect.any(Date),
    });
    const refused = freshKey();
    expectProblem(
      await post('/v1/orgs', { slug: 'noted-change', name: 'Again' }, refused),
      409,
      'ORG_SLUG_TAKEN',
    );
    expect(await record(refused)).toMatchObject({ change_made_at: null, completed_at: expect.any(Date) });
  });

  test('whose change was made: a retry is 409 IDEMPOTENCY_RESPONSE_LOST and makes nothing twice', async () => {
    const key = freshKey();
    const body = { slug: 'lost-response', name: 'Lost' };
    expect((await post('/v1/orgs', body, key)).statusCode).toBe(201);
    const orgs = await countRows('orgs');
    const events = await countRows('audit_events');
    // Within the takeover time the first request may still be running.
    await loseResponse(key, 5);
    expectProblem(await post('/v1/orgs', body, key), 409, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
    // Once it is past, the process that ran it is gone: the change stands, its answer is lost.
    await loseResponse(key, 61);
    const retry = await post('/v1/orgs', body, key);
    expectProblem(retry, 409, 'IDEMPOTENCY_RESPONSE_LOST');
    expect(retry.json().detail).toContain('read the resource');
    expect(await countRows('orgs')).toBe(orgs);
    expect(await countRows('audit_events')).toBe(events);
    // The same key with another body is still 422, not 409.
    expectProblem(await post('/v1/orgs', { ...body, name: 'Other' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  test('whose change was made before a 5xx: a retry is 409 IDEMPOTENCY_RESPONSE_LOST at once', async () => {
    const key = freshKey();
    const body = { slug: 'failed-after-commit', name: 'Failed' };
    const recordId = await claim(key, body);
    await t.database.pool.query('UPDATE idempotency_records SET change_made_at = now() WHERE id = $1', [
      recordId,
    ]);
    await t.container.idempotency.complete(recordId, { statusCode: 500, headers: {}, body: '' });
    expectProblem(await post('/v1/orgs', body, key), 409, 'IDEMPOTENCY_RESPONSE_LOST');
    expect(await countWhere(t.database.db, 'orgs', { slug: 'failed-after-commit' })).toBe(0);
  });

  test('whose change was not made (the process died first, or a 5xx): a retry runs', async () => {
    const died = freshKey();
    const body = { slug: 'died-before-commit', name: 'Died' };
    await claim(died, body);
    await loseResponse(died, 61);
    const retry = await post('/v1/orgs', body, died);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(replayed(retry)).toBe(false);

    const failed = freshKey();
    const failedBody = { slug: 'failed-before-commit', name: 'Failed' };
    const recordId = await claim(failed, failedBody);
    await t.container.idempotency.complete(recordId, { statusCode: 503, headers: {}, body: '' });
    expect(await record(failed)).toBeUndefined();
    expect((await post('/v1/orgs', failedBody, failed)).statusCode).toBe(201);
  });
});

describe('the same key with another request', () => {
  test('another body is 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const key = freshKey();
    expect((await post('/v1/orgs', { slug: 'first-body', name: 'First' }, key)).statusCode).toBe(201);
    const before = await snapshotDatabase(t.database.pool);
    const res = await post('/v1/orgs', { slug: 'second-body', name: 'Second' }, key);
    expectProblem(res, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(replayed(res)).toBe(false);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('another route is 422 too', async () => {
    const key = freshKey();
    expect((await post('/v1/orgs', { slug: 'route-one', name: 'One' }, key)).statusCode).toBe(201);
    expectProblem(
      await post('/v1/api-keys', { name: 'x', roles: ['admin'] }, key),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });
});

describe('keys belong to the API key that used them', () => {
  test('another key of the same tenant with the same Idempotency-Key runs normally', async () => {
    const key = freshKey();
    const second = await createKey(t.app, tenant.adminKey, ['admin']);
    const third = await createKey(t.app, tenant.adminKey, ['admin']);
    expect((await post('/v1/orgs', { slug: 'mine-first', name: 'Mine' }, key)).statusCode).toBe(201);
    // Another body is not a reuse (422) for another key: it is that key's own new request ...
    const different = await post('/v1/orgs', { slug: 'theirs-first', name: 'Theirs' }, key, second.token);
    expect(different.statusCode).toBe(201);
    expect(replayed(different)).toBe(false);
    // ... and the same body is not replayed for another key: it runs, and meets the slug clash.
    const same = await post('/v1/orgs', { slug: 'mine-first', name: 'Mine' }, key, third.token);
    expectProblem(same, 409, 'ORG_SLUG_TAKEN');
    expect(replayed(same)).toBe(false);
    expect(await countWhere(t.database.db, 'orgs', { slug: ['mine-first', 'theirs-first'] })).toBe(2);
  });

  test('a key of another tenant with the same Idempotency-Key and body gets its own result', async () => {
    const key = freshKey();
    const otherTenant = await createTenant(t.app);
    const mine = await post('/v1/orgs', { slug: 'cross', name: 'Cross' }, key);
    const theirs = await post('/v1/orgs', { slug: 'cross', name: 'Cross' }, key, otherTenant.adminKey);
    expect(mine.statusCode).toBe(201);
    expect(theirs.statusCode).toBe(201);
    expect(replayed(theirs)).toBe(false);
    expect(theirs.json().id).not.toBe(mine.json().id);
  });
});

describe('what is not deduplicated', () => {
  test('without Idempotency-Key, a repeated POST runs again', async () => {
    const first = await post('/v1/api-keys', { name: 'twice', roles: ['auditor'] }, undefined);
    const second = await post('/v1/api-keys', { name: 'twice', roles: ['auditor'] }, undefined);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json().token).not.toBe(first.json().token);
  });

  test('a request refused by schema validation does not use up the key', async () => {
    const key = freshKey();
    expectProblem(
      await post('/v1/orgs', { slug: 'Not A Slug', name: 'x' }, key),
      400,
      'REQUEST_VALIDATION_FAILED',
    );
    const res = await post('/v1/orgs', { slug: 'after-invalid', name: 'Valid' }, key);
    expect(res.statusCode).toBe(201);
    expect(replayed(res)).toBe(false);
  });

  test('a request refused by authentication does not use up the key', async () => {
    const key = freshKey();
    expectProblem(await post('/v1/orgs', { slug: 'unauth', name: 'x' }, key, 'wrong-key-wrong-key'), 401);
    expect((await post('/v1/orgs', { slug: 'unauth', name: 'x' }, key)).statusCode).toBe(201);
  });

  test('Idempotency-Key on PATCH is not recorded (PATCH is guarded by If-Match instead)', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'patched-idem');
    const key = freshKey();
    const patch = (name: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/v1/orgs/${org.id}`,
        headers: { ...bearer(tenant.adminKey), 'idempotency-key': key },
        payload: { name },
      });
    expect((await patch('One')).statusCode).toBe(200);
    const second = await patch('Two');
    expect(second.statusCode).toBe(200);
    expect(second.json().name).toBe('Two');
    expect(await countWhere(t.database.db, 'idempotency_records', { key })).toBe(0);
  });
});

describe('concurrent retries', () => {
  test('identical requests at once create one key: one 201, the rest replays or 409 IDEMPOTENCY_REQUEST_IN_PROGRESS', async () => {
    const key = freshKey();
    const before = await countRows('api_keys');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post('/v1/api-keys', { name: 'raced', roles: ['auditor'] }, key)),
    );
    expect(await countRows('api_keys')).toBe(before + 1);
    const created = results.filter((r) => r.statusCode === 201);
    const originals = created.filter((r) => !replayed(r));
    expect(originals).toHaveLength(1);
    const token = (originals[0] as LightMyRequestResponse).json().token;
    for (const r of created) expect(r.json().token).toBe(token);
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expectProblem(r, 409, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
      expect(r.headers['retry-after']).toBe('1');
    }
    const later = await post('/v1/api-keys', { name: 'raced', roles: ['auditor'] }, key);
    expect(replayed(later)).toBe(true);
    expect(later.json().token).toBe(token);
    expect(await countRows('api_keys')).toBe(before + 1);
  });

  test('identical org creations at once never create two orgs', async () => {
    const key = freshKey();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/orgs', { slug: 'raced-org', name: 'Raced' }, key)),
    );
    expect(await countWhere(t.database.db, 'orgs', { slug: 'raced-org' })).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.statusCode);
    expect(results.filter((r) => r.statusCode === 201 && !replayed(r))).toHaveLength(1);
  });
});

describe('expiry of kept responses', () => {
  test('after IDEMPOTENCY_TTL_SECONDS the same key runs as a new request', async () => {
    const short = await createTestApp({ IDEMPOTENCY_TTL_SECONDS: '1' }, 'idemttl');
    try {
      const owner = await createTenant(short.app);
      const send = () =>
        short.app.inject({
          method: 'POST',
          url: '/v1/api-keys',
          headers: { ...bearer(owner.adminKey), 'idempotency-key': 'ttl-key' },
          payload: { name: 'ttl', roles: ['auditor'] },
        });
      const first = await send();
      const replay = await send();
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json().token).toBe(first.json().token);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const fresh = await send();
      expect(fresh.statusCode).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(fresh.json().token).not.toBe(first.json().token);
    } finally {
      await short.close();
    }
  });

  test('expired records are deleted by the housekeeping timer, unexpired ones are kept', async () => {
    const short = await createTestApp({ IDEMPOTENCY_TTL_SECONDS: '1' }, 'idempurge');
    try {
      const owner = await createTenant(short.app);
      const post = (key: string) =>
        short.app.inject({
          method: 'POST',
          url: '/v1/api-keys',
          headers: { ...bearer(owner.adminKey), 'idempotency-key': key },
          payload: { name: key, roles: ['auditor'] },
        });
      await post('old-1');
      await post('old-2');
      const count = () => countWhere(short.database.db, 'idempotency_records');
      expect(await count()).toBe(2);
      // With a 1 s lifetime the timer runs every 100 ms: the two expire, then disappear.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await count()).toBe(0);
      await post('new-1');
      expect(await count()).toBe(1);
      expect(short.logs.some((l) => l.includes('idempotency: expired records deleted'))).toBe(true);
    } finally {
      await short.close();
    }
  });
});
