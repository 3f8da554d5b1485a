/**
 * The watch across a crash (issue 17): the service, a real process, is killed with SIGKILL in the
 * middle of a discovery round (some issuers checked, some being checked, some not started). The next
 * start reclaims the dead process's jobs once their leases run out and finishes the round: the
 * issuers checked before the crash are not fetched again, every expected finding exists once (one
 * `finding.opened` audit event each), and the audit chain verifies.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { periodStart } from '../../src/modules/jobs/periodic-job.js';
import { CLIENT_SECRET } from '../modules/discovery/idp-servers.js';
import { oidcDraft } from '../modules/sso-versions/sso-support.js';
import { type SwitchableIdp, startSwitchableIdp } from '../modules/watch/switchable-idp.js';
import { createMigratedDatabase } from '../support/database.js';
import {
  cleanUpProcesses,
  makeTempDir,
  type ServiceProcess,
  spawnService,
  tail,
  waitForReady,
} from '../support/process.js';
import { call, waitFor } from '../support/rollout.js';
import { testCertificates } from '../support/tls.js';

const PLATFORM_KEY = 'watch-crash-platform-key-0123456789abcdefghij';
const KEYRING = `watchcrash-1:${Buffer.alloc(32, 7).toString('base64')}`;
const ISSUERS = 8;
/** Every document is slow during the round: with 2 jobs at a time, the round takes ~4 × this. */
const DOCUMENT_DELAY_MS = 1_500;
/** Long enough that the schedule's own rounds stay those the test marks done before the start. */
const INTERVAL_SECONDS = 10 * 365 * 24 * 3600;
const ROUND = 'discovery:crash-1';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let dir: string;
let caFile: string;
const idps: SwitchableIdp[] = [];

async function start(label: string): Promise<ServiceProcess> {
  const service = await spawnService({
    DATABASE_URL: database.url,
    ENCRYPTION_KEYS: KEYRING,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    DATA_DIR: join(dir, label),
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: caFile,
    OUTBOUND_TIMEOUT_MS: '10000',
    FORWARDING_WORKER: 'false',
    JOBS_LEASE_SECONDS: '3',
    JOBS_POLL_MS: '100',
    JOBS_CONCURRENCY: '2',
    // Unpaced: the IdPs' delays stand in for work, and a pause of 3 × 1.5 s after each would only
    // stretch the round this test crashes in the middle of.
    WATCH_SHARE_PERCENT: '100',
    WATCH_DISCOVERY_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    WATCH_EXPIRY_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
  });
  await waitForReady(service, 60_000);
  return service;
}

interface IssuerJob {
  key: string;
  state: string;
  attempts: number;
  issuer: string;
}

async function issuerJobs(): Promise<IssuerJob[]> {
  const rows = await database.db
    .selectFrom('jobs')
    .select(['key', 'state', 'attempts', sql<string>`payload->>'issuer'`.as('issuer')])
    .where('queue', '=', 'watch.issuer')
    .where('key', 'like', `${ROUND}:%`)
    .execute();
  return rows;
}

beforeAll(async () => {
  database = await createMigratedDatabase('watchcrash');
  dir = await makeTempDir('watch-crash');
  caFile = join(dir, 'test-ca.pem');
  writeFileSync(caFile, testCertificates().caPem);
  for (let i = 0; i < ISSUERS; i += 1) idps.push(await startSwitchableIdp('key-1'));
  // The schedule's rounds of the current periods exist already (done): the only round is the test's.
  const now = Date.now();
  await database.db
    .insertInto('jobs')
    .values(
      (['discovery', 'local'] as const).map((kind) => {
        const key = `${kind}:${periodStart(now, INTERVAL_SECONDS * 1000).toISOString()}`;
        return {
          id: crypto.randomUUID(),
          queue: 'watch.round',
          key,
          payload: JSON.stringify({ kind, round: key }),
          state: 'done',
          finished_at: new Date(),
        };
      }),
    )
    .execute();
});

afterAll(async () => {
  await cleanUpProcesses();
  for (const idp of idps) await idp.close();
  await database?.close();
});

