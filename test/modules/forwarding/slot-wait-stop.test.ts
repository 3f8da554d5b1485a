/**
 * A call waiting for a slot of its installation is not an attempt (issue 21, item 5): with one slot
 * and three orgs on one installation, stopping the worker while one call runs lets that call finish
 * and puts the two waiting deployments back unsent — pending, due at once, no attempt recorded,
 * their budget untouched — and frees the slot. Started again, every org is configured with exactly
 * one attempt each.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { approvedWave } from './approved-wave.js';

const ORGS = 3;

let t: TestApp;
let fake: FakeCognigy;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  fake.setLatency(1_500);
  t = await createTestApp(
    {
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      FORWARDING_WORKER: 'false',
      FORWARDING_PER_API_BASE: '1',
      FORWARDING_POLL_MS: '50',
    },
    'slotwaitstop',
    { outbound: loopbackFetch() },
  );
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('stopping while calls wait for a slot puts them back unsent, without an attempt, and frees the slot', async () => {
  const { container } = t;
  const { db } = container.database;
  const { orgIds } = await approvedWave(t, fake, 'wait', ORGS);

  const deployments = () =>
    db
      .selectFrom('deployments')
      .select(['id', 'state', 'attempts', 'first_attempt_at', 'lease_owner'])
      .where('org_id', 'in', orgIds)
      .execute();
  const attempts = () =>
    db
      .selectFrom('deployment_attempts as a')
      .innerJoin('deployments as d', 'd.id', 'a.deployment_id')
      .select(['d.org_id', 'a.outcome'])
      .where('d.org_id', 'in', orgIds)
      .execute();

  container.forwarder.start();
  // All three claimed: one calling (the installation's one slot), two waiting for it.
  const until = Date.now() + 10_000;
  while (fake.gauge.now < 1 || (await deployments()).filter((d) => d.state === 'in_flight').length < ORGS) {
    if (Date.now() > until) throw new Error('the three deployments were not claimed within 10 s');
    await sleep(20);
  }
  await sleep(200); // the waiters have asked for the slot (and been refused) a few times
  expect(fake.gauge.now).toBe(1);

  await container.forwarder.stop(5_000);
  const after = await deployments();
  const succeeded = after.filter((d) => d.state === 'succeeded');
  const waiting = after.filter((d) => d.state === 'pending');
  expect(succeeded).toHaveLength(1); // the call under way finished within the grace period
  expect(waiting).toHaveLength(2);
  for (const d of waiting)
    expect(d).toMatchObject({ attempts: 0, first_attempt_at: null, lease_owner: null });
  expect(await attempts()).toHaveLength(1);
  expect(fake.calls).toHaveLength(1);
  const held = await db
    .selectFrom('installation_slots')
    .select('slot')
    .where('holder', 'is not', null)
    .execute();
  expect(held).toEqual([]);

  fake.setLatency(0);
  container.forwarder.start();
  const again = Date.now() + 15_000;
  while ((await deployments()).some((d) => d.state !== 'succeeded')) {
    if (Date.now() > again) throw new Error('not every deployment succeeded within 15 s');
    await sleep(50);
  }
  await container.forwarder.stop(5_000);
  const made = await attempts();
  expect(made.map((a) => a.outcome)).toEqual(['success', 'success', 'success']);
  expect(new Set(made.map((a) => a.org_id)).size).toBe(ORGS);
  for (const id of orgIds) expect(fake.stateOf(id)).toMatchObject({ kind: 'configured' });
}, 60_000);
