/**
 * Two service processes started at the same moment on one empty database (§6: several processes
 * share one database): the migrator's advisory lock lets exactly one apply each migration, and
 * exactly one platform key is generated and printed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  cleanUpProcesses,
  makeTempDir,
  PROJECT_ROOT,
  printedKeys,
  type ServiceProcess,
  spawnService,
  stopService,
  tail,
  waitForBanner,
  waitForReady,
} from '../support/process.js';

const KEYRING = `two-1:${Buffer.alloc(32, 7).toString('base64')}`;

/** The migration files on disk and the checksum Prisma records for each: SHA-256 of the file, hex. */
function migrationFiles(): Array<{ name: string; checksum: string }> {
  const dir = join(PROJECT_ROOT, 'prisma', 'migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256')
        .update(readFileSync(join(dir, name, 'migration.sql')))
        .digest('hex'),
    }));
}

describe('two service processes starting together on one empty database', () => {
  let database: TestDatabase;
  let services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('twoprocesses');
  });

  afterAll(async () => {
    await cleanUpProcesses();
    await database?.drop();
  });

  it('both become ready, each migration is applied exactly once, and exactly one platform key is printed', async () => {
    const dataDirs = [await makeTempDir('two-a'), await makeTempDir('two-b')];
    const env = (dataDir: string) => ({
      DATABASE_URL: database.url,
      ENCRYPTION_KEYS: KEYRING,
      DATA_DIR: dataDir, // unused with DATABASE_URL and ENCRYPTION_KEYS; keeps ./.data untouched
    });
    services = await Promise.all(dataDirs.map((dir) => spawnService(env(dir))));

    await Promise.all(services.map((service) => waitForReady(service, 90_000)));
    await Promise.all(services.map((service) => waitForBanner(service)));

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        rolled_back_at: Date | null;
      }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
      const files = migrationFiles();
      expect(files.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.migration_name).sort()).toEqual(files.map((f) => f.name));
      for (const file of files) {
        const row = rows.find((r) => r.migration_name === file.name);
        expect(row?.checksum, file.name).toBe(file.checksum);
        expect(row?.finished_at, file.name).toBeInstanceOf(Date);
        expect(row?.rolled_back_at, file.name).toBeNull();
      }
      const platformKeys = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM api_keys WHERE kind = 'platform'`,
      );
      expect(platformKeys.rows[0]?.n).toBe(1);
    } finally {
      await client.end();
    }

    const printed = services.map((service) => printedKeys(service));
    expect(printed.map((keys) => keys.length).sort(), services.map((s) => s.stderr()).join('\n')).toEqual([
      0, 1,
    ]);
    const key = printed.flat()[0] as string;
    for (const service of services) {
      const res = await fetch(`${service.url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, tail(service)).toBe(200);
    }

    const exits = await Promise.all(services.map((service) => stopService(service, 'SIGTERM', 15_000)));
    for (const [index, exit] of exits.entries()) {
      expect({ code: exit.code, signal: exit.signal }, tail(services[index] as ServiceProcess)).toEqual({
        code: 0,
        signal: null,
      });
    }
  }, 150_000);
});