describe('the watch across a crash', () => {
  test('SIGKILL mid-round: the next start finishes the round, fetches nothing twice that was done, no duplicate findings, the chain verifies', async () => {
    const first = await start('first');
    const tenant = await call(first, 'POST', '/v1/tenants', PLATFORM_KEY, { slug: 'crash', name: 'Crash' });
    const admin: string = tenant.adminKey.token;
    const editor = (await call(first, 'POST', '/v1/api-keys', admin, { name: 'e', roles: ['editor'] })).token;
    const approver = (await call(first, 'POST', '/v1/api-keys', admin, { name: 'a', roles: ['approver'] }))
      .token;
    const orgIds = new Map<string, string>(); // issuer → org id
    for (const [i, idp] of idps.entries()) {
      const org = await call(first, 'POST', '/v1/orgs', admin, { slug: `org-${i}`, name: `Org ${i}` });
      orgIds.set(idp.issuer, org.id);
      await call(first, 'POST', `/v1/orgs/${org.id}/sso/versions`, editor, {
        ...oidcDraft(idp.issuer),
        baseVersion: 0,
      });
      await call(first, 'POST', `/v1/orgs/${org.id}/sso/versions/1/approve`, approver, {});
    }
    // every IdP rotates its key (an info finding each) and answers slowly from now on
    for (const idp of idps) {
      idp.rotate('key-2');
      idp.delayMs = DOCUMENT_DELAY_MS;
    }
    const baseline = idps.map((idp) => ({ ...idp.served }));

    await database.db
      .insertInto('jobs')
      .values({
        id: crypto.randomUUID(),
        queue: 'watch.round',
        key: ROUND,
        payload: JSON.stringify({ kind: 'discovery', round: ROUND }),
      })
      .execute();
    // kill when some issuers are checked and others are being checked
    await waitFor(
      'some issuer jobs done, others running',
      async () => {
        const jobs = await issuerJobs();
        return jobs.some((j) => j.state === 'done') && jobs.some((j) => j.state === 'running');
      },
      30_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const atCrash = await issuerJobs();
    const servedAtCrash = idps.map((idp) => ({ ...idp.served }));
    expect(atCrash).toHaveLength(ISSUERS);
    const doneBefore = new Set(atCrash.filter((j) => j.state === 'done').map((j) => j.issuer));
    const runningAtCrash = new Set(atCrash.filter((j) => j.state === 'running').map((j) => j.issuer));
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(doneBefore.size).toBeLessThan(ISSUERS);
    expect(runningAtCrash.size).toBeGreaterThan(0);

    const restartedAt = Date.now();
    const second = await start('second');
    await waitFor(
      'every issuer job done',
      async () => (await issuerJobs()).every((j) => j.state === 'done'),
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(second)}`);
    });
    const finishedInMs = Date.now() - restartedAt;

    // the round's jobs: one per issuer, each done; those cut short ran again, once
    const after = await issuerJobs();
    expect(after).toHaveLength(ISSUERS);
    expect(new Set(after.map((j) => j.issuer)).size).toBe(ISSUERS);
    for (const job of after) {
      if (doneBefore.has(job.issuer)) expect(job.attempts, job.key).toBe(1);
      else if (runningAtCrash.has(job.issuer)) expect(job.attempts, job.key).toBe(2);
      else expect(job.attempts, job.key).toBe(1);
    }
    // what was checked before the crash was not fetched again; everything else was fetched once more
    for (const [i, idp] of idps.entries()) {
      const before = servedAtCrash[i] as { documents: number; jwks: number };
      const base = baseline[i] as { documents: number; jwks: number };
      if (doneBefore.has(idp.issuer)) {
        expect(idp.served, idp.issuer).toEqual(before);
        expect(idp.served.documents - base.documents).toBe(1);
      } else {
        expect(idp.served.documents - before.documents, idp.issuer).toBe(1);
      }
    }

    // the findings: one rotation per org, once each, each opened once in the audit trail
    const findings = await call(second, 'GET', '/v1/findings?state=open&limit=100', admin);
    const items = findings.items as { id: string; kind: string; subject: string; org: { id: string } }[];
    expect(items.map((f) => f.kind).sort()).toEqual(Array(ISSUERS).fill('signing_keys_rotated'));
    expect(new Set(items.map((f) => f.subject))).toEqual(new Set(idps.map((idp) => idp.issuer)));
    for (const f of items) expect(f.org.id).toBe(orgIds.get(f.subject));
    const rows = await database.db
      .selectFrom('findings')
      .select(['org_id', 'kind', 'subject', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy(['org_id', 'kind', 'subject'])
      .execute();
    expect(rows).toHaveLength(ISSUERS);
    for (const r of rows) expect(Number(r.n), `${r.kind} ${r.subject}`).toBe(1);
    const opened = await call(second, 'GET', '/v1/audit-events?action=finding.opened&limit=100', admin);
    const openedTargets = (opened.items as { target: { id: string } }[]).map((e) => e.target.id).sort();
    expect(openedTargets).toEqual(items.map((f) => f.id).sort());

    const verify = await call(second, 'GET', '/v1/audit-events/verify', admin);
    expect(verify).toMatchObject({ ok: true });
    expect(second.stdout()).toContain('reclaimed jobs whose lease ran out');
    for (const s of [first, second]) expect(s.stdout() + s.stderr()).not.toContain(CLIENT_SECRET);
    expect(finishedInMs).toBeLessThan(30_000);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 180_000);
});
