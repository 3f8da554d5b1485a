/**
 * The embedded database's two roles (issue 21): on a fresh data folder the service connects as
 * `sso_runtime` and migrates as `sso_owner`; a data folder of the release before — everything owned
 * by the superuser `postgres`, the service connected as it — is upgraded on start, also when several
 * processes start on it at once, and its audit chain still verifies.
 */
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createContainer } from '../../src/container.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { freePort, loadEmbeddedPostgres, readOrCreatePassword } from '../../src/db/embedded-postgres.js';
import { ensureEmbeddedRoles } from '../../src/db/embedded-roles.js';
import { migrate, readMigrations } from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';
import { auditTrailPowers } from '../../src/modules/audit/audit-powers.js';
import { ensurePlatformKey } from '../../src/modules/auth/platform-key.js';
import { parseKeyringSpec } from '../../src/modules/crypto/keyring.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';
import { loopbackFetch } from '../modules/discovery/idp-servers.js';
import { bearer, createOrg, createTenant, PLATFORM_KEY, TEST_KEYRING } from '../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../support/fake-cognigy.js';
import { cleanUpProcesses, embeddedDatabaseUrl, makeTempDir } from '../support/process.js';
import { withClient } from '../support/rollout.js';
import { expectAuditTablesClosed, objectsOwnedBy, runFlowAndVerify } from '../support/runtime-role.js';

const configFor = (dataDir: string): Config =>
  loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ENCRYPTION_KEYS: TEST_KEYRING,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    FORWARDING_POLL_MS: '50',
    DB_POOL_MAX: '4',
  });

/** The service's app on a database, as server.ts builds it. */
async function appOn(
  config: Config,
  database: Database,
  migrations: Runtime['migrations'],
): Promise<{ app: FastifyInstance; close(): Promise<void>; container: ReturnType<typeof createContainer> }> {
  await ensurePlatformKey(database.db, config.bootstrapAdminKey);
  const container = createContainer({
    config,
    logger: createLogger('silent'),
    database,
    keyring: parseKeyringSpec(TEST_KEYRING),
    migrations,
    outbound: loopbackFetch(),
  });
  const app = await buildApp(container);
  return {
    app,
    container,
    async close() {
      await container.forwarder.stop();
      await app.close();
    },
  };
}

/** Who owns what in the embedded database's schema, seen by its superuser. */
const owners = (url: string) =>
  withClient(url, async (client) => {
    const { rows } = await client.query<{ kind: string; owner: string }>(
      `SELECT 'schema' AS kind, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'public'
       UNION SELECT 'relation', pg_get_userbyid(relowner) FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v')
       UNION SELECT 'routine', pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
       ORDER BY 1, 2`,
    );
    return rows;
  });

const migrationRecords = (url: string) =>
  withClient(url, async (client) =>
    (await client.query('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).rows.map((r) =>
      JSON.stringify(r),
    ),
  );

let fake: FakeCognigy;
beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
});
afterAll(async () => {
  await fake?.close();
  await cleanUpProcesses();
});

describe('a fresh data folder', () => {
  let runtime: Runtime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = join(await makeTempDir('roles-fresh'), 'data');
    runtime = await startRuntime(configFor(dataDir), {
      applicationName: 'test',
      migrate: true,
      logger: createLogger('silent'),
    });
  });
  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('runs the service as sso_runtime, which owns nothing and cannot rewrite the audit trail', async () => {
    const powers = await auditTrailPowers(runtime.database.db);
    expect(powers).toEqual({ role: 'sso_runtime', superuser: false, owner: false, canRewrite: false });
    for (const file of ['postgres-password', 'postgres-owner-password', 'postgres-runtime-password'])
      expect(statSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600);
    const url = embeddedDatabaseUrl(dataDir, 'sso_runtime');
    expect(await objectsOwnedBy(url)).toEqual([]);
    expect(await expectAuditTablesClosed(url)).toContain('audit_events');
    expect(await owners(embeddedDatabaseUrl(dataDir))).toEqual([
      { kind: 'relation', owner: 'sso_owner' },
      { kind: 'routine', owner: 'sso_owner' },
      { kind: 'schema', owner: 'sso_owner' },
    ]);
  });

  it('does everything the service does through the app, and the chain verifies', async () => {
    const { app, container, close } = await appOn(runtime.config, runtime.database, runtime.migrations);
    container.forwarder.start();
    try {
      await runFlowAndVerify(app, fake);
    } finally {
      await close();
    }
  });
});

