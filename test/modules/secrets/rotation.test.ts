/**
 * Master-key rotation (§8): after `rotateMasterKey` with keyring k1,k2 every row sealed directly
 * by a master key carries k2, so a keyring holding only k2 still decrypts every secret, keeps every
 * fingerprint and replays every stored idempotent response. Also run once as the real CLI process.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { readMigrations } from '../../../src/db/migrator.js';
import { createLogger } from '../../../src/lib/logger.js';
import { CryptoError } from '../../../src/modules/crypto/crypto-error.js';
import { parseKeyringSpec } from '../../../src/modules/crypto/keyring.js';
import { idempotencyRepository } from '../../../src/modules/idempotency/idempotency.repository.js';
import { type RotationReport, rotateMasterKey } from '../../../src/modules/secrets/rotation.js';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';

/** What rotation reads and writes: the app's database and the idempotency module's stored responses. */
const stores = (app: { database: Database }) => ({ db: app.database.db, responses: idempotencyRepository });

const K1 = `k1:${Buffer.alloc(32, 0x11).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 0x22).toString('base64')}`;
const API_BASE = 'https://api-trial.cognigy.ai/new';

interface AppOn {
  readonly app: FastifyInstance;
  readonly container: Container;
  readonly database: Database;
  close(): Promise<void>;
}

