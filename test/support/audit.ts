/** Helpers for audit tests: reading a tenant's chain, and appending many events fast. */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type AuditRecord, GENESIS_HASH, hashOf } from '../../src/modules/audit/audit-event.js';

export interface StoredEvent {
  seq: number;
  action: string;
  actor_id: string | null;
  actor_name: string;
  target_type: string;
  target_id: string;
  org_id: string | null;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  diff: { before?: Record<string, unknown>; after?: Record<string, unknown> };
}

export async function chainOf(pool: pg.Pool, tenantId: string): Promise<StoredEvent[]> {
  return (
    await pool.query<StoredEvent>('SELECT * FROM audit_events WHERE chain = $1 ORDER BY seq', [tenantId])
  ).rows;
}

export async function countEvents(pool: pg.Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]?.n);
}

/**
 * Appends `count` correctly chained events to a tenant's chain with multi-row INSERTs, as the
 * service would have written them one by one (for volume tests; the chain verifies).
 */
export async function appendManyEvents(
  pool: pg.Pool,
  tenantId: string,
  count: number,
  orgId: string | null = null,
) {
  const head = await pool.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1',
    [tenantId],
  );
  let seq = head.rows[0]?.seq ?? 0;
  let prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
  const start = Date.now();
  const batchSize = 1000;
  for (let done = 0; done < count; done += batchSize) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = 0; i < Math.min(batchSize, count - done); i += 1) {
      seq += 1;
      const unhashed: Omit<AuditRecord, 'hash'> = {
        id: randomUUID(),
        chain: tenantId,
        seq,
        tenantId,
        occurredAt: new Date(start + seq).toISOString(),
        actor: { type: 'api_key', id: randomUUID(), name: `bulk writer ${seq % 7}` },
        action: seq % 2 === 0 ? 'org.updated' : 'org.created',
        target: { type: 'org', id: orgId ?? randomUUID() },
        orgId,
        requestId: `req-${seq}`,
        sourceIp: '127.0.0.1',
        userAgent: 'volume-test',
        outcome: 'success',
        diff: {
          before: { name: `Org ${seq - 1}` },
          after: { name: `Org ${seq}`, labels: { n: String(seq) } },
        },
        prevHash,
      };
      const hash = hashOf(unhashed);
      prevHash = hash;
      const r = { ...unhashed, hash };
      const base = values.length;
      values.push(
        r.id,
        r.chain,
        r.seq,
        r.tenantId,
        r.occurredAt,
        r.actor.type,
        r.actor.id,
        r.actor.name,
        r.action,
        r.target.type,
        r.target.id,
        r.orgId,
        r.requestId,
        r.sourceIp,
        r.userAgent,
        r.outcome,
        JSON.stringify(r.diff),
        r.prevHash,
        r.hash,
      );
      rows.push(`(${Array.from({ length: 19 }, (_, k) => `$${base + k + 1}`).join(',')})`);
    }
    await pool.query(
      `INSERT INTO audit_events (id, chain, seq, tenant_id, occurred_at, actor_type, actor_id, actor_name, action,
         target_type, target_id, org_id, request_id, source_ip, user_agent, outcome, diff, prev_hash, hash)
       VALUES ${rows.join(',')}`,
      values,
    );
  }
  return { lastSeq: seq };
}
