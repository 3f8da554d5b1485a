/**
 * A real app on a real database of its own: config through loadConfig, migrations through the
 * migrator, a known keyring, and every log line captured (tests search them for secrets).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { type Container, type ContainerInput, createContainer } from '../../src/container.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrateAsOwner } from '../../src/db/migrate-as-owner.js';
import { readMigrations } from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';
import { ensurePlatformKey } from '../../src/modules/auth/platform-key.js';
import { parseKeyringSpec } from '../../src/modules/crypto/keyring.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.js';

export const TEST_KEYRING = `test-1:${Buffer.alloc(32, 1).toString('base64')}`;
export const PLATFORM_KEY = 'platform-admin-key-for-tests-0123456789abcdef';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly container: Container;
  readonly database: Database;
  readonly testDb: TestDatabase;
  readonly config: Config;
  /** Every log line written so far (JSON text). */
  readonly logs: string[];
  close(): Promise<void>;
}

/** With `{ roles: true }` the app runs as a runtime role and an owner role migrates (database.ts). */
export async function createTestApp(
  env: Record<string, string> = {},
  label = 'app',
  overrides: Pick<ContainerInput, 'outbound'> = {},
  databaseOptions: TestDatabaseOptions = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase(label, databaseOptions);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: testDb.url,
    ...(testDb.migrationUrl ? { MIGRATION_DATABASE_URL: testDb.migrationUrl } : {}),
    ENCRYPTION_KEYS: TEST_KEYRING,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    LOG_LEVEL: 'debug',
    DB_POOL_MAX: '5',
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const database = openDatabase({ url: testDb.url, poolMax: config.dbPoolMax });
  const migrations = await readMigrations();
  await migrateAsOwner(database.pool, testDb.migrationUrl, logger, migrations);
  await ensurePlatformKey(database.db, config.bootstrapAdminKey);
  const keyring = parseKeyringSpec(config.encryptionKeys as string);
  const container = createContainer({ config, logger, database, keyring, migrations, ...overrides });
  const app = await buildApp(container);
  return {
    app,
    container,
    database,
    testDb,
    config,
    logs,
    async close() {
      await container.forwarder.stop();
      await container.webhookJobs.stop(1_000);
      await app.close();
      await database.close();
      await testDb.drop();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export interface TenantFixture {
  readonly id: string;
  readonly slug: string;
  readonly adminKey: string;
  readonly adminKeyId: string;
}

let tenantCounter = 0;

/** Creates a tenant through the API, as the platform admin would. */
export async function createTenant(app: FastifyInstance, slug?: string): Promise<TenantFixture> {
  tenantCounter += 1;
  const chosen = slug ?? `tenant-${tenantCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/tenants',
    headers: bearer(PLATFORM_KEY),
    payload: { slug: chosen, name: `Tenant ${chosen}` },
  });
  if (res.statusCode !== 201) throw new Error(`tenant creation failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return {
    id: body.tenant.id,
    slug: chosen,
    adminKey: body.adminKey.token,
    adminKeyId: body.adminKey.apiKey.id,
  };
}

/** Issues a key with the given roles (and optional org scope) through the API. */
export async function createKey(
  app: FastifyInstance,
  adminKey: string,
  roles: string[],
  orgScope?: string[],
): Promise<{ id: string; token: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: bearer(adminKey),
    payload: { name: `key ${roles.join('+')}`, roles, ...(orgScope ? { orgScope } : {}) },
  });
  if (res.statusCode !== 201) throw new Error(`key creation failed: ${res.statusCode} ${res.body}`);
  return { id: res.json().apiKey.id, token: res.json().token };
}

export async function createOrg(
  app: FastifyInstance,
  adminKey: string,
  slug: string,
  labels: Record<string, string> = {},
): Promise<{ id: string; slug: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/orgs',
    headers: bearer(adminKey),
    payload: { slug, name: `Org ${slug}`, labels },
  });
  if (res.statusCode !== 201) throw new Error(`org creation failed: ${res.statusCode} ${res.body}`);
  return { id: res.json().id, slug };
}

export function expectProblem(res: LightMyRequestResponse, status: number, code?: string) {
  const body = res.json();
  const ok =
    res.statusCode === status &&
    String(res.headers['content-type']).startsWith('application/problem+json') &&
    body.status === status &&
    typeof body.title === 'string' &&
    typeof body.detail === 'string' &&
    typeof body.type === 'string' &&
    typeof body.instance === 'string' &&
    (code === undefined || body.code === code);
  if (!ok) {
    throw new Error(
      `expected problem ${status}${code ? ` ${code}` : ''}, got ${res.statusCode} ${res.headers['content-type']} ${res.body}`,
    );
  }
  return body;
}
