/**
 * The README's path on a server of one's own ("Running against your own PostgreSQL"), with the built
 * service: `npm run db:migrate` with both connection strings, then `npm start` as the runtime role —
 * no audit warning, the runtime role cannot rewrite the trail. With one role for both (no
 * MIGRATION_DATABASE_URL) it migrates as before, owns the tables, and the banner warns about it.
 * Run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  cleanUpProcesses,
  PROJECT_ROOT,
  serviceEnvironment,
  spawnService,
  stopService,
  tail,
  waitForBanner,
  waitForReady,
} from '../support/process.js';
import { withClient } from '../support/rollout.js';
import { AUDIT_WARNING, expectAuditTablesClosed } from '../support/runtime-role.js';

const KEYS = {
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  NODE_ENV: 'production',
  AUDIT_SIGNING_KEY: Buffer.alloc(32, 8).toString('base64'),
};
let testDb: TestDatabase;

beforeAll(async () => {
  expect(existsSync(join(PROJECT_ROOT, 'dist/src/cli/db-migrate.js')), 'npm run build first').toBe(true);
  testDb = await createTestDatabase('tworoles', { roles: true });
});
afterAll(async () => {
  await cleanUpProcesses();
  await testDb?.drop();
});

/** `npm run db:migrate` (the built CLI) with exactly `env` as its configuration. */
function dbMigrate(env: Record<string, string>) {
  return spawnSync(process.execPath, ['dist/src/cli/db-migrate.js'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: serviceEnvironment({ LOG_LEVEL: 'info', ...env }),
    timeout: 60_000,
  });
}

const owner = (url: string) => decodeURIComponent(new URL(url).username);

it('db:migrate as the owner, then npm start as the runtime role: no warning, and the trail is out of its reach', async () => {
  const migration = testDb.migrationUrl as string;
  const started = performance.now();
  const migrated = dbMigrate({ ...KEYS, DATABASE_URL: testDb.url, MIGRATION_DATABASE_URL: migration });
  expect(migrated.status, migrated.stderr + migrated.stdout).toBe(0);
  // It exits once done (it used to wait out the pool's 30 s idle timeout).
  expect(performance.now() - started).toBeLessThan(15_000);
  const owners = await withClient(testDb.adminUrl, async (client) => {
    const { rows } = await client.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`,
    );
    return rows.map((r) => r.owner);
  });
  expect(owners).toEqual([owner(migration)]);
  await expectAuditTablesClosed(testDb.url);

  const service = await spawnService(
    { ...KEYS, DATABASE_URL: testDb.url, MIGRATION_DATABASE_URL: migration, JOBS_WORKER: 'false' },
    { built: true },
  );
  await waitForReady(service, 60_000);
  await waitForBanner(service);
  expect(service.stderr(), tail(service)).toContain('Database:  DATABASE_URL');
  expect(service.stderr(), tail(service)).not.toMatch(AUDIT_WARNING);
  const exit = await stopService(service, 'SIGTERM', 15_000);
  expect({ code: exit.code, signal: exit.signal }, tail(service)).toEqual({ code: 0, signal: null });
}, 120_000);

it('with one role for both (no MIGRATION_DATABASE_URL), that role owns the tables and the banner warns', async () => {
  const oneRole = await createTestDatabase('onerole', { roles: true });
  try {
    // The owner's connection as the service's only one, as before two roles existed.
    const env = { ...KEYS, DATABASE_URL: oneRole.migrationUrl as string, JOBS_WORKER: 'false' };
    const migrated = dbMigrate(env);
    expect(migrated.status, migrated.stderr + migrated.stdout).toBe(0);
    const service = await spawnService(env, { built: true });
    await waitForReady(service, 60_000);
    await waitForBanner(service);
    expect(AUDIT_WARNING.exec(service.stderr())?.slice(1), tail(service)).toEqual([
      owner(oneRole.migrationUrl as string),
      'owns the audit_events table',
    ]);
    await stopService(service, 'SIGTERM', 15_000);
  } finally {
    await oneRole.drop();
  }
}, 120_000);
