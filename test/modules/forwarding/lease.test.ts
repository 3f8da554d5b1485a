/**
 * The worker's lease statements, on the pool as the worker runs them: a claim takes due deployments
 * oldest first, one per org with nothing in flight, under a lease; a heartbeat extends the lease of
 * the worker that holds it and of no one else, and stops once the deployment is settled.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { inTransaction } from '../../../src/db/transaction.js';
import { deploymentsRepository } from '../../../src/modules/forwarding/deployments.repository.js';
import { createMigratedDatabase } from '../../support/database.js';
import { type SeededOrg, seedOrgsWithVersion } from '../../support/rows.js';

let database: Database;

beforeAll(async () => {
  database = await createMigratedDatabase('lease');
});

afterAll(async () => {
  await database?.close();
});

const deployment = (id: string) =>
  database.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const leaseOf = async (id: string) => (await deployment(id)).lease_expires_at as Date;

it('claims due deployments oldest first under a lease, and only the holder’s heartbeat extends it', async () => {
  const { db } = database;
  const { tenantId, orgs } = await seedOrgsWithVersion(db, 3);
  const pending = async (org: SeededOrg, notBefore: Date) =>
    (
      await db
        .insertInto('deployments')
        .values({
          id: randomUUID(),
          tenant_id: tenantId,
          org_id: org.orgId,
          version_id: org.versionId,
          version_number: 1,
          content_hash: `sha256:${'ab'.repeat(32)}`,
          not_before: notBefore,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const [a, b, c] = orgs as [SeededOrg, SeededOrg, SeededOrg];
  const older = await pending(b, new Date(Date.now() - 60_000));
  const newer = await pending(a, new Date(Date.now() - 30_000));
  await pending(c, new Date(Date.now() + 60_000)); // not due yet

  const claimed = await deploymentsRepository.claim(db, 'w1', 10, 5_000);
  expect(claimed.map((d) => d.id)).toEqual([older, newer]);
  expect(claimed[0]).toMatchObject({ state: 'in_flight', leaseOwner: 'w1', newerWaiting: false });
  // Nothing else is due: a second worker gets nothing.
  expect(await deploymentsRepository.claim(db, 'w2', 10, 5_000)).toEqual([]);

  const before = await leaseOf(older);
  expect(before.getTime()).toBeGreaterThan(Date.now());
  expect(await deploymentsRepository.heartbeat(db, older, 'w1', 60_000)).toBe(true);
  expect((await leaseOf(older)).getTime()).toBeGreaterThan(before.getTime() + 50_000);
  // Another worker's heartbeat does nothing to a lease it does not hold.
  const held = await leaseOf(newer);
  expect(await deploymentsRepository.heartbeat(db, newer, 'w2', 60_000)).toBe(false);
  expect(await leaseOf(newer)).toEqual(held);

  // Settled: the lease is gone, and a late heartbeat cannot bring it back.
  await inTransaction(db, (tx) =>
    deploymentsRepository.settleAll(tx, [
      {
        id: older,
        attempt: {
          worker: 'w1',
          startedAt: new Date(),
          durationMs: 5,
          outcome: 'success',
          httpStatus: 200,
          traceId: null,
          error: null,
        },
        state: 'succeeded',
        attempts: 1,
        lastError: null,
      },
    ]),
  );
  expect(await deploymentsRepository.heartbeat(db, older, 'w1', 60_000)).toBe(false);
  expect(await deployment(older)).toMatchObject({
    state: 'succeeded',
    lease_owner: null,
    lease_expires_at: null,
  });
});
