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
  hash: string;
}

export async function chainOf(pool: pg.Pool, tenantId: string): Promise<StoredEvent[]> {
  return (
    await pool.query<StoredEvent>('SELECT * FROM audit_events WHERE chain = $1 ORDER BY seq', [tenantId])
  ).rows;
}

export async function countEvents(pool: pg.Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]?.n);
}

export interface ManyEventsOptions {
  /** Orgs the events are spread over (round robin); none: events without an org. */
  readonly orgIds?: readonly string[];
  /** Actors (API key ids) the events are spread over. */
  readonly actorIds?: readonly string[];
  readonly actions?: readonly string[];
  /** Called after every batch with the number of events written so far. */
  readonly onProgress?: (done: number) => void;
}

/**
 * Appends `count` correctly chained events to a tenant's chain, in batches of 5,000 rows sent as one
 * JSON parameter each (far faster than one bind parameter per column), exactly as the service would
 * have written them one by one: the chain verifies.
 */
export async function appendManyEvents(
  pool: pg.Pool,
  tenantId: string,
  count: number,
  options: ManyEventsOptions = {},
) {
  const head = await pool.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1',
    [tenantId],
  );
  let seq = head.rows[0]?.seq ?? 0;
  let prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
  const start = Date.now() - count; // one event per millisecond, ending now
  const actors = options.actorIds ?? [randomUUID()];
  const actions = options.actions ?? ['org.created', 'org.updated'];
  const batchSize = 5000;
  for (let done = 0; done < count; done += batchSize) {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < Math.min(batchSize, count - done); i += 1) {
      seq += 1;
      const orgId = options.orgIds ? (options.orgIds[seq % options.orgIds.length] as string) : null;
      const unhashed: Omit<AuditRecord, 'hash'> = {
        id: randomUUID(),
        chain: tenantId,
        seq,
        tenantId,
        occurredAt: new Date(start + done + i).toISOString(),
        actor: {
          type: 'api_key',
          id: actors[seq % actors.length] as string,
          name: `writer ${seq % actors.length}`,
        },
        action: actions[seq % actions.length] as string,
        target: { type: 'org', id: orgId ?? tenantId },
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
      rows.push({
        id: unhashed.id,
        chain: tenantId,
        seq,
        tenant_id: tenantId,
        occurred_at: unhashed.occurredAt,
        actor_type: unhashed.actor.type,
        actor_id: unhashed.actor.id,
        actor_name: unhashed.actor.name,
        action: unhashed.action,
        target_type: unhashed.target.type,
        target_id: unhashed.target.id,
        org_id: orgId,
        request_id: unhashed.requestId,
        source_ip: unhashed.sourceIp,
        user_agent: unhashed.userAgent,
        outcome: unhashed.outcome,
        diff: unhashed.diff,
        prev_hash: unhashed.prevHash,
        hash,
      });
    }
    await pool.query(
      'INSERT INTO audit_events SELECT * FROM jsonb_populate_recordset(NULL::audit_events, $1::jsonb)',
      [JSON.stringify(rows)],
    );
    options.onProgress?.(done + rows.length);
  }
  return { lastSeq: seq };
}
