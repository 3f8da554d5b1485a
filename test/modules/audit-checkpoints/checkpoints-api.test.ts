/**
 * Signed checkpoints through the API: written on demand (with their audit event, which the signed
 * head includes), listed per chain with a cursor and as NDJSON, their public keys as a public JWKS,
 * checked by verify; sent to webhook endpoints that want `audit.checkpoint`, signed; the tables
 * append-only; the private key never in a response, a log line, an audit event or a webhook.
 */
import { createPublicKey, verify } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkpointMessage } from '../../../src/modules/audit-checkpoints/checkpoint.js';
import { parseSigningKey } from '../../../src/modules/crypto/signing-key.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  expectProblem,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { addEndpoint, waitFor, webhookApp } from '../webhooks/webhook-support.js';

const SEED = Buffer.alloc(32, 42);
const SIGNING_KEY = SEED.toString('base64');
const KID = parseSigningKey(SIGNING_KEY).kid;

let t: TestApp;
let tenant: TenantFixture;
let other: TenantFixture;
let auditor: string;
let receiver: WebhookReceiver;

const call = (method: 'GET' | 'POST', url: string, key?: string) =>
  t.app.inject({ method, url, headers: key ? bearer(key) : {} });

/** Verifies a checkpoint with the JWKS the API publishes (as an outsider would). */
async function holds(c: Record<string, unknown>) {
  const jwks = (await call('GET', '/v1/audit-events/checkpoint-keys')).json() as {
    keys: Array<{ kid: string; x: string }>;
  };
  const jwk = jwks.keys.find((k) => k.kid === c.keyId);
  if (!jwk) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  return verify(null, checkpointMessage(c as never), key, Buffer.from(String(c.signature), 'base64url'));
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  t = await webhookApp('checkpoints-api', { AUDIT_SIGNING_KEY: SIGNING_KEY });
  tenant = await createTenant(t.app);
  other = await createTenant(t.app);
  auditor = (await createKey(t.app, tenant.adminKey, ['auditor'])).token;
  await createOrg(t.app, tenant.adminKey, 'first');
  await addEndpoint(t, tenant.adminKey, receiver, { eventTypes: ['audit.checkpoint'] });
});

afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

describe('POST /v1/audit-events/checkpoints', () => {
  test('an auditor signs the chain’s head, which is the checkpoint’s own audit event', async () => {
    const res = await call('POST', '/v1/audit-events/checkpoints', auditor);
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ chain: tenant.id, keyId: KID });
    const head = (await call('GET', '/v1/audit-events?limit=1', auditor)).json().items[0];
    expect(head).toMatchObject({ action: 'audit.checkpointed', seq: c.seq, hash: c.hash });
    expect(head.diff.after).toEqual({ keyId: KID, reason: 'request' });
    expect(await holds(c)).toBe(true);
    const verified = (await call('GET', '/v1/audit-events/verify', auditor)).json();
    expect(verified).toMatchObject({ ok: true, chain: tenant.id, checkpoints: { problemCount: 0 } });
    expect(verified.checkpoints.newestSigned).toMatchObject({ seq: c.seq, keyId: KID });
  });

  test('the platform key signs the platform’s chain; a tenant key never does', async () => {
    const res = await call('POST', '/v1/audit-events/checkpoints', PLATFORM_KEY);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().chain).toBe('platform');
    const verified = (await call('GET', '/v1/audit-events/verify', PLATFORM_KEY)).json();
    expect(verified).toMatchObject({ ok: true, chain: 'platform' });
    expect(verified.checkpoints.newestSigned.seq).toBe(res.json().seq);
  });

  test('an editor, an org-scoped auditor and no key are refused, and nothing is written', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'scoped');
    const editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
    const scoped = (await createKey(t.app, tenant.adminKey, ['auditor'], [org.id])).token;
    const before = (await call('GET', '/v1/audit-events/checkpoints', auditor)).json().items.length;
    expectProblem(await call('POST', '/v1/audit-events/checkpoints', editor), 403, 'AUTH_ROLE_REQUIRED');
    expectProblem(await call('POST', '/v1/audit-events/checkpoints', scoped), 403, 'AUTH_ORG_SCOPED_KEY');
    expectProblem(await call('POST', '/v1/audit-events/checkpoints'), 401);
    expect((await call('GET', '/v1/audit-events/checkpoints', auditor)).json().items.length).toBe(before);
  });
});

