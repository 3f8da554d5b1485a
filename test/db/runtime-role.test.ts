/**
 * Two database roles on a server (issue 21): the owner (MIGRATION_DATABASE_URL) migrates and owns
 * everything; the runtime role (DATABASE_URL) gets its privileges from one rule computed over the
 * schema after every migration run (src/db/runtime-grants.ts). With it, nothing rewrites an
 * `audit_` table — not even one that a later migration adds — while the service's whole flow works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrateAsOwner } from '../../src/db/migrate-as-owner.js';
import { type MigrationFile, readMigrations } from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';
import { auditPowersWarning, auditTrailPowers } from '../../src/modules/audit/audit-powers.js';
import { loopbackFetch } from '../modules/discovery/idp-servers.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type FakeCognigy, startFakeCognigy } from '../support/fake-cognigy.js';
import { withClient } from '../support/rollout.js';
import { expectAuditTablesClosed, objectsOwnedBy, runFlowAndVerify } from '../support/runtime-role.js';

const logger = createLogger('silent');

/** Migrations a later release might add: an audit table, an ordinary one, and an owner-only change. */
const later: MigrationFile[] = [
  {
    name: '29990101000000_later_tables',
    sql: `CREATE TABLE "audit_later" ("id" UUID PRIMARY KEY, "body" TEXT NOT NULL);
          CREATE TABLE "later_settings" ("id" SERIAL PRIMARY KEY, "value" TEXT NOT NULL);
          COMMENT ON TABLE "audit_events" IS 'only its owner may say so'`,
    checksum: 'b'.repeat(64),
  },
];

