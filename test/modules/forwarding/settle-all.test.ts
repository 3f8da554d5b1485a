/**
 * deploymentsRepository.settleAll: one batch of finished calls, each with a different next state,
 * written in two statements — every attempt numbered after its deployment's earlier ones, every
 * deployment in its own next state with its lease released, and a retry without an error keeping
 * the error recorded before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { inTransaction } from '../../../src/db/transaction.js';
import {
  type AttemptRecord,
  deploymentsRepository,
} from '../../../src/modules/forwarding/deployments.repository.js';
import { createMigratedDatabase } from '../../support/database.js';
import { type SeededOrg, seedOrgsWithVersion } from '../../support/rows.js';

let database: Database;

beforeAll(async () => {
  database = await createMigratedDatabase('settleall');
});

afterAll(async () => {
  await database?.close();
});

const attempt = (outcome: AttemptRecord['outcome'], extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
  worker: 'w1',
  startedAt: new Date('2026-11-27T10:00:00.000Z'),
  durationMs: 12,
  outcome,
  httpStatus: null,
  traceId: null,
  error: null,
  ...extra,
});

it('settles a mixed batch: retry, success, failure and supersession, each in its own state', async () => {
  const { db } = database;
  const { tenantId, orgs } = await seedOrgsWithVersion(db, 4);
  const lease = new Date(Date.now() + 60_000);
  const ids: string[] = [];
  for (const [i, org] of orgs.entries()) {
    const d = await db
      .insertInto('deployments')
      .values({
        id: randomUUID(),
        tenant_id: tenantId,
        org_id: (org as SeededOrg).orgId,
        version_id: (org as SeededOrg).versionId,
        version_number: 1,
        content_hash: `sha256:${'ab'.repeat(32)}`,
        state: 'in_flight',
        attempts: i === 0 ? 1 : 0,
        lease_owner: 'w1',
        lease_expires_at: lease,
        last_error: i === 0 ? JSON.stringify({ detail: 'earlier 503' }) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(d.id);
  }
  const [retried, succeeded, failed, superseded] = ids as [string, string, string, string];
  await db
    .insertInto('deployment_attempts')
    .values({
      id: randomUUID(),
      deployment_id: retried,
      number: 1,
      worker: 'w1',
      started_at: new Date('2026-11-27T09:59:00.000Z'),
      duration_ms: 5,
      outcome: 'retryable',
      http_status: 503,
    })
    .execute();
  const notBefore = new Date('2026-11-27T10:05:00.000Z');

  await inTransaction(db, (tx) =>
    deploymentsRepository.settleAll(tx, [
      {
        id: retried,
        attempt: attempt('timeout'),
        state: 'pending',
        attempts: 2,
        notBefore,
        lastError: null,
      },
      {
        id: succeeded,
        attempt: attempt('success', { httpStatus: 204, traceId: 'api--t1' }),
        state: 'succeeded',
        attempts: 1,
        lastError: null,
      },
      {
        id: failed,
        attempt: attempt('refused', { httpStatus: 400, error: { detail: 'bad "issuer"' } }),
        state: 'failed',
        attempts: 1,
        lastError: { detail: 'bad "issuer"', httpStatus: 400 },
      },
      { id: superseded, attempt: attempt('skipped'), state: 'superseded', attempts: 1, lastError: null },
    ]),
  );

  const rows = new Map(
    (await db.selectFrom('deployments').selectAll().where('id', 'in', ids).execute()).map((d) => [d.id, d]),
  );
  for (const d of rows.values()) {
    expect(d.lease_owner).toBeNull();
    expect(d.lease_expires_at).toBeNull();
  }
  expect(rows.get(retried)).toMatchObject({
    state: 'pending',
    attempts: 2,
    not_before: notBefore,
    finished_at: null,
    last_error: { detail: 'earlier 503' },
  });
  expect(rows.get(succeeded)).toMatchObject({ state: 'succeeded', attempts: 1, last_error: null });
  expect(rows.get(succeeded)?.finished_at).toBeInstanceOf(Date);
  expect(rows.get(failed)).toMatchObject({
    state: 'failed',
    last_error: { detail: 'bad "issuer"', httpStatus: 400 },
  });
  expect(rows.get(failed)?.finished_at).toBeInstanceOf(Date);
  expect(rows.get(superseded)).toMatchObject({ state: 'superseded' });

  const attempts = await db
    .selectFrom('deployment_attempts')
    .selectAll()
    .where('deployment_id', 'in', ids)
    .orderBy('deployment_id', 'asc')
    .orderBy('number', 'asc')
    .execute();
  const of = (id: string) => attempts.filter((a) => a.deployment_id === id);
  expect(of(retried).map((a) => [a.number, a.outcome])).toEqual([
    [1, 'retryable'],
    [2, 'timeout'],
  ]);
  expect(of(succeeded)).toMatchObject([
    { number: 1, outcome: 'success', http_status: 204, trace_id: 'api--t1' },
  ]);
  expect(of(failed)).toMatchObject([{ number: 1, outcome: 'refused', error: { detail: 'bad "issuer"' } }]);
  expect(of(superseded)).toMatchObject([{ number: 1, outcome: 'skipped', duration_ms: 12, error: null }]);
});

it('does nothing for an empty batch', async () => {
  await expect(
    inTransaction(database.db, (tx) => deploymentsRepository.settleAll(tx, [])),
  ).resolves.toBeUndefined();
});