describe('GET /v1/audit-events/checkpoints', () => {
  test('pages the caller’s chain newest first with a cursor; another tenant sees none of them', async () => {
    for (let i = 0; i < 3; i += 1) {
      await createOrg(t.app, tenant.adminKey, `more-${i}`);
      expect((await call('POST', '/v1/audit-events/checkpoints', tenant.adminKey)).statusCode).toBe(201);
    }
    const all = (await call('GET', '/v1/audit-events/checkpoints?limit=200', auditor)).json().items;
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.every((c: { chain: string }) => c.chain === tenant.id)).toBe(true);
    const seqs = all.map((c: { seq: number }) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    const first = (await call('GET', '/v1/audit-events/checkpoints?limit=2', auditor)).json();
    const second = (
      await call('GET', `/v1/audit-events/checkpoints?limit=2&cursor=${first.nextCursor}`, auditor)
    ).json();
    expect([...first.items, ...second.items]).toEqual(all.slice(0, 4));

    const theirs = (await call('GET', '/v1/audit-events/checkpoints', other.adminKey)).json();
    expect(theirs.items).toEqual([]);
    const platform = (await call('GET', '/v1/audit-events/checkpoints', PLATFORM_KEY)).json();
    expect(platform.items.every((c: { chain: string }) => c.chain === 'platform')).toBe(true);
  });

  test('format=ndjson gives every checkpoint, oldest first, one per line', async () => {
    const res = await call('GET', '/v1/audit-events/checkpoints?format=ndjson', auditor);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const page = (await call('GET', '/v1/audit-events/checkpoints?limit=200', auditor)).json().items;
    expect(lines).toEqual([...page].reverse());
    for (const line of lines) expect(await holds(line)).toBe(true);
  });

  test.each([
    ['limit=0', 'REQUEST_VALIDATION_FAILED'],
    ['limit=201', 'REQUEST_VALIDATION_FAILED'],
    ['format=xml', 'REQUEST_VALIDATION_FAILED'],
    ['chain=platform', 'REQUEST_VALIDATION_FAILED'],
    ['cursor=not-a-cursor', 'PAGINATION_CURSOR_INVALID'],
    [`cursor=${Buffer.from('["../../etc"]').toString('base64url')}`, 'PAGINATION_CURSOR_INVALID'],
    ['format=ndjson&limit=5', 'AUDIT_CHECKPOINTS_NDJSON_UNPAGED'],
  ])('?%s is 400 %s', async (query, code) => {
    expectProblem(await call('GET', `/v1/audit-events/checkpoints?${query}`, auditor), 400, code);
  });
});

describe('GET /v1/audit-events/checkpoint-keys', () => {
  test('is public and lists the signing key as an Ed25519 JWK, without its private half', async () => {
    const res = await call('GET', '/v1/audit-events/checkpoint-keys');
    expect(res.statusCode).toBe(200);
    expect(res.json().keys).toContainEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: parseSigningKey(SIGNING_KEY).publicJwk.x,
      kid: KID,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(res.body).not.toContain('"d"');
  });
});

describe('the webhook copy', () => {
  test('an endpoint that wants audit.checkpoint receives each checkpoint, signed, with the checkpoint in it', async () => {
    const written = (await call('POST', '/v1/audit-events/checkpoints', auditor)).json();
    const got = await waitFor('the checkpoint webhook', () =>
      receiver.verified().find((r) => (r.payload?.data.checkpoint as { id?: string })?.id === written.id),
    );
    expect(got.verifiedBy).toEqual([0]);
    expect(got.payload).toMatchObject({
      type: 'audit.checkpoint',
      data: {
        tenant: { id: tenant.id },
        resource: { type: 'audit_checkpoint', id: written.id },
        checkpoint: written,
      },
    });
    expect(await holds(got.payload?.data.checkpoint as Record<string, unknown>)).toBe(true);
    // the platform chain's checkpoints go to no tenant's endpoint
    expect(receiver.received.every((r) => !r.body.includes('"chain":"platform"'))).toBe(true);
  });
});

describe('the tables are append-only', () => {
  test.each([
    ['UPDATE audit_checkpoints SET seq = 1'],
    ['DELETE FROM audit_checkpoints'],
    ['TRUNCATE audit_checkpoints'],
    ['UPDATE audit_signing_keys SET public_key = public_key'],
    ['DELETE FROM audit_signing_keys'],
    ['TRUNCATE audit_signing_keys'],
  ])('%s is refused, even for the owner', async (statement) => {
    const client = new pg.Client({ connectionString: t.testDb.adminUrl });
    await client.connect();
    try {
      await expect(client.query(statement)).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });
});

describe('the private key', () => {
  test('is in no response, log line, audit event or webhook', async () => {
    const forms = [SEED.toString('base64'), SEED.toString('base64url'), SEED.toString('hex')];
    const events = await t.database.pool.query('SELECT diff::text FROM audit_events');
    const webhooks = await t.database.pool.query('SELECT payload::text FROM webhook_events');
    const haystacks = [
      ...t.logs,
      ...events.rows.map((r) => r.diff),
      ...webhooks.rows.map((r) => r.payload),
      ...receiver.received.map((r) => r.body),
      (await call('GET', '/v1/audit-events/checkpoint-keys')).body,
      (await call('GET', '/v1/audit-events/checkpoints?format=ndjson', auditor)).body,
      (await call('GET', '/v1/audit-events/export', auditor)).body,
    ];
    expect(haystacks.length).toBeGreaterThan(10);
    for (const text of haystacks) for (const form of forms) expect(text).not.toContain(form);
  });
});