const migrationRecords = (url: string) =>
  withClient(url, async (client) =>
    (
      await client.query(
        'SELECT id, migration_name, checksum, started_at, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      )
    ).rows.map((row) => JSON.stringify(row)),
  );

/** Each table's privileges, and the version of its catalog row (xmin changes on every rewrite). */
const privilegeSnapshot = (url: string) =>
  withClient(
    url,
    async (client) =>
      (
        await client.query(
          `SELECT relname, relacl::text, xmin::text FROM pg_class
          WHERE relnamespace = current_schema()::regnamespace ORDER BY relname`,
        )
      ).rows,
  );

describe('a server with an owner role and a runtime role', () => {
  let testDb: TestDatabase;
  let runtime: Database;
  let migrations: MigrationFile[];

  beforeAll(async () => {
    testDb = await createTestDatabase('roles', { roles: true });
    runtime = openDatabase({ url: testDb.url, poolMax: 2 });
    migrations = await readMigrations();
    await migrateAsOwner(runtime.pool, testDb.migrationUrl, logger, migrations);
  });
  afterAll(async () => {
    await runtime?.close();
    await testDb?.drop();
  });

  it('migrates with the owner role: every migration recorded under its file’s checksum, the owner owning every table', async () => {
    const records = await withClient(testDb.adminUrl, async (client) => {
      const applied = await client.query<{ migration_name: string; checksum: string }>(
        'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name',
      );
      const owners = await client.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
          WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`,
      );
      return { applied: applied.rows, owners: owners.rows.map((r) => r.owner) };
    });
    expect(records.applied).toEqual(
      migrations.map((m) => ({ migration_name: m.name, checksum: m.checksum })),
    );
    expect(records.owners).toEqual([new URL(testDb.migrationUrl as string).username]);
  });

  it('the runtime role owns nothing and is not warned about', async () => {
    expect(await objectsOwnedBy(testDb.url)).toEqual([]);
    const powers = await auditTrailPowers(runtime.db);
    expect(powers).toMatchObject({ superuser: false, owner: false, canRewrite: false });
    expect(auditPowersWarning(powers)).toBeNull();
  });

  it('refuses the runtime role UPDATE, DELETE, TRUNCATE, ALTER TABLE and DISABLE TRIGGER on every audit table', async () => {
    const tables = await expectAuditTablesClosed(testDb.url);
    expect(tables).toContain('audit_events');
  });

  it('lets the runtime role read but not change the migration records', async () => {
    await expect(runtime.pool.query('SELECT count(*) FROM "_prisma_migrations"')).resolves.toBeDefined();
    await expect(runtime.pool.query('DELETE FROM "_prisma_migrations"')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('covers the tables of a later migration by their names alone, and the owner can still alter audit_events', async () => {
    const before = await migrationRecords(testDb.adminUrl);
    const applied = await migrateAsOwner(runtime.pool, testDb.migrationUrl, logger, [
      ...migrations,
      ...later,
    ]);
    expect(applied).toEqual(['29990101000000_later_tables']);
    const after = await migrationRecords(testDb.adminUrl);
    expect(after.slice(0, before.length)).toEqual(before); // the earlier records are untouched
    expect(after).toHaveLength(before.length + 1);

    expect(await expectAuditTablesClosed(testDb.url)).toEqual(
      expect.arrayContaining(['audit_events', 'audit_later']),
    );
    await runtime.pool.query(`INSERT INTO audit_later VALUES (gen_random_uuid(), 'appended')`);
    // An ordinary table, with its sequence: everything the service does, and nothing more.
    await runtime.pool.query(`INSERT INTO later_settings (value) VALUES ('a')`);
    await runtime.pool.query(`UPDATE later_settings SET value = 'b'`);
    await runtime.pool.query('DELETE FROM later_settings');
    await expect(runtime.pool.query('TRUNCATE later_settings')).rejects.toMatchObject({ code: '42501' });
    await expect(runtime.pool.query('ALTER TABLE later_settings ADD COLUMN x int')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('changes nothing on a run with nothing to change (no catalog row rewritten)', async () => {
    const before = await privilegeSnapshot(testDb.adminUrl);
    const records = await migrationRecords(testDb.adminUrl);
    expect(
      await migrateAsOwner(runtime.pool, testDb.migrationUrl, logger, [...migrations, ...later]),
    ).toEqual([]);
    expect(await privilegeSnapshot(testDb.adminUrl)).toEqual(before);
    expect(await migrationRecords(testDb.adminUrl)).toEqual(records);
  });

  it('refuses, naming it, a table the owner role does not own (its GRANT would only warn)', async () => {
    await withClient(testDb.adminUrl, (client) => client.query('CREATE TABLE stray_table (id int)'));
    try {
      await expect(
        migrateAsOwner(runtime.pool, testDb.migrationUrl, logger, [...migrations, ...later]),
      ).rejects.toThrow(/cannot set the runtime role's privileges on stray_table \(owned by \w+\)/);
    } finally {
      await withClient(testDb.adminUrl, (client) => client.query('DROP TABLE stray_table'));
    }
  });

  it('takes back a privilege granted by hand beyond the rule', async () => {
    await withClient(testDb.migrationUrl as string, (client) =>
      client.query(`GRANT UPDATE, DELETE, TRUNCATE ON audit_events TO "${new URL(testDb.url).username}"`),
    );
    await migrateAsOwner(runtime.pool, testDb.migrationUrl, logger, [...migrations, ...later]);
    await expectAuditTablesClosed(testDb.url);
  });
});

describe('the service running as the runtime role', () => {
  let t: TestApp;
  let fake: FakeCognigy;

  beforeAll(async () => {
    fake = await startFakeCognigy({ https: true });
    t = await createTestApp(
      { OUTBOUND_ALLOWLIST: '127.0.0.1', FORWARDING_POLL_MS: '50' },
      'roles-flow',
      { outbound: loopbackFetch() },
      { roles: true },
    );
    t.container.forwarder.start();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('creates a tenant and an org, drafts, approves and forwards a version, and its audit chain verifies', async () => {
    const role = await t.database.pool.query<{ role: string }>('SELECT current_user AS role');
    expect(role.rows[0]?.role).toBe(new URL(t.testDb.url).username);
    expect(role.rows[0]?.role).toMatch(/_runtime$/);
    await runFlowAndVerify(t.app, fake);
    await expectAuditTablesClosed(t.testDb.url);
  });
});
