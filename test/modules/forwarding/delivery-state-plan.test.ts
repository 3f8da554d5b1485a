/**
 * GET …/sso's delivery state looks up one org's deployments through indexes led by the org, never
 * by state with the org as a filter. Every deployment passes through pending and in_flight, so
 * after a rollout most index entries of those states are dead rows until a vacuum: a lookup by
 * state walked them all (125 buffers per read on 10,000 orgs, twice the PostgreSQL CPU of
 * GET …/sso in bench:load) until the (state, not_before) index was dropped and pending got a
 * per-org index (migration 20261204010000). Checked on the plan PostgreSQL chooses, after such a
 * rollout, with statistics and without.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { orgsWithDelivery } from '../../../src/modules/forwarding/delivery-state.js';
import { createMigratedDatabase } from '../../support/database.js';
import { seedOrgsWithVersion } from '../../support/rows.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

let database: Database;
let orgId: string;
/** A transaction id issued after the rollout's last change. */
let rolloutDone: string;

interface Lookup {
  readonly node: string;
  readonly index?: string;
  readonly cond?: string;
  /** Buffers it touched (with EXPLAIN ANALYZE only). */
  readonly buffers?: number;
}

/** Every read of the deployments table in a plan: its node type, and the index and condition it uses. */
function deploymentLookups(node: PlanNode): Lookup[] {
  const children = node.Plans ?? [];
  const own: Lookup[] = [];
  if (node['Relation Name'] === 'deployments') {
    // A bitmap heap scan takes its index and condition from its bitmap index scan below.
    const source = node['Node Type'] === 'Bitmap Heap Scan' ? (children[0] ?? node) : node;
    own.push({
      node: node['Node Type'],
      index: source['Index Name'],
      cond: source['Index Cond'],
      buffers: (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0),
    });
    return own;
  }
  return children.flatMap(deploymentLookups);
}

/** The plan of the state read; `run`: run it too (EXPLAIN ANALYZE), counting buffers. */
async function planOfStateRead(run = false): Promise<Lookup[]> {
  const { db } = database;
  const query = orgsWithDelivery(db).where('o.id', '=', orgId).compile();
  // EXPLAIN of the statement as the service runs it: with its parameters.
  const options = run ? 'ANALYZE, BUFFERS, FORMAT JSON' : 'FORMAT JSON';
  const explained = await database.pool.query(`EXPLAIN (${options}) ${query.sql}`, [...query.parameters]);
  const plan = (explained.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode }> })['QUERY PLAN'][0]?.Plan;
  return deploymentLookups(plan as PlanNode);
}

beforeAll(async () => {
  database = await createMigratedDatabase('delivery_plan');
  const { db } = database;
  // No autovacuum on the table: what is checked is the state between a rollout and the next vacuum.
  await sql`ALTER TABLE deployments SET (autovacuum_enabled = false)`.execute(db);
  const seeded = await seedOrgsWithVersion(db, 300);
  orgId = seeded.orgs[150]?.orgId as string;
  // A rollout: every org's deployment enqueued, claimed, then applied (two dead rows each).
  await sql`INSERT INTO deployments (id, tenant_id, org_id, version_id, version_number, content_hash)
            SELECT gen_random_uuid(), tenant_id, org_id, id, number, content_hash FROM sso_versions`.execute(
    db,
  );
  await sql`UPDATE deployments SET state = 'in_flight', lease_owner = 'worker',
            lease_expires_at = now() + interval '30 seconds'`.execute(db);
  await sql`UPDATE deployments SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL,
            finished_at = now()`.execute(db);
  rolloutDone = (await sql<{ xid: string }>`SELECT pg_current_xact_id()::text AS xid`.execute(db)).rows[0]
    ?.xid as string;
});

/**
 * Until every transaction older than the rollout has ended, anywhere on the server, its dead rows
 * may still be seen by one, and no read may mark their index entries dead. Test files run in
 * parallel on one server: another file's long write transaction holds this back for a while.
 */
async function untilRolloutInvisibleToAll(timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql<{ passed: boolean }>`
      SELECT pg_snapshot_xmin(pg_current_snapshot()) > ${rolloutDone}::xid8 AS passed`.execute(database.db);
    if (rows[0]?.passed) return;
    if (Date.now() > until) throw new Error('a transaction older than the rollout is still running');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  await database?.close();
});

describe('the delivery state of one org', () => {
  const expectPerOrgLookups = (lookups: Lookup[]) => {
    // applied, in flight, waiting, failed: four lookups, each through an index on the org.
    expect(lookups, JSON.stringify(lookups)).toHaveLength(4);
    for (const lookup of lookups) {
      expect(lookup.node, JSON.stringify(lookup)).toMatch(/^(Index (Only )?Scan|Bitmap Heap Scan)$/);
      expect(lookup.cond ?? 'none', JSON.stringify(lookup)).toMatch(/org_id = o\.id/);
    }
  };

  it('is read through indexes led by the org, before statistics exist', async () => {
    expectPerOrgLookups(await planOfStateRead());
  });

  // With statistics that say no deployment is pending, PostgreSQL may read the waiting deployment
  // through the claim's partial index of pending rows (deployments_due_idx) with the org as a filter:
  // estimated a little cheaper than the per-org index (6.02 against 5.91 here), and it is, once its
  // dead entries are marked: a plain index scan marks the dead entries it meets (10 buffers on its
  // first read after the rollout here, 1 after), which a bitmap scan of the dropped index never did.
  // So the check after ANALYZE: the other three lookups led by the org, and the waiting one either
  // way, reading at most 2 buffers once the first read has passed (a read marks only entries of rows
  // no transaction can see any more).
  it('and after ANALYZE, where the waiting deployment may come from the claim index, cheaply', {
    timeout: 90_000,
  }, async () => {
    await sql`ANALYZE deployments`.execute(database.db);
    await untilRolloutInvisibleToAll();
    await planOfStateRead(true);
    const lookups = await planOfStateRead(true);
    expect(lookups, JSON.stringify(lookups)).toHaveLength(4);
    for (const lookup of lookups) {
      expect(lookup.node, JSON.stringify(lookup)).toMatch(/^(Index (Only )?Scan|Bitmap Heap Scan)$/);
      if (lookup.index === 'deployments_due_idx')
        expect(lookup.buffers, JSON.stringify(lookup)).toBeLessThanOrEqual(2);
      else expect(lookup.cond ?? 'none', JSON.stringify(lookup)).toMatch(/org_id = o\.id/);
    }
    expect(lookups.filter((l) => l.index === 'deployments_due_idx').length).toBeLessThanOrEqual(1);
  });
});