/**
 * A data folder as the release before left it: the cluster made and started the way it was then,
 * migrated and used by the service connected as the superuser `postgres`. The cluster is left
 * running, as by a process that died (the next start adopts it).
 */
async function previousReleaseDataFolder(dataDir: string) {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const password = await readOrCreatePassword(join(dataDir, 'postgres-password'));
  const port = await freePort();
  const cluster = new EmbeddedPostgres({
    databaseDir: join(dataDir, 'postgres'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
  });
  await cluster.initialise();
  await cluster.start();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const database = openDatabase({ url, poolMax: 3 });
  try {
    const migrations = await readMigrations();
    await migrate(database.pool, createLogger('silent'), migrations);
    const { app, close } = await appOn(configFor(dataDir), database, migrations);
    const tenant = await createTenant(app);
    for (const slug of ['upgrade-a', 'upgrade-b']) await createOrg(app, tenant.adminKey, slug);
    await close();
    return {
      adminKey: tenant.adminKey,
      records: await migrationRecords(url),
      owners: await owners(url),
      url,
      stop: () => cluster.stop(),
    };
  } finally {
    await database.close();
  }
}

describe('a data folder of the release before', () => {
  let runtime: Runtime | undefined;
  let stopCluster: (() => Promise<void>) | undefined;
  afterAll(async () => {
    if (runtime)
      await runtime.shutdown(); // stops the cluster it adopted
    else await stopCluster?.();
  });

  it('is upgraded on start — ownership to sso_owner, the service as sso_runtime — also by several starts at once, and its chain still verifies', async () => {
    const dataDir = join(await makeTempDir('roles-upgrade'), 'data');
    const before = await previousReleaseDataFolder(dataDir);
    stopCluster = before.stop;
    expect(before.owners).toEqual(
      expect.arrayContaining([
        { kind: 'relation', owner: 'postgres' },
        { kind: 'routine', owner: 'postgres' },
      ]),
    );

    // Three starts at once: the service's (which adopts the running cluster) and two more role
    // set-ups, as when several processes start on one folder. All agree, none fails (the migrator's
    // advisory lock serialises them), and exactly one moves the objects.
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const [started, ...others] = await Promise.all([
      startRuntime(configFor(dataDir), { applicationName: 'test', migrate: true, logger }),
      ensureEmbeddedRoles(dataDir, before.url, logger),
      ensureEmbeddedRoles(dataDir, before.url, logger),
    ]);
    runtime = started;
    expect(lines.filter((line) => line.includes('embedded database upgraded to two roles'))).toHaveLength(1);
    expect(new Set(others.map((roles) => roles.url)).size).toBe(1);
    const superuser = before.url;

    expect(await owners(superuser)).toEqual([
      { kind: 'relation', owner: 'sso_owner' },
      { kind: 'routine', owner: 'sso_owner' },
      { kind: 'schema', owner: 'sso_owner' },
    ]);
    expect(await migrationRecords(superuser)).toEqual(before.records);
    const powers = await auditTrailPowers(runtime.database.db);
    expect(powers).toMatchObject({ role: 'sso_runtime', canRewrite: false });
    await expectAuditTablesClosed(embeddedDatabaseUrl(dataDir, 'sso_runtime'));

    // The events written as the superuser still verify, read by the runtime role through the API.
    const { app, close } = await appOn(runtime.config, runtime.database, runtime.migrations);
    try {
      const verify = await app.inject({
        method: 'GET',
        url: '/v1/audit-events/verify',
        headers: bearer(before.adminKey),
      });
      expect(verify.json()).toMatchObject({ ok: true, firstMismatch: null });
      expect(verify.json().checked).toBeGreaterThanOrEqual(3); // tenant and two orgs
      // And the upgraded database takes new changes as the runtime role.
      await createOrg(app, before.adminKey, 'after-upgrade');
    } finally {
      await close();
    }
  });
});
