/**
 * Reclaiming a deployment whose lease ran out (issue 21, item 4): the supersession and its audit
 * event are one transaction. A failure injected between them (the event's write fails) leaves
 * neither: the deployment stays in flight under its old lease, no attempt is recorded, no event
 * written; the next reclaim does both.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createAuditService } from '../../../src/modules/audit/audit.service.js';
import { type ChangeRunner, createChangeRunner } from '../../../src/modules/audit/audited-change.js';
import { reclaimExpiredDeployments } from '../../../src/modules/forwarding/reclaim.js';
import { chainOf } from '../../support/audit.js';
import { createMigratedDatabase } from '../../support/database.js';
import { seedOrgsWithVersion } from '../../support/rows.js';

let database: Database & { url: string };

beforeAll(async () => {
  database = await createMigratedDatabase('reclaim');
});
afterAll(async () => {
  await database?.close();
});

it('a failure between the supersession and its event leaves neither; a later reclaim does both', async () => {
  const { db, pool } = database;
  const { tenantId, orgs } = await seedOrgsWithVersion(db, 1);
  const { orgId, versionId } = orgs[0] as (typeof orgs)[number];
  const v2 = await db
    .insertInto('sso_versions')
    .values({
      id: randomUUID(),
      tenant_id: tenantId,
      org_id: orgId,
      number: 2,
      kind: 'disabled',
      content: JSON.stringify({}),
      content_hash: `sha256:${'cd'.repeat(32)}`,
      created_by_name: 'editor',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const deployment = (version: string, number: number, state: string) => ({
    id: randomUUID(),
    tenant_id: tenantId,
    org_id: orgId,
    version_id: version,
    version_number: number,
    content_hash: `sha256:${'ab'.repeat(32)}`,
    state,
  });
  const stuck = deployment(versionId, 1, 'in_flight');
  await db
    .insertInto('deployments')
    .values([
      { ...stuck, lease_owner: 'dead-worker', lease_expires_at: new Date(Date.now() - 60_000) },
      deployment(v2.id, 2, 'pending'),
    ])
    .execute();

  const audit = createAuditService({ db, pool });
  const change = createChangeRunner(db, audit);
  // The event's write fails, after the reclaim statement ran in the same transaction.
  const failingEvent: ChangeRunner = (ctx, work) =>
    change(ctx, (tx, trail) =>
      work(tx, {
        ...trail,
        recordAll: async () => {
          throw new Error('injected: the process dies before the event is written');
        },
      }),
    );
  const logger = createLogger('silent');
  await expect(reclaimExpiredDeployments({ change: failingEvent, logger, worker: 'w2' })).rejects.toThrow(
    /injected/,
  );
  const after = await db
    .selectFrom('deployments')
    .selectAll()
    .where('id', '=', stuck.id)
    .executeTakeFirstOrThrow();
  expect(after).toMatchObject({ state: 'in_flight', lease_owner: 'dead-worker', attempts: 0 });
  const attempts = await db
    .selectFrom('deployment_attempts')
    .selectAll()
    .where('deployment_id', '=', stuck.id)
    .execute();
  expect(attempts).toEqual([]);
  expect(await chainOf(pool, tenantId)).toEqual([]);

  await reclaimExpiredDeployments({ change, logger, worker: 'w2' });
  const superseded = await db
    .selectFrom('deployments')
    .selectAll()
    .where('id', '=', stuck.id)
    .executeTakeFirstOrThrow();
  expect(superseded).toMatchObject({ state: 'superseded', lease_owner: null, attempts: 1 });
  const events = await chainOf(pool, tenantId);
  expect(events.map((e) => [e.action, e.target_id])).toEqual([['deployment.superseded', stuck.id]]);
});
