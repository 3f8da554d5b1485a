/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL when given (CI runs once against the
 * machine's server), otherwise an embedded one in a temporary folder, so `npm test` needs nothing
 * installed. Each test file then creates databases of its own on it (see database.ts).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  embeddedBinariesDir,
  freePort,
  letPostgresUserReach,
  loadEmbeddedPostgres,
} from '../../src/db/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const client = new pg.Client({ connectionString: external });
    await client.connect();
    await client.end();
    project.provide('adminDatabaseUrl', external);
    return;
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'sso-test-pg-'));
  await chmod(dir, 0o755); // the postgres user (when running as root) must reach its data folder
  await letPostgresUserReach([dir, embeddedBinariesDir()]);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
  });
  await server.initialise();
  await server.start();
  project.provide('adminDatabaseUrl', `postgresql://postgres:test@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
