/**
 * The slot table of the bound per Cognigy installation shared by every process on the database
 * (issue 21, item 5; migration 20261207020000_installation_slots). A slot is a row (installation,
 * number); a call holds one under a lease. Every statement is one round trip on a table of at most
 * installations × bound rows, prepared (run for every call under load).
 */
import { type Expression, type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import type { DB } from '../../generated/kysely/types.js';

const leaseFrom = (leaseSeconds: number) =>
  sql<Date>`now() + make_interval(secs => ${leaseSeconds}::double precision)`;

/** The slots 0 … bound − 1 of an installation, created if missing (once per installation and process). */
const ENSURE = prepared('installation_slots_ensure', (db, p: { installation: string; bound: number }) =>
  db
    .insertInto('installation_slots')
    .columns(['installation', 'slot'])
    .expression((eb) =>
      eb
        .selectFrom(sql<{ n: number }>`generate_series(0, ${p.bound}::int - 1)`.as('g'))
        .select([sql<string>`${p.installation}::text`.as('installation'), sql<number>`g`.as('slot')]),
    )
    .onConflict((oc) => oc.doNothing()),
);

/** Other workers that wait for a slot of the installation `installation` (a column of the outer query). */
const othersWaiting = (
  eb: ExpressionBuilder<DB, 'installation_slots'>,
  installation: Expression<string>,
  worker: string,
) =>
  eb
    .selectFrom('installation_waits as w')
    .select((w) => w.fn.countAll<string>().as('n'))
    .where('w.installation', '=', installation)
    .where('w.worker', '<>', worker)
    .where('w.until', '>', sql<Date>`now()`);

/**
 * Up to `limit` free slots (no holder, or a lease that ran out: its process died) taken for `worker`;
 * slots another process is taking at this moment are skipped, not waited for. When fewer than
 * `limit` were free, `worker` is recorded as waiting for `waitSeconds`. Each row says who held the
 * slot before when its lease had run out.
 */
const CLAIM = prepared(
  'installation_slots_claim',
  (
    db,
    p: {
      installation: string;
      bound: number;
      limit: number;
      worker: string;
      leaseSeconds: number;
      waitSeconds: number;
    },
  ) =>
    db
      .with('free', (db) =>
        db
          .selectFrom('installation_slots')
          .select(['installation', 'slot', 'holder as expiredHolder'])
          .where('installation', '=', p.installation)
          .where('slot', '<', p.bound)
          .where((eb) => eb.or([eb('holder', 'is', null), eb('lease_expires_at', '<', sql<Date>`now()`)]))
          .orderBy('slot')
          .limit(p.limit)
          .forUpdate()
          .skipLocked(),
      )
      .with('waiting', (db) =>
        db
          .insertInto('installation_waits')
          .columns(['installation', 'worker', 'until'])
          .expression(
            db
              .selectNoFrom([
                sql<string>`${p.installation}::text`.as('installation'),
                sql<string>`${p.worker}::text`.as('worker'),
                leaseFrom(p.waitSeconds).as('until'),
              ])
              .where(sql<boolean>`(SELECT count(*) FROM free) < ${p.limit}`),
          )
          .onConflict((oc) =>
            oc.columns(['installation', 'worker']).doUpdateSet({ until: (eb) => eb.ref('excluded.until') }),
          ),
      )
      .updateTable('installation_slots as s')
      .from('free')
      .set({ holder: p.worker, lease_expires_at: leaseFrom(p.leaseSeconds), claimed_at: sql<Date>`now()` })
      .whereRef('s.installation', '=', 'free.installation')
      .whereRef('s.slot', '=', 'free.slot')
      .returning(['s.slot', 'free.expiredHolder']),
);

/**
 * Frees slots of `worker` (one statement for every call that ended meanwhile); each row says whether
 * another worker waits for a slot of that installation.
 */
const RELEASE = prepared(
  'installation_slots_release',
  (db, p: { installations: string[]; slots: number[]; worker: string }) =>
    db
      .updateTable('installation_slots')
      .set({ holder: null, lease_expires_at: null, claimed_at: null })
      .where('holder', '=', p.worker)
      .where(
        sql<boolean>`(installation, slot) IN (SELECT * FROM unnest(${p.installations}::text[], ${p.slots}::int[]))`,
      )
      .returning((eb) => [
        'installation',
        othersWaiting(eb, eb.ref('installation_slots.installation'), p.worker).as('othersWaiting'),
      ]),
);

/** Extends the lease of every slot `worker` holds (its heartbeat; one statement per process). */
const RENEW = prepared('installation_slots_renew', (db, p: { worker: string; leaseSeconds: number }) =>
  db
    .updateTable('installation_slots')
    .set({ lease_expires_at: leaseFrom(p.leaseSeconds) })
    .where('holder', '=', p.worker),
);

/** Frees every slot `worker` holds (its stop). */
const RELEASE_ALL = prepared('installation_slots_release_all', (db, p: { worker: string }) =>
  db
    .updateTable('installation_slots')
    .set({ holder: null, lease_expires_at: null, claimed_at: null })
    .where('holder', '=', p.worker),
);

export interface ClaimedSlots {
  readonly slots: number[];
  /** Holders whose lease had run out when their slot was taken (a process that died mid-call). */
  readonly takenOver: string[];
}

export const installationSlotsRepository = {
  ensure: async (db: Db, installation: string, bound: number): Promise<void> => {
    await ENSURE.execute(db, { installation, bound });
  },

  async claim(
    db: Db,
    p: {
      installation: string;
      bound: number;
      limit: number;
      worker: string;
      leaseMs: number;
      waitMs: number;
    },
  ): Promise<ClaimedSlots> {
    const rows = await CLAIM.execute(db, {
      installation: p.installation,
      bound: p.bound,
      limit: p.limit,
      worker: p.worker,
      leaseSeconds: p.leaseMs / 1000,
      waitSeconds: p.waitMs / 1000,
    });
    return {
      slots: rows.map((r) => r.slot),
      takenOver: rows.flatMap((r) => (r.expiredHolder ? [r.expiredHolder] : [])),
    };
  },

  /** Frees the slots; returns the installations of theirs for which another worker waits. */
  release: async (
    db: Db,
    worker: string,
    slots: ReadonlyArray<{ installation: string; slot: number }>,
  ): Promise<Set<string>> => {
    const rows = await RELEASE.execute(db, {
      installations: slots.map((s) => s.installation),
      slots: slots.map((s) => s.slot),
      worker,
    });
    return new Set(rows.filter((r) => Number(r.othersWaiting) > 0).map((r) => r.installation));
  },

  renew: (db: Db, worker: string, leaseMs: number): Promise<number> =>
    RENEW.affected(db, { worker, leaseSeconds: leaseMs / 1000 }),

  releaseAll: (db: Db, worker: string): Promise<number> => RELEASE_ALL.affected(db, { worker }),
};
