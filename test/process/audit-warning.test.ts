/**
 * `npm start` (the built service) and the audit warning (issue 21): on a fresh data folder the
 * embedded database runs the service as its runtime role, which cannot rewrite the audit trail, so
 * the banner shows no warning; the same data folder with the service configured to connect as the
 * superuser shows it. Run `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cleanUpProcesses,
  embeddedDatabaseUrl,
  makeTempDir,
  PROJECT_ROOT,
  spawnService,
  stopService,
  tail,
  waitForBanner,
  waitForReady,
} from '../support/process.js';
import { AUDIT_WARNING } from '../support/runtime-role.js';

let dataDir: string;

beforeAll(async () => {
  expect(existsSync(join(PROJECT_ROOT, 'dist/src/server.js')), 'npm run build first').toBe(true);
  dataDir = join(await makeTempDir('audit-warning'), 'data');
});
afterAll(async () => {
  await cleanUpProcesses();
});

it('prints no audit warning on a fresh data folder, and prints it when the service is configured to run as the superuser', async () => {
  const service = await spawnService({ DATA_DIR: dataDir }, { built: true });
  const readyMs = await waitForReady(service, 60_000);
  await waitForBanner(service);
  console.info(`npm start on a fresh data folder: ready after ${Math.round(readyMs)} ms`);
  expect(service.stderr(), tail(service)).toContain('Database:  embedded PostgreSQL');
  expect(service.stderr(), tail(service)).not.toMatch(AUDIT_WARNING);
  expect(service.stdout()).not.toContain('audit_trail_rewritable');

  // The same data folder, the service told to connect as the cluster's superuser.
  const asSuperuser = await spawnService(
    { DATA_DIR: dataDir, DATABASE_URL: embeddedDatabaseUrl(dataDir), JOBS_WORKER: 'false' },
    { built: true },
  );
  await waitForReady(asSuperuser, 60_000);
  await waitForBanner(asSuperuser);
  expect(asSuperuser.stderr(), tail(asSuperuser)).toMatch(AUDIT_WARNING);
  expect(AUDIT_WARNING.exec(asSuperuser.stderr())?.slice(1)).toEqual(['postgres', 'is a superuser']);
  expect(asSuperuser.stdout()).toContain('"issue":"audit_trail_rewritable"');

  for (const running of [asSuperuser, service]) {
    const exit = await stopService(running, 'SIGTERM', 15_000);
    expect({ code: exit.code, signal: exit.signal }, tail(running)).toEqual({ code: 0, signal: null });
  }
}, 120_000);
