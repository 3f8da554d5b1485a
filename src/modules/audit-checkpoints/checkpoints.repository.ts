/**
 * The tables `audit_checkpoints` and `audit_signing_keys`: both only inserted into and read (the
 * database refuses UPDATE, DELETE and TRUNCATE; the runtime role may not even try).
 */
import { type Selectable, sql } from 'kysely';
import type { Db, Tx } from '../../db/client.js';
import type { AuditCheckpoint } from '../../generated/kysely/types.js';
import { PLATFORM_CHAIN } from '../audit/audit-event.js';
import type { Checkpoint } from './checkpoint.js';

/** The one mapping of a row. */
const checkpointOf = (r: Selectable<AuditCheckpoint>): Checkpoint => ({
  id: r.id,
  chain: r.chain,
  seq: r.seq,
  hash: r.hash,
  signedAt: r.signed_at.toISOString(),
  keyId: r.key_id,
  signature: r.signature,
});

/** The chains whose head is not their newest checkpoint's, with that head. */
export interface MovedChain {
  readonly chain: string;
  readonly seq: number;
}

export const checkpointsRepository = {
  insert: (db: Db, c: Checkpoint) =>
    db
      .insertInto('audit_checkpoints')
      .values({
        id: c.id,
        chain: c.chain,
        seq: c.seq,
        hash: c.hash,
        signed_at: new Date(c.signedAt),
        key_id: c.keyId,
        signature: c.signature,
      })
      .execute(),

  /** A page of a chain's checkpoints, newest first, keyset on id (uuid v7: time-ordered). */
  page: async (db: Db, chain: string, limit: number, beforeId?: string) => {
    let query = db.selectFrom('audit_checkpoints').selectAll().where('chain', '=', chain);
    if (beforeId) query = query.where('id', '<', beforeId);
    return (await query.orderBy('id', 'desc').limit(limit).execute()).map(checkpointOf);
  },

  /** Every checkpoint of a chain, oldest first (verification). */
  ofChain: async (db: Db, chain: string) =>
    (
      await db.selectFrom('audit_checkpoints').selectAll().where('chain', '=', chain).orderBy('id').execute()
    ).map(checkpointOf),

  /** The chain's newest seq and the hashes at `seqs`. */
  chainView: async (db: Db, chain: string, seqs: readonly number[]) => {
    const head = await db
      .selectFrom('audit_events')
      .select('seq')
      .where('chain', '=', chain)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const hashAt = new Map<number, string>();
    const wanted = [...new Set(seqs)];
    for (let i = 0; i < wanted.length; i += 5_000) {
      const rows = await db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .where('chain', '=', chain)
        .where('seq', '=', sql<number>`any(${wanted.slice(i, i + 5_000)}::int[])`)
        .execute();
      for (const r of rows) hashAt.set(r.seq, r.hash);
    }
    return { chain, headSeq: head?.seq ?? 0, hashAt };
  },

  /**
   * Every chain (the platform's and each tenant's) that has events and whose head differs from its
   * newest checkpoint's (a chain never checkpointed, or one that moved since).
   */
  moved: async (db: Db): Promise<MovedChain[]> => {
    const { rows } = await sql<MovedChain>`
      SELECT c.chain, h.seq
        FROM (SELECT ${PLATFORM_CHAIN}::text AS chain UNION ALL SELECT id::text FROM tenants) c
        JOIN LATERAL (SELECT e.seq, e.hash FROM audit_events e WHERE e.chain = c.chain
                       ORDER BY e.seq DESC LIMIT 1) h ON true
        LEFT JOIN LATERAL (SELECT k.seq, k.hash FROM audit_checkpoints k WHERE k.chain = c.chain
                            ORDER BY k.id DESC LIMIT 1) k ON true
       WHERE k.seq IS NULL OR k.seq <> h.seq OR k.hash <> h.hash
       ORDER BY c.chain`.execute(db);
    return rows;
  },

  /** The public keys, oldest first. */
  keys: (db: Db) =>
    db
      .selectFrom('audit_signing_keys')
      .select(['kid', 'public_key'])
      .orderBy('created_at')
      .orderBy('kid')
      .execute(),

  /** Records a public key; false when it was known already (another process, an earlier start). */
  addKey: async (tx: Tx, key: { kid: string; x: string }) =>
    (
      await tx
        .insertInto('audit_signing_keys')
        .values({ kid: key.kid, public_key: key.x })
        .onConflict((oc) => oc.column('kid').doNothing())
        .returning('kid')
        .execute()
    ).length > 0,

  hasKey: async (db: Db, kid: string) =>
    (await db.selectFrom('audit_signing_keys').select('kid').where('kid', '=', kid).executeTakeFirst()) !==
    undefined,
};
