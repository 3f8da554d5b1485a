import type { DbOrTx } from '../../db/client.js';

export const idempotencyRepository = {
  /** Claims (scope, key) for a new request; false when a record already exists. */
  async claim(
    db: DbOrTx,
    row: { scope: string; key: string; method: string; path: string; requestHash: string; expiresAt: Date },
  ): Promise<string | undefined> {
    const result = await db.idempotencyRecord.createManyAndReturn({
      data: [row],
      skipDuplicates: true,
      select: { id: true },
    });
    return result[0]?.id;
  },

  find: (db: DbOrTx, scope: string, key: string) =>
    db.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } }),

  complete: (
    db: DbOrTx,
    id: string,
    data: { statusCode: number; masterKeyId: string; responseSealed: string },
  ) => db.idempotencyRecord.updateMany({ where: { id }, data: { ...data, completedAt: new Date() } }),

  release: (db: DbOrTx, id: string) => db.idempotencyRecord.deleteMany({ where: { id } }),

  deleteExpired: (db: DbOrTx, now: Date) =>
    db.idempotencyRecord.deleteMany({ where: { expiresAt: { lt: now } } }),
};
