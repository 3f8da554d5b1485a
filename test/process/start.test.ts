/**
 * `npm start` on a fresh clone (§9): no DATABASE_URL, so the service starts its own embedded
 * PostgreSQL under DATA_DIR, migrates, and prints the URL, the docs URL and a one-time platform key.
 * Acceptance criterion: on a fresh data folder, /readyz answers 200 within 15 s.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanUpProcesses,
  embeddedCluster,
  makeTempDir,
  printedKeys,
  spawnService,
  stopService,
  tail,
  waitForBanner,
  waitForReady,
} from '../support/process.js';

const READY_WITHIN_MS = 15_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

describe('the service started as a process without DATABASE_URL', () => {
  let dataDir: string;
  let platformKey: string | undefined;

  beforeAll(async () => {
    dataDir = join(await makeTempDir('start'), 'data');
  });

  afterAll(async () => {
    await cleanUpProcesses();
  });

  it('is ready within 15 s on a fresh data folder, serves its docs, prints one platform key, and stops cleanly on SIGTERM', async () => {
    const service = await spawnService({
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const readyMs = await waitForReady(service, 60_000);
    console.info(`fresh data folder: /readyz answered 200 after ${Math.round(readyMs)} ms`);
    expect(readyMs, tail(service)).toBeLessThanOrEqual(READY_WITHIN_MS);

    const docs = await fetch(`${service.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await docs.text();
    expect(html).toContain('swagger-ui');
    expect(html).toMatch(/<html/i);

    const openapi = await fetch(`${service.url}/openapi.json`);
    expect(openapi.status).toBe(200);
    const document = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/tenants', '/v1/orgs']));

    await waitForBanner(service);
    const banner = service.stderr();
    expect(banner).toContain(`listening on ${service.url}`);
    expect(banner).toContain(`${service.url}/docs`);
    const keys = printedKeys(service);
    expect(keys, banner).toHaveLength(1);
    platformKey = keys[0] as string;
    expect(banner.split(platformKey)).toHaveLength(2); // printed exactly once
    expect(service.stdout()).not.toContain(platformKey); // and never logged

    const tenants = await fetch(`${service.url}/v1/tenants`, {
      headers: { authorization: `Bearer ${platformKey}` },
    });
    expect(tenants.status).toBe(200);

    // The generated master key lives in the data folder, readable by its owner only.
    const keyFile = join(dataDir, 'encryption-keys');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const cluster = embeddedCluster(dataDir);
    expect(cluster?.alive).toBe(true);

    const exit = await stopService(service, 'SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000);
    expect(exit.timedOut, tail(service)).toBe(false);
    expect({ code: exit.code, signal: exit.signal }, tail(service)).toEqual({ code: 0, signal: null });
    expect(exit.ms).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    // The embedded cluster was stopped with it: no postmaster.pid, no postgres process left.
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(() => process.kill(cluster?.pid as number, 0)).toThrow();
  }, 120_000);

  it('prints no new platform key on a second start of the same data folder, and the first one still works', async () => {
    expect(platformKey, 'the first start must have printed a key').toBeDefined();
    const service = await spawnService({
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await waitForReady(service, 60_000);
    await waitForBanner(service);
    expect(printedKeys(service), service.stderr()).toEqual([]);

    const tenants = await fetch(`${service.url}/v1/tenants`, {
      headers: { authorization: `Bearer ${platformKey}` },
    });
    expect(tenants.status).toBe(200);

    const exit = await stopService(service, 'SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000);
    expect({ code: exit.code, signal: exit.signal }, tail(service)).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
