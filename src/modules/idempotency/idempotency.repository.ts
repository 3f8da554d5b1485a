import type { Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/client.js';
import { countOf } from '../../db/count.js';
import type { IdempotencyRecord } from '../../generated/kysely/types.js';

export interface IdempotencyRow {
  readonly id: string;
  readonly scope: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly requestHash: string;
  readonly statusCode: number | null;
  readonly masterKeyId: string | null;
  readonly responseSealed: string | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  readonly expiresAt: Date;
  /** When the request's change committed (null: it made none, or not yet). */
  readonly changeMadeAt: Date | null;
}

/** A row of `idempotency_records` as the service sees it (the one mapping of this table). */
const recordOf = (r: Selectable<IdempotencyRecord>): IdempotencyRow => ({
  id: r.id,
  scope: r.scope,
  key: r.key,
  method: r.method,
  path: r.path,
  requestHash: r.request_hash,
  statusCode: r.status_code,
  masterKeyId: r.master_key_id,
  responseSealed: r.response_sealed,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  expiresAt: r.expires_at,
  changeMadeAt: r.change_made_at,
});

export const idempotencyRepository = {
  /** Claims (scope, key) for a new request; undefined when a record already exists. */
  async claim(
    db: Db,
    row: { scope: string; key: string; method: string; path: string; requestHash: string; expiresAt: Date },
  ): Promise<string | undefined> {
    const claimed = await db
      .insertInto('idempotency_records')
      .values({
        id: uuidv7(),
        scope: row.scope,
        key: row.key,
        method: row.method,
        path: row.path,
        request_hash: row.requestHash,
        expires_at: row.expiresAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return claimed?.id;
  },

  async find(db: Db, scope: string, key: string): Promise<IdempotencyRow | null> {
    const row = await db
      .selectFrom('idempotency_records')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? recordOf(row) : null;
  },

  complete: (db: Db, id: string, data: { statusCode: number; masterKeyId: string; responseSealed: string }) =>
    db
      .updateTable('idempotency_records')
      .set({
        status_code: data.statusCode,
        master_key_id: data.masterKeyId,
        response_sealed: data.responseSealed,
        completed_at: new Date(),
      })
      .where('id', '=', id)
      .execute(),

  release: (db: Db, id: string) => db.deleteFrom('idempotency_records').where('id', '=', id).execute(),

  /** In the transaction of a change the request made: the change is made once this commits. */
  noteChangeMade: (tx: Db, id: string) =>
    tx
      .updateTable('idempotency_records')
      .set({ change_made_at: new Date() })
      .where('id', '=', id)
      .where('change_made_at', 'is', null)
      .execute(),

  /**
   * Releases the key of a request that ends without a response to keep (5xx, 429) so that a retry
   * runs again. A request that made its change keeps its key: it is marked ended, without a
   * response, and a retry is told that the response was lost.
   */
  async releaseUnlessChanged(db: Db, id: string): Promise<void> {
    const released = await db
      .deleteFrom('idempotency_records')
      .where('id', '=', id)
      .where('change_made_at', 'is', null)
      .executeTakeFirst();
    if (Number(released.numDeletedRows) === 0)
      await db
        .updateTable('idempotency_records')
        .set({ completed_at: new Date() })
        .where('id', '=', id)
        .execute();
  },

  /** Deletes the expired records; returns how many. */
  deleteExpired: async (db: Db, now: Date) => ({
    count: Number(
      (await db.deleteFrom('idempotency_records').where('expires_at', '<', now).executeTakeFirst())
        .numDeletedRows,
    ),
  }),

  /** Stored responses sealed by another master key than `activeKeyId` (for rotation), in id order. */
  staleResponses: (db: Db, activeKeyId: string, limit: number) =>
    db
      .selectFrom('idempotency_records')
      .select(['id', 'master_key_id as masterKeyId', 'response_sealed as responseSealed'])
      .where('master_key_id', '<>', activeKeyId)
      .where('response_sealed', 'is not', null)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute(),

  countStaleResponses: (db: Db, activeKeyId: string) =>
    countOf(
      db
        .selectFrom('idempotency_records')
        .where('master_key_id', '<>', activeKeyId)
        .where('response_sealed', 'is not', null),
    ),

  /** Re-seals a stored response, if it still carries the key it was read with; true when it did. */
  resealResponse: async (
    db: Db,
    id: string,
    from: string,
    to: { masterKeyId: string; responseSealed: string },
  ) =>
    Number(
      (
        await db
          .updateTable('idempotency_records')
          .set({ master_key_id: to.masterKeyId, response_sealed: to.responseSealed })
          .where('id', '=', id)
          .where('master_key_id', '=', from)
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1,
};