/** The real app with keyring `keys`, on a database that already exists and is migrated. */
async function appOn(url: string, keys: string): Promise<AppOn> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    ENCRYPTION_KEYS: keys,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    LOG_LEVEL: 'silent',
    DB_POOL_MAX: '3',
  });
  const database = openDatabase({ url, poolMax: config.dbPoolMax });
  const container = createContainer({
    config,
    logger: createLogger(config.logLevel),
    database,
    keyring: parseKeyringSpec(keys),
    migrations: await readMigrations(),
  });
  const app = await buildApp(container);
  return {
    app,
    container,
    database,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

/** A pino logger whose lines are kept, parsed. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function rejection(promise: Promise<unknown>): Promise<CryptoError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error(`expected a CryptoError, got ${JSON.stringify(result)}`);
}

async function putKey(app: FastifyInstance, tenant: TenantFixture, orgId: string, apiKey: string) {
  const res = await app.inject({
    method: 'PUT',
    url: `/v1/orgs/${orgId}/cognigy`,
    headers: bearer(tenant.adminKey),
    payload: { apiBase: API_BASE, apiKey },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().cognigy.apiKey.fingerprint as string;
}

async function fingerprintOf(app: FastifyInstance, tenant: TenantFixture, orgId: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/orgs/${orgId}`, headers: bearer(tenant.adminKey) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().cognigy?.apiKey.fingerprint as string | undefined;
}

interface SecretOrg {
  readonly tenant: TenantFixture;
  readonly id: string;
  readonly apiKey: string;
  readonly fingerprint: string;
}

const MASTER_KEY_TABLES = [
  'org_data_keys',
  'tenant_secret_keys',
  'tenant_data_keys',
  'idempotency_records',
] as const;

describe('rotateMasterKey', () => {
  let first: TestApp;
  let tenants: TenantFixture[];
  const orgs: SecretOrg[] = [];
  const idempotentRequest = {
    method: 'POST' as const,
    url: '/v1/orgs',
    payload: { slug: 'created-idempotently', name: 'Created idempotently' },
  };
  let idempotentFirst: { statusCode: number; body: string; location: unknown };
  let rotation: { report: RotationReport; lines: Array<Record<string, unknown>> };
  let wrappedBefore: Map<string, string>;
  let webhook: { id: string; secret: string };

  const idempotentHeaders = () => ({ ...bearer(tenants[0]!.adminKey), 'idempotency-key': 'rotation-idem-1' });
  const masterKeyIds = async () => {
    const ids: Record<string, string[]> = {};
    for (const table of MASTER_KEY_TABLES) {
      const { rows } = await first.database.pool.query(
        `SELECT DISTINCT master_key_id FROM ${table} ORDER BY master_key_id`,
      );
      ids[table] = rows.map((r) => r.master_key_id);
    }
    return ids;
  };
  const wrappedValues = async () => {
    const { rows } = await first.database.pool.query(
      `SELECT 'org:' || org_id AS k, wrapped_key AS v FROM org_data_keys
       UNION ALL SELECT 'tenant:' || tenant_id, wrapped_key FROM tenant_secret_keys
       UNION ALL SELECT 'tenant-data:' || tenant_id, wrapped_key FROM tenant_data_keys
       UNION ALL SELECT 'idem:' || id, response_sealed FROM idempotency_records`,
    );
    return new Map(rows.map((r) => [r.k as string, r.v as string]));
  };

  beforeAll(async () => {
    first = await createTestApp({ ENCRYPTION_KEYS: K1 }, 'rotation');
    tenants = [await createTenant(first.app), await createTenant(first.app)];
    const layout: Array<[TenantFixture, number]> = [
      [tenants[0]!, 3],
      [tenants[1]!, 2],
    ];
    for (const [tenant, count] of layout) {
      for (let i = 0; i < count; i += 1) {
        const org = await createOrg(first.app, tenant.adminKey, `secret-org-${i}`);
        const apiKey = `cognigy-key-${tenant.slug}-${i}`;
        orgs.push({
          tenant,
          id: org.id,
          apiKey,
          fingerprint: await putKey(first.app, tenant, org.id, apiKey),
        });
      }
    }
    await createOrg(first.app, tenants[0]!.adminKey, 'org-without-secret');
    // a webhook endpoint: its signing secret is sealed with the tenant's data key
    const hook = await first.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(tenants[0]!.adminKey),
      payload: { url: 'https://hooks.example.com/rotation' },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    webhook = { id: hook.json().webhook.id, secret: hook.json().secret };
    const res = await first.app.inject({ ...idempotentRequest, headers: idempotentHeaders() });
    expect(res.statusCode, res.body).toBe(201);
    idempotentFirst = { statusCode: res.statusCode, body: res.body, location: res.headers.location };
  });

  afterAll(async () => {
    await first?.close();
  });

  it('starts with everything sealed by k1, and the idempotent response replays', async () => {
    expect(await masterKeyIds()).toEqual({
      org_data_keys: ['k1'],
      tenant_secret_keys: ['k1'],
      tenant_data_keys: ['k1'],
      idempotency_records: ['k1'],
    });
    const replay = await first.app.inject({ ...idempotentRequest, headers: idempotentHeaders() });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(idempotentFirst.body);
  });

  it('fails loudly before rotation when the keyring holds only k2 (CRYPTO_MASTER_KEY_UNKNOWN)', async () => {
    const onlyK2 = await appOn(first.testDb.url, K2);
    try {
      for (const org of orgs) {
        const error = await rejection(onlyK2.container.orgs.loadCognigyCredentials(org.tenant.id, org.id));
        expect(error.code).toBe('CRYPTO_MASTER_KEY_UNKNOWN');
        expect(error.message).toContain('"k1"');
      }
      // a replay that cannot be opened is an error, not a second execution of the request
      const replay = await onlyK2.app.inject({ ...idempotentRequest, headers: idempotentHeaders() });
      expect(replay.statusCode).toBe(500);
      const { rows } = await first.database.pool.query(
        "SELECT count(*)::int AS n FROM orgs WHERE slug = 'created-idempotently'",
      );
      expect(rows[0].n).toBe(1);
      // and rotating without the old key changes nothing
      const before = await wrappedValues();
      const error = await rejection(
        rotateMasterKey(stores(onlyK2), parseKeyringSpec(K2), capturingLogger().logger),
      );
      expect(error.code).toBe('CRYPTO_MASTER_KEY_UNKNOWN');
      expect(await wrappedValues()).toEqual(before);
    } finally {
      await onlyK2.close();
    }
  });

  it('re-wraps every data key, fingerprint key and stored response with k2 and reports the counts', async () => {
    wrappedBefore = await wrappedValues();
    const { logger, lines } = capturingLogger();
    const report = await rotateMasterKey(stores(first), parseKeyringSpec(`${K1},${K2}`), logger, 2);
    rotation = { report, lines };
    expect(report).toMatchObject({
      activeKeyId: 'k2',
      orgDataKeys: 5,
      tenantKeys: 2,
      tenantDataKeys: 1,
      idempotentResponses: 1,
      remaining: 0,
    });
    expect(await masterKeyIds()).toEqual({
      org_data_keys: ['k2'],
      tenant_secret_keys: ['k2'],
      tenant_data_keys: ['k2'],
      idempotency_records: ['k2'],
    });
    const after = await wrappedValues();
    expect([...after.keys()].sort()).toEqual([...wrappedBefore.keys()].sort());
    for (const [key, value] of after) expect(value, key).not.toBe(wrappedBefore.get(key));
    const { rows } = await first.database.pool.query(
      `SELECT count(*)::int AS n FROM (
         SELECT rewrapped_at FROM org_data_keys UNION ALL SELECT rewrapped_at FROM tenant_secret_keys
       ) r WHERE rewrapped_at IS NULL`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('logs its start, its progress batch by batch and its result', () => {
    const { lines, report } = rotation;
    const progress = (kind: string) =>
      lines
        .filter((l) => l.msg === 'key rotation: progress' && l.kind === kind)
        .map((l) => [l.done, l.total]);
    expect(progress('org data keys')).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    expect(progress('tenant fingerprint keys')).toEqual([[2, 2]]);
    expect(progress('tenant data keys')).toEqual([[1, 1]]);
    expect(progress('idempotent responses')).toEqual([[1, 1]]);
    expect(lines.filter((l) => l.msg === 'key rotation: starting').map((l) => [l.kind, l.total])).toEqual([
      ['org data keys', 5],
      ['tenant fingerprint keys', 2],
      ['tenant data keys', 1],
      ['idempotent responses', 1],
    ]);
    expect(lines.find((l) => l.msg === 'key rotation: finished')).toMatchObject({ ...report });
    const text = JSON.stringify(lines);
    for (const org of orgs) expect(text).not.toContain(org.apiKey);
    expect(text).not.toContain(K1.slice(3));
    expect(text).not.toContain(K2.slice(3));
  });

  it('leaves a keyring holding only k2 able to decrypt every secret, with unchanged fingerprints', async () => {
    const onlyK2 = await appOn(first.testDb.url, K2);
    try {
      for (const org of orgs) {
        const credentials = await onlyK2.container.orgs.loadCognigyCredentials(org.tenant.id, org.id);
        expect(credentials?.apiKey).toBe(org.apiKey);
        expect(await fingerprintOf(onlyK2.app, org.tenant, org.id)).toBe(org.fingerprint);
      }
      // the webhook signing secret, sealed with the tenant's data key, still opens
      const { rows } = await first.database.pool.query(
        'SELECT tenant_id, secret_sealed FROM webhook_endpoints WHERE id = $1',
        [webhook.id],
      );
      const location = {
        tenantId: rows[0].tenant_id,
        record: `webhook_endpoints/${webhook.id}`,
        field: 'signing_secret',
      };
      expect(
        await onlyK2.container.secrets.openTenantSecret(onlyK2.database.db, location, rows[0].secret_sealed),
      ).toBe(webhook.secret);
      // the tenant's fingerprint key itself survived (not regenerated): setting the same key again
      // gives the same fingerprint as before the rotation
      const org = orgs[0]!;
      expect(await putKey(onlyK2.app, org.tenant, org.id, org.apiKey)).toBe(org.fingerprint);
      expect((await onlyK2.container.orgs.loadCognigyCredentials(org.tenant.id, org.id))?.apiKey).toBe(
        org.apiKey,
      );
    } finally {
      await onlyK2.close();
    }
  });

  it('leaves a keyring holding only k2 able to replay the stored idempotent response', async () => {
    const onlyK2 = await appOn(first.testDb.url, K2);
    try {
      const replay = await onlyK2.app.inject({ ...idempotentRequest, headers: idempotentHeaders() });
      expect(replay.statusCode).toBe(idempotentFirst.statusCode);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe(idempotentFirst.location);
      expect(replay.body).toBe(idempotentFirst.body);
    } finally {
      await onlyK2.close();
    }
  });

  it('seals what is created after the rotation with k2', async () => {
    const onlyK2 = await appOn(first.testDb.url, K2);
    try {
      const tenant = await createTenant(onlyK2.app);
      const org = await createOrg(onlyK2.app, tenant.adminKey, 'after-rotation');
      await putKey(onlyK2.app, tenant, org.id, 'cognigy-key-after-rotation');
      expect((await onlyK2.container.orgs.loadCognigyCredentials(tenant.id, org.id))?.apiKey).toBe(
        'cognigy-key-after-rotation',
      );
      const { rows } = await first.database.pool.query(
        `SELECT (SELECT master_key_id FROM org_data_keys WHERE org_id = $1) AS org_key,
                (SELECT master_key_id FROM tenant_secret_keys WHERE tenant_id = $2) AS tenant_key`,
        [org.id, tenant.id],
      );
      expect(rows[0]).toEqual({ org_key: 'k2', tenant_key: 'k2' });
    } finally {
      await onlyK2.close();
    }
  });

  it('does nothing when run a second time', async () => {
    const before = await wrappedValues();
    const { logger, lines } = capturingLogger();
    const report = await rotateMasterKey(stores(first), parseKeyringSpec(`${K1},${K2}`), logger);
    expect(report).toMatchObject({
      activeKeyId: 'k2',
      orgDataKeys: 0,
      tenantKeys: 0,
      tenantDataKeys: 0,
      idempotentResponses: 0,
      remaining: 0,
    });
    expect(await wrappedValues()).toEqual(before);
    expect(lines.filter((l) => l.msg === 'key rotation: progress')).toEqual([]);
  });
});

describe('the keys:rotate CLI', () => {
  it('rotates a database to the newest key as a process, exiting 0 with JSON progress lines', async () => {
    const seeded = await createTestApp({ ENCRYPTION_KEYS: K1 }, 'rotatecli');
    const url = seeded.testDb.url;
    const tenant = await createTenant(seeded.app);
    const secrets: Array<{ id: string; apiKey: string }> = [];
    for (let i = 0; i < 2; i += 1) {
      const org = await createOrg(seeded.app, tenant.adminKey, `cli-org-${i}`);
      await putKey(seeded.app, tenant, org.id, `cognigy-key-cli-${i}`);
      secrets.push({ id: org.id, apiKey: `cognigy-key-cli-${i}` });
    }
    await seeded.app.close();
    await seeded.database.close();
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/keys-rotate.ts'],
        {
          cwd: process.cwd(),
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            NODE_ENV: 'test',
            LOG_LEVEL: 'info',
            DATABASE_URL: url,
            ENCRYPTION_KEYS: `${K1},${K2}`,
          },
        },
      ); // rejects on a non-zero exit code
      expect(stderr).toBe('');
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        expect(line).toMatchObject({ service: 'cognigy-sso', level: expect.any(String) });
      expect(lines.filter((l) => l.msg === 'key rotation: progress')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'org data keys', done: 2, total: 2 }),
          expect.objectContaining({ kind: 'tenant fingerprint keys', done: 1, total: 1 }),
        ]),
      );
      expect(lines.find((l) => l.msg === 'key rotation: finished')).toMatchObject({
        activeKeyId: 'k2',
        orgDataKeys: 2,
        tenantKeys: 1,
        remaining: 0,
      });
      expect(stdout).not.toContain(K1.slice(3));
      expect(stdout).not.toContain(K2.slice(3));

      const onlyK2 = await appOn(url, K2);
      try {
        // The rotation is in the audit trail: the platform's chain and the affected tenant's.
        const rotated = await onlyK2.database.pool.query<{
          chain: string;
          diff: { after: Record<string, unknown> };
        }>(`SELECT chain, diff FROM audit_events WHERE action = 'keys.rotated' ORDER BY chain`);
        expect(rotated.rows.map((r) => r.chain).sort()).toEqual(['platform', tenant.id].sort());
        const forTenant = rotated.rows.find((r) => r.chain === tenant.id);
        expect(forTenant?.diff.after).toEqual({ activeKeyId: 'k2', rewrappedKeys: 3 });
        for (const secret of secrets) {
          const credentials = await onlyK2.container.orgs.loadCognigyCredentials(tenant.id, secret.id);
          expect(credentials?.apiKey).toBe(secret.apiKey);
        }
      } finally {
        await onlyK2.close();
      }
    } finally {
      await seeded.testDb.drop();
    }
  }, 90_000);
});
