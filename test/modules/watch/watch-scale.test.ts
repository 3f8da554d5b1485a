/**
 * Issue 17, second acceptance item: 1,000 orgs on one issuer cost one discovery document and one
 * JWKS fetch per round (counted at the provider), and two service instances on one database — each
 * with its own pool, job runner and schedule — running the rounds at the same time (and "check now"
 * calls for some of the same orgs meanwhile) still fetch once per issuer per round and open no
 * finding twice.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Container, createContainer } from '../../../src/container.js';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { readMigrations } from '../../../src/db/migrator.js';
import { createLogger } from '../../../src/lib/logger.js';
import { parseKeyringSpec } from '../../../src/modules/crypto/keyring.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { waitFor } from '../../support/rollout.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { oidcDraft } from '../sso-versions/sso-support.js';
import { type ControlledIdp, startControlledIdp } from './watch-support.js';

const ORGS = 1000;
const INTERVAL_SECONDS = 10;

let t: TestApp;
let second: { container: Container; database: Database };
let idp: ControlledIdp;
let tenant: TenantFixture;

beforeAll(async () => {
  idp = await startControlledIdp({ kid: 'scale-1', algs: ['RS256'] });
  const env = {
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    WATCH_DISCOVERY_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    WATCH_EXPIRY_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    JOBS_POLL_MS: '100',
    DB_POOL_MAX: '8',
  };
  t = await createTestApp(env, 'watch-scale', { outbound: loopbackFetch() });
  // A second instance of the service on the same database: its own pool, job runner and schedule.
  const database = openDatabase({ url: t.testDb.url, poolMax: 8 });
  second = {
    database,
    container: createContainer({
      config: t.config,
      logger: createLogger('warn', { write: () => undefined }),
      database,
      keyring: parseKeyringSpec(t.config.encryptionKeys as string),
      migrations: await readMigrations(),
      outbound: loopbackFetch(),
    }),
  };
  tenant = await createTenant(t.app);
  const editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  const approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  for (let i = 0; i < ORGS; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, (_, j) =>
        createOrg(t.app, tenant.adminKey, `scale-${i + j}`, { wave: 'scale' }),
      ),
    );
  }
  const drafted = await t.app.inject({
    method: 'POST',
    url: '/v1/sso/bulk',
    headers: bearer(editor),
    payload: { selector: { labels: { wave: 'scale' } }, change: oidcDraft(idp.issuer) },
  });
  expect(drafted.json().summary, drafted.body).toMatchObject({ succeeded: ORGS });
  const approved = await t.app.inject({
    method: 'POST',
    url: '/v1/sso/bulk/approve',
    headers: bearer(approver),
    payload: { bulkId: drafted.json().bulkId },
  });
  expect(approved.json().summary).toMatchObject({ succeeded: ORGS });
}, 120_000);

afterAll(async () => {
  await Promise.all([t?.container.jobs.stop(1000), second?.container.jobs.stop(1000)]);
  await second?.database.close();
  await t?.close();
  await idp?.close();
});

/** Both instances schedule the round of the period of `at` at once; returns the round's name. */
async function roundAt(at: number): Promise<string> {
  const created = await Promise.all([t.container.watch.schedule(at), second.container.watch.schedule(at)]);
  const round = `discovery:${new Date(Math.floor(at / (INTERVAL_SECONDS * 1000)) * INTERVAL_SECONDS * 1000).toISOString()}`;
  // one job per round however many instances schedule it
  expect(created.flat().filter((k) => k === round)).toHaveLength(1);
  return round;
}

async function roundDone(round: string): Promise<void> {
  await waitFor(
    `${round} done`,
    async () => {
      const { rows } = await sql<{ n: string; open: string }>`
        SELECT count(*) AS n, count(*) FILTER (WHERE state <> 'done') AS open FROM jobs
        WHERE key = ${round} OR starts_with(key, ${`${round}:`})`.execute(t.database.db);
      return Number(rows[0]?.n) >= 2 && Number(rows[0]?.open) === 0;
    },
    60_000,
  );
}

test('1,000 orgs on one issuer, two instances: one document and one JWKS per round, no finding twice', async () => {
  t.container.jobs.start();
  second.container.jobs.start();

  // Round 1: a healthy IdP. One fetch of each, nothing found.
  let before = { ...idp.served };
  const first = await roundAt(Date.now());
  await roundDone(first);
  expect(idp.served.documents - before.documents).toBe(1);
  expect(idp.served.jwks - before.jwks).toBe(1);
  const open = () =>
    sql<{ n: string }>`SELECT count(*) AS n FROM findings WHERE tenant_id = ${tenant.id} AND state = 'open'`
      .execute(t.database.db)
      .then((r) => Number(r.rows[0]?.n));
  expect(await open()).toBe(0);

  // Round 2: the IdP rotated its keys. Meanwhile people check some orgs now through both instances.
  idp.reconfigure({ kid: 'scale-2', algs: ['RS256'] });
  before = { ...idp.served };
  const next = await roundAt(Date.now() + INTERVAL_SECONDS * 1000);
  const editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  const checksNow = Array.from({ length: 20 }, (_, i) =>
    (i % 2 === 0 ? t.container : second.container).watch.runOrg(
      { kind: 'tenant', keyId: 'k', keyName: 'k', tenantId: tenant.id, roles: ['editor'], orgScope: null },
      `scale-${i}`,
    ),
  );
  await Promise.all(checksNow);
  await roundDone(next);
  expect(editor).toEqual(expect.any(String));
  // The round fetched once; each "check now" fetched once more (20 of them).
  expect(idp.served.documents - before.documents).toBe(1 + 20);
  expect(idp.served.jwks - before.jwks).toBe(1 + 20);

  const { rows } = await sql<{ n: string; orgs: string; keys: string }>`
    SELECT count(*) AS n, count(DISTINCT org_id) AS orgs, count(DISTINCT (org_id, kind, subject)) AS keys
    FROM findings WHERE tenant_id = ${tenant.id}`.execute(t.database.db);
  expect(rows[0]).toEqual({ n: String(ORGS), orgs: String(ORGS), keys: String(ORGS) });
  const events = await sql<{ n: string; targets: string }>`
    SELECT count(*) AS n, count(DISTINCT target_id) AS targets FROM audit_events
    WHERE chain = ${tenant.id} AND action = 'finding.opened'`.execute(t.database.db);
  expect(events.rows[0]).toEqual({ n: String(ORGS), targets: String(ORGS) });
  const verify = await t.app.inject({
    method: 'GET',
    url: '/v1/audit-events/verify',
    headers: bearer(tenant.adminKey),
  });
  expect(verify.json()).toMatchObject({ ok: true });
}, 180_000);
