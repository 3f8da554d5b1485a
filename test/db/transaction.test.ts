/**
 * Transactions (`inTransaction`: Kysely's, on one pooled connection) and the audited changes that
 * run on them: all or nothing, the connection back in the pool afterwards (or discarded when it
 * broke), bounded in time, and no change without its audit event.
 */
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../../src/db/client.js';
import { inTransaction } from '../../src/db/transaction.js';
import { systemContext } from '../../src/lib/request-context.js';
import { createAuditService } from '../../src/modules/audit/audit.service.js';
import type { AuditEntry } from '../../src/modules/audit/audit-event.js';
import { createChangeRunner, UnauditedChangeError } from '../../src/modules/audit/audited-change.js';
import { createMigratedDatabase } from '../support/database.js';
import { countRows } from '../support/rows.js';

let database: Database;
let tenantId: string;

beforeAll(async () => {
  database = await createMigratedDatabase('sqltx');
  tenantId = (
    await database.db
      .insertInto('tenants')
      .values({ id: uuidv7(), slug: 'acme', name: 'Acme' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});

afterAll(async () => {
  await database?.close();
});

const orgCount = async () => countRows(database.db, 'orgs', { tenant_id: tenantId });
const insertOrg = (db: Db, slug: string) =>
  db.insertInto('orgs').values({ id: uuidv7(), tenant_id: tenantId, slug, name: slug }).execute();

describe('inTransaction', () => {
  it('commits what the work wrote and returns its result', async () => {
    const before = await orgCount();
    const result = await inTransaction(database.db, async (tx) => {
      await insertOrg(tx, 'committed');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await orgCount()).toBe(before + 1);
  });

  it('rolls back everything the work wrote when it throws, and rethrows its error', async () => {
    const before = await orgCount();
    const failure = new Error('the work failed');
    await expect(
      inTransaction(database.db, async (tx) => {
        await insertOrg(tx, 'rolled-back-1');
        await insertOrg(tx, 'rolled-back-2');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await orgCount()).toBe(before);
    expect(database.pool.idleCount).toBe(database.pool.totalCount); // the connection is back
  });

  it('bounds the transaction with timeouts of its own, gone once it ends', async () => {
    const inside = await inTransaction(database.db, async (tx) => {
      const { rows } = await sql<{ statement: string; idle: string }>`
        SELECT current_setting('statement_timeout') AS statement,
               current_setting('idle_in_transaction_session_timeout') AS idle`.execute(tx);
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
      inTransaction(database.db, async (tx) => {
        victim = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)).rows[0]?.pid ?? 0;
        await admin.query('SELECT pg_terminate_backend($1)', [victim]);
        await sql`SELECT 1`.execute(tx);
      }),
    ).rejects.toThrow();
    admin.release();
    // Every connection the pool still holds works, and none is the terminated one.
    const { rows } = await database.pool.query('SELECT pg_backend_pid() AS pid');
    expect(rows[0].pid).not.toBe(victim);
    expect(database.pool.idleCount).toBe(database.pool.totalCount);
  });
});

describe('an audited change', () => {
  const audit = () => createAuditService({ db: database.db, pool: database.pool });

  it('writes the change and its event together, chained like any other', async () => {
    const change = createChangeRunner(database.db, audit());
    const before = await orgCount();
    const record = await change(systemContext('test'), async (tx, trail) => {
      await insertOrg(tx, 'audited');
      return trail.record({
        tenantId,
        action: 'org.created',
        target: { type: 'org', id: 'audited' },
        diff: { after: { slug: 'audited' } },
      } as unknown as AuditEntry);
    });
    expect(await orgCount()).toBe(before + 1);
    const stored = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '=', record.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      chain: tenantId,
      seq: record.seq,
      hash: record.hash,
      action: 'org.created',
    });
    expect((await audit().verify(tenantId)).ok).toBe(true);
  });

  it('is rolled back when it records no event and does not say it changed nothing', async () => {
    const change = createChangeRunner(database.db, audit());
    const before = await orgCount();
    await expect(
      change(systemContext('test'), async (tx) => {
        await insertOrg(tx, 'unaudited');
      }),
    ).rejects.toBeInstanceOf(UnauditedChangeError);
    expect(await orgCount()).toBe(before);
  });
});
