/**
 * Transactions on one pooled `pg` connection (`inSqlTransaction`) and the audited changes that run
 * on them: all or nothing, the connection back in the pool afterwards (or discarded when it broke),
 * bounded in time, and no change without its audit event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { inSqlTransaction } from '../../src/db/transaction.js';
import { systemContext } from '../../src/lib/request-context.js';
import { createAuditService } from '../../src/modules/audit/audit.service.js';
import type { AuditEntry } from '../../src/modules/audit/audit-event.js';
import { createSqlChangeRunner, UnauditedChangeError } from '../../src/modules/audit/audited-change.js';
import { createMigratedDatabase } from '../support/database.js';

let database: Database;
let tenantId: string;

beforeAll(async () => {
  database = await createMigratedDatabase('sqltx');
  tenantId = (await database.prisma.tenant.create({ data: { slug: 'acme', name: 'Acme' } })).id;
});

afterAll(async () => {
  await database?.close();
});

const orgCount = async () => database.prisma.org.count({ where: { tenantId } });
const insertOrg = (slug: string) => ({
  text: 'INSERT INTO orgs (id, tenant_id, slug, name) VALUES (gen_random_uuid(), $1::uuid, $2, $2)',
  values: [tenantId, slug],
});

describe('inSqlTransaction', () => {
  it('commits what the work wrote and returns its result', async () => {
    const before = await orgCount();
    const result = await inSqlTransaction(database.pool, async (tx) => {
      await tx.query(insertOrg('committed'));
      return 'done';
    });
    expect(result).toBe('done');
    expect(await orgCount()).toBe(before + 1);
  });

  it('rolls back everything the work wrote when it throws, and rethrows its error', async () => {
    const before = await orgCount();
    const failure = new Error('the work failed');
    await expect(
      inSqlTransaction(database.pool, async (tx) => {
        await tx.query(insertOrg('rolled-back-1'));
        await tx.query(insertOrg('rolled-back-2'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await orgCount()).toBe(before);
    expect(database.pool.idleCount).toBe(database.pool.totalCount); // the connection is back
  });

  it('bounds the transaction with timeouts of its own, gone once it ends', async () => {
    const inside = await inSqlTransaction(database.pool, async (tx) => {
      const { rows } = await tx.query(
        `SELECT current_setting('statement_timeout') AS statement,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      );
      return rows[0];
    });
    expect(inside).toEqual({ statement: '15s', idle: '15s' });
    const client = await database.pool.connect();
    try {
      const { rows } = await client.query(`SELECT current_setting('statement_timeout') AS statement`);
      expect(rows[0].statement).toBe('0');
    } finally {
      client.release();
    }
  });

  it('discards a connection that broke during the work instead of returning it to the pool', async () => {
    const admin = await database.pool.connect();
    let victim = 0;
    await expect(
      inSqlTransaction(database.pool, async (tx) => {
        victim = (await tx.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await admin.query('SELECT pg_terminate_backend($1)', [victim]);
        await tx.query('SELECT 1');
      }),
    ).rejects.toThrow();
    admin.release();
    // Every connection the pool still holds works, and none is the terminated one.
    const { rows } = await database.pool.query('SELECT pg_backend_pid() AS pid');
    expect(rows[0].pid).not.toBe(victim);
    expect(database.pool.idleCount).toBe(database.pool.totalCount);
  });
});

describe('an audited change on a pg connection', () => {
  const audit = () => createAuditService({ db: database.prisma, pool: database.pool });

  it('writes the change and its event together, chained like any other', async () => {
    const change = createSqlChangeRunner(database.pool, audit());
    const before = await orgCount();
    const record = await change(systemContext('test'), async (tx, trail) => {
      await tx.query(insertOrg('audited'));
      // The runner does not read the diff: a stand-in, not an org's whole view.
      return trail.record({
        tenantId,
        action: 'org.created',
        target: { type: 'org', id: 'audited' },
        diff: { after: { slug: 'audited' } },
      } as unknown as AuditEntry);
    });
    expect(await orgCount()).toBe(before + 1);
    const stored = await database.prisma.auditEvent.findUniqueOrThrow({ where: { id: record.id } });
    expect(stored).toMatchObject({
      chain: tenantId,
      seq: record.seq,
      hash: record.hash,
      action: 'org.created',
    });
    expect((await audit().verify(tenantId)).ok).toBe(true);
  });

  it('is rolled back when it records no event and does not say it changed nothing', async () => {
    const change = createSqlChangeRunner(database.pool, audit());
    const before = await orgCount();
    await expect(
      change(systemContext('test'), async (tx) => {
        await tx.query(insertOrg('unaudited'));
      }),
    ).rejects.toBeInstanceOf(UnauditedChangeError);
    expect(await orgCount()).toBe(before);
  });
});
