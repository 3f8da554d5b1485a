/**
 * deploymentsRepository.settleAll: one batch of finished calls, each with a different next state,
 * written in two statements — every attempt numbered after its deployment's earlier ones, every
 * deployment in its own next state with its lease released, and a retry without an error keeping
 * the error recorded before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import type { AnyTx } from '../../../src/db/queryable.js';
import { inSqlTransaction } from '../../../src/db/transaction.js';
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

// The forwarder writes on a pg connection's transaction; the statements work in Prisma's as well.
const transactions = {
  'a pg connection': (work: (tx: AnyTx) => Promise<void>) => inSqlTransaction(database.pool, work),
  Prisma: (work: (tx: AnyTx) => Promise<void>) => database.prisma.$transaction(work),
};

it.each(Object.keys(transactions) as (keyof typeof transactions)[])(
  'settles a mixed batch: retry, success, failure and supersession, each in its own state (in a transaction of %s)',
  async (kind) => {
    const { prisma } = database;
    const { tenantId, orgs } = await seedOrgsWithVersion(prisma, 4, kind === 'Prisma' ? 'prisma' : 'pg');
    const lease = new Date(Date.now() + 60_000);
    const ids: string[] = [];
    for (const [i, org] of orgs.entries()) {
      const d = await prisma.deployment.create({
        data: {
          tenantId,
          orgId: (org as SeededOrg).orgId,
          versionId: (org as SeededOrg).versionId,
          versionNumber: 1,
          contentHash: `sha256:${'ab'.repeat(32)}`,
          state: 'in_flight',
          attempts: i === 0 ? 1 : 0,
          leaseOwner: 'w1',
          leaseExpiresAt: lease,
          lastError: i === 0 ? { detail: 'earlier 503' } : undefined,
        },
      });
      ids.push(d.id);
    }
    const [retried, succeeded, failed, superseded] = ids as [string, string, string, string];
    await prisma.deploymentAttempt.create({
      data: {
        deploymentId: retried,
        number: 1,
        worker: 'w1',
        startedAt: new Date('2026-11-27T09:59:00.000Z'),
        durationMs: 5,
        outcome: 'retryable',
        httpStatus: 503,
      },
    });
    const notBefore = new Date('2026-11-27T10:05:00.000Z');

    await transactions[kind]((tx) =>
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
      (await prisma.deployment.findMany({ where: { id: { in: ids } } })).map((d) => [d.id, d]),
    );
    for (const d of rows.values()) {
      expect(d.leaseOwner).toBeNull();
      expect(d.leaseExpiresAt).toBeNull();
    }
    expect(rows.get(retried)).toMatchObject({
      state: 'pending',
      attempts: 2,
      notBefore,
      finishedAt: null,
      lastError: { detail: 'earlier 503' },
    });
    expect(rows.get(succeeded)).toMatchObject({ state: 'succeeded', attempts: 1, lastError: null });
    expect(rows.get(succeeded)?.finishedAt).toBeInstanceOf(Date);
    expect(rows.get(failed)).toMatchObject({
      state: 'failed',
      lastError: { detail: 'bad "issuer"', httpStatus: 400 },
    });
    expect(rows.get(failed)?.finishedAt).toBeInstanceOf(Date);
    expect(rows.get(superseded)).toMatchObject({ state: 'superseded' });

    const attempts = await prisma.deploymentAttempt.findMany({
      where: { deploymentId: { in: ids } },
      orderBy: [{ deploymentId: 'asc' }, { number: 'asc' }],
    });
    const of = (id: string) => attempts.filter((a) => a.deploymentId === id);
    expect(of(retried).map((a) => [a.number, a.outcome])).toEqual([
      [1, 'retryable'],
      [2, 'timeout'],
    ]);
    expect(of(succeeded)).toMatchObject([
      { number: 1, outcome: 'success', httpStatus: 204, traceId: 'api--t1' },
    ]);
    expect(of(failed)).toMatchObject([{ number: 1, outcome: 'refused', error: { detail: 'bad "issuer"' } }]);
    expect(of(superseded)).toMatchObject([{ number: 1, outcome: 'skipped', durationMs: 12, error: null }]);
  },
);

it('does nothing for an empty batch', async () => {
  await expect(
    database.prisma.$transaction((tx) => deploymentsRepository.settleAll(tx, [])),
  ).resolves.toBeUndefined();
});
