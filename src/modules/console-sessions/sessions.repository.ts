/**
 * The console_sessions table. A session is found by the SHA-256 of its secret id (the cookie), never
 * by the secret itself; `id` is its public name (lists, ending it).
 */
import type { Db, Tx } from '../../db/client.js';
import type { TimeIdPosition } from '../../lib/cursor.js';
import type { ConsoleSessionInfo } from '../auth/console-session.js';
import type { Role } from '../auth/principal.js';

export interface NewSession {
  readonly id: string;
  readonly tenantId: string;
  readonly personId: string;
  readonly tokenHash: Buffer;
  readonly roles: readonly Role[];
  /** null: every org. */
  readonly orgScope: readonly string[] | null;
  readonly createdAt: Date;
  readonly idleExpiresAt: Date;
  readonly expiresAt: Date;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

/** A session with its person and tenant, as authentication and lists read it. */
export type SessionRow = ConsoleSessionInfo;

export type EndReason = 'signed_out' | 'ended_by_admin' | 'expired' | 'console_login_removed';

function sessions(db: Db) {
  return db
    .selectFrom('console_sessions as s')
    .innerJoin('people as p', 'p.id', 's.person_id')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .select([
      's.id',
      's.tenant_id',
      't.slug as tenant_slug',
      't.name as tenant_name',
      'p.id as person_id',
      'p.issuer',
      'p.subject',
      'p.email',
      'p.name',
      's.roles',
      's.org_scope',
      's.created_at',
      's.last_seen_at',
      's.idle_expires_at',
      's.expires_at',
      's.ended_at',
      's.source_ip',
      's.user_agent',
    ]);
}

type Joined = Awaited<ReturnType<ReturnType<typeof sessions>['executeTakeFirstOrThrow']>>;

const sessionOf = (r: Joined): SessionRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  tenantSlug: r.tenant_slug,
  tenantName: r.tenant_name,
  person: { id: r.person_id, issuer: r.issuer, subject: r.subject, email: r.email, name: r.name },
  roles: r.roles as Role[],
  orgScope: r.org_scope.length > 0 ? r.org_scope : null,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  idleExpiresAt: r.idle_expires_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  sourceIp: r.source_ip,
  userAgent: r.user_agent,
});

export const sessionsRepository = {
  insert: (tx: Tx, s: NewSession) =>
    tx
      .insertInto('console_sessions')
      .values({
        id: s.id,
        tenant_id: s.tenantId,
        person_id: s.personId,
        token_hash: s.tokenHash,
        roles: [...s.roles],
        org_scope: s.orgScope ? [...s.orgScope] : [],
        created_at: s.createdAt,
        last_seen_at: s.createdAt,
        idle_expires_at: s.idleExpiresAt,
        expires_at: s.expiresAt,
        source_ip: s.sourceIp,
        user_agent: s.userAgent,
      })
      .execute(),

  /** The session of a cookie, ended or not (the caller decides what an ended one means). */
  async findByTokenHash(db: Db, tokenHash: Buffer): Promise<SessionRow | null> {
    const row = await sessions(db).where('s.token_hash', '=', tokenHash).executeTakeFirst();
    return row ? sessionOf(row) : null;
  },

  async findById(db: Db, tenantId: string, id: string): Promise<SessionRow | null> {
    const row = await sessions(db)
      .where('s.id', '=', id)
      .where('s.tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? sessionOf(row) : null;
  },

  /** The tenant's sessions that are neither ended nor expired, newest first. */
  async listActive(db: Db, tenantId: string, at: Date, limit: number, after?: TimeIdPosition) {
    let query = sessions(db)
      .where('s.tenant_id', '=', tenantId)
      .where('s.ended_at', 'is', null)
      .where('s.idle_expires_at', '>', at)
      .where('s.expires_at', '>', at);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('s.created_at', '<', after.createdAt),
          eb.and([eb('s.created_at', '=', after.createdAt), eb('s.id', '<', after.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(limit).execute();
    return rows.map(sessionOf);
  },

  /**
   * Sessions past their idle expiry or lifetime that nothing has ended yet, oldest first. The idle
   * expiry never passes the lifetime, so it alone tells. No index: the table holds the sessions of
   * CONSOLE_SESSION_RETENTION_DAYS at most (purgeEnded), a scan of it every few minutes is cheap.
   */
  async expiredNotEnded(db: Db, at: Date, limit: number): Promise<SessionRow[]> {
    const rows = await sessions(db)
      .where('s.ended_at', 'is', null)
      .where('s.idle_expires_at', '<=', at)
      .orderBy('s.idle_expires_at')
      .limit(limit)
      .execute();
    return rows.map(sessionOf);
  },

  /** Deletes sessions ended before `before` (their story stays in the audit trail); how many. */
  purgeEnded: async (db: Db, before: Date) =>
    Number(
      (await db.deleteFrom('console_sessions').where('ended_at', '<', before).executeTakeFirst())
        .numDeletedRows,
    ),

  /** Slides the idle expiry; a no-op for a session ended meanwhile. */
  touch: (db: Db, id: string, at: Date, idleExpiresAt: Date) =>
    db
      .updateTable('console_sessions')
      .set({ last_seen_at: at, idle_expires_at: idleExpiresAt })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute(),

  /** Ends a session that is not ended yet; true when this call ended it. */
  end: async (tx: Tx, tenantId: string, id: string, reason: EndReason, at: Date) =>
    (
      await tx
        .updateTable('console_sessions')
        .set({ ended_at: at, ended_reason: reason })
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .where('ended_at', 'is', null)
        .executeTakeFirst()
    ).numUpdatedRows > 0n,

  /** Ends every session of the tenant still open; how many it ended. */
  endAllOfTenant: async (tx: Tx, tenantId: string, reason: EndReason, at: Date) =>
    Number(
      (
        await tx
          .updateTable('console_sessions')
          .set({ ended_at: at, ended_reason: reason })
          .where('tenant_id', '=', tenantId)
          .where('ended_at', 'is', null)
          .executeTakeFirst()
      ).numUpdatedRows,
    ),
};
