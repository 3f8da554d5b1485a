/**
 * The bound per installation shared through the slot table (issue 21, item 5), with two bounds on
 * one database standing for two processes: together they never hold more than the bound of one
 * installation, a freed slot goes to a waiter of either, installations are bounded apart, a slot of
 * a process that died is taken over once its lease runs out (not before), a wait given up at stop
 * rejects with SlotWaitStopped and takes nothing, and close frees what a process still holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { installationOf } from '../../../src/modules/cognigy/cognigy-api-base.js';
import {
  type InstallationBound,
  SlotWaitStopped,
} from '../../../src/modules/forwarding/installation-bound.js';
import { sharedInstallationBound } from '../../../src/modules/forwarding/installation-slots.js';
import { installationSlotsRepository } from '../../../src/modules/forwarding/installation-slots.repository.js';
import { keyedLimiter } from '../../../src/modules/forwarding/keyed-limiter.js';
import { createMigratedDatabase } from '../../support/database.js';

let database: Database;
const logger = { warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  database = await createMigratedDatabase('slots');
});
afterAll(async () => {
  await database?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bound = (worker: string, leaseMs = 30_000, retryMs = 20) =>
  sharedInstallationBound({ db: database.db, worker, bound: 3, leaseMs, logger, retryMs });

/** Polls `check` until it passes (the machine is shared: no fixed sleeps for database round trips). */
async function eventually(check: () => Promise<void> | void, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(20);
    }
  }
}

/** Starts `n` acquisitions; `granted` fills as they are answered. */
function acquireMany(
  on: InstallationBound,
  installation: string,
  n: number,
  signal = new AbortController().signal,
) {
  const granted: Array<() => void> = [];
  const settled = Array.from({ length: n }, () =>
    on.acquire(installation, signal).then((release) => {
      granted.push(release);
      return release;
    }),
  );
  return { granted, settled };
}

async function holders(installation: string) {
  return database.db
    .selectFrom('installation_slots')
    .select(['slot', 'holder'])
    .where('installation', '=', installation)
    .where('holder', 'is not', null)
    .orderBy('slot')
    .execute();
}

describe('the shared bound per installation', () => {
  it('two processes together hold at most the bound of one installation; a freed slot goes to a waiter', async () => {
    const a = bound('process-a');
    const b = bound('process-b');
    const inst = 'https://one.example.com/new';
    const fromA = acquireMany(a, inst, 2);
    await Promise.all(fromA.settled);
    const fromB = acquireMany(b, inst, 3);
    await sleep(150); // B asks several times meanwhile
    expect(fromB.granted).toHaveLength(1);
    expect((await holders(inst)).map((h) => h.holder).sort()).toEqual([
      'process-a',
      'process-a',
      'process-b',
    ]);

    fromA.granted[0]?.();
    fromA.granted[0]?.(); // a second call of one release changes nothing
    await eventually(() => expect(fromB.granted).toHaveLength(2));
    expect(await holders(inst)).toHaveLength(3);

    fromA.granted[1]?.();
    await Promise.all(fromB.settled);
    for (const release of fromB.granted) release();
    await eventually(async () => expect(await holders(inst)).toHaveLength(0));
    await Promise.all([a.close(), b.close()]);
  });

  it('a process giving a slot back while another waits leaves it to that one (it does not keep the installation)', async () => {
    const inst = 'https://fair.example.com/new';
    // A asks again every 100–300 ms, B every 10–30 ms: B asks first after a release (almost surely).
    const a = bound('process-busy', 30_000, 200);
    const b = bound('process-late', 30_000, 20);
    const fromA = acquireMany(a, inst, 6); // 3 calls and 3 more waiting
    await eventually(() => expect(fromA.granted).toHaveLength(3));
    const fromB = acquireMany(b, inst, 1);
    await sleep(60); // B has asked and come up short: it is said waiting
    fromA.granted[0]?.();
    await Promise.all(fromB.settled);
    // A's own waiters did not take it back at once (as they would with nobody else waiting).
    expect(fromA.granted).toHaveLength(3);
    for (const release of [...fromA.granted, ...fromB.granted]) release();
    await Promise.all(fromA.settled);
    for (const release of fromA.granted.slice(3)) release();
    await Promise.all([a.close(), b.close()]);
  });

  it('bounds each installation apart (origin and path: two paths of one host are two installations)', async () => {
    const a = bound('process-c');
    const one = installationOf('https://Shared.Example.com:443/one/');
    const two = installationOf('https://shared.example.com/two');
    expect(one).toBe('https://shared.example.com/one');
    const x = acquireMany(a, one, 3);
    const y = acquireMany(a, two, 3);
    await Promise.all([...x.settled, ...y.settled]);
    expect(await holders(one)).toHaveLength(3);
    expect(await holders(two)).toHaveLength(3);
    for (const release of [...x.granted, ...y.granted]) release();
    await a.close();
  });

  it('takes over the slots of a process killed mid-call once their lease has run out, and not before', async () => {
    const inst = 'https://crash.example.com/new';
    // What a process killed with -9 mid-call leaves: its slots taken under a lease nobody renews.
    await installationSlotsRepository.ensure(database.db, inst, 3);
    const taken = await installationSlotsRepository.claim(database.db, {
      installation: inst,
      bound: 3,
      limit: 3,
      worker: 'process-killed',
      leaseMs: 600,
      waitMs: 0,
    });
    expect(taken.slots).toEqual([0, 1, 2]);
    const heir = bound('process-heir');
    const started = Date.now();
    const wait = acquireMany(heir, inst, 3);
    await sleep(250);
    expect(wait.granted).toHaveLength(0); // the lease still runs
    await Promise.all(wait.settled);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect((await holders(inst)).map((h) => h.holder)).toEqual([
      'process-heir',
      'process-heir',
      'process-heir',
    ]);
    for (const release of wait.granted) release();
    await heir.close();
  });

  it('a wait given up at stop rejects with SlotWaitStopped and takes no slot; close frees what is still held', async () => {
    const inst = 'https://stop.example.com/new';
    const a = bound('process-d');
    const held = acquireMany(a, inst, 3);
    await Promise.all(held.settled);
    const stop = new AbortController();
    const waiting = a.acquire(inst, stop.signal);
    stop.abort();
    await expect(waiting).rejects.toBeInstanceOf(SlotWaitStopped);
    await expect(a.acquire(inst, stop.signal)).rejects.toBeInstanceOf(SlotWaitStopped);
    expect(await holders(inst)).toHaveLength(3);
    await a.close(); // the calls' releases were lost (say): close frees them
    expect(await holders(inst)).toHaveLength(0);
  });
});

describe('the bound per process (FORWARDING_PER_API_BASE_SHARED=false)', () => {
  it('holds in one process, hands a freed place to the next waiter, and gives up a wait at stop', async () => {
    const limiter = keyedLimiter(2);
    const first = acquireMany(limiter, 'i', 3);
    await sleep(10);
    expect(first.granted).toHaveLength(2);
    first.granted[0]?.();
    await sleep(10);
    expect(first.granted).toHaveLength(3);
    const stop = new AbortController();
    const waiting = limiter.acquire('i', stop.signal);
    stop.abort();
    await expect(waiting).rejects.toBeInstanceOf(SlotWaitStopped);
  });
});
