/**
 * The api_keys table, the store of credentials. It lives in auth/ because authentication reads it
 * (authenticator.ts) and the first start writes the platform key (platform-key.ts); api-keys/ is the
 * HTTP use case that creates, lists and revokes keys through it. auth/ imports nothing of api-keys/.
 */
import { type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { timeIdPage } from '../../db/keyset.js';
import type { ApiKey } from '../../generated/kysely/types.js';
import type { TimeIdPosition } from '../../lib/cursor.js';

export interface NewApiKeyRow {
  readonly tenantId: string | null;
  readonly kind: 'platform' | 'tenant';
  readonly name: string;
  readonly prefix: string;
  readonly secretHash: Buffer;
  readonly roles: readonly string[];
  readonly orgScope: readonly string[];
  readonly createdById: string | null;
  readonly expiresAt: Date | null;
}

export interface ApiKeyListQuery {
  readonly limit: number;
  readonly after?: TimeIdPosition;
  readonly includeRevoked: boolean;
}

/** An API key without its hash. */
export interface ApiKeyRow {
  readonly id: string;
  readonly tenantId: string | null;
  readonly kind: string;
  readonly name: string;
  readonly prefix: string;
  readonly roles: string[];
  readonly orgScope: string[];
  readonly createdAt: Date;
  readonly createdById: string | null;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revokedById: string | null;
}

const PUBLIC_COLUMNS = [
  'id',
  'tenant_id',
  'kind',
  'name',
  'prefix',
  'roles',
  'org_scope',
  'created_at',
  'created_by_id',
  'expires_at',
  'last_used_at',
  'revoked_at',
  'revoked_by_id',
] as const;

/** A row of `api_keys` as the service sees it (the one mapping of this table; the hash stays out). */
const apiKeyOf = (r: Omit<Selectable<ApiKey>, 'secret_hash'>): ApiKeyRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  name: r.name,
  prefix: r.prefix,
  roles: r.roles,
  orgScope: r.org_scope,
  createdAt: r.created_at,
  createdById: r.created_by_id,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  revokedById: r.revoked_by_id,
});

/** Arbitrary but fixed: the advisory lock key of the platform key's bootstrap. */
const BOOTSTRAP_LOCK_KEY = 72_707_370;

export const apiKeysRepository = {
  /** Serialises the processes that check for a platform key on start, until the transaction ends. */
  lockPlatformKeys: (tx: Tx) => sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`.execute(tx),

  /** The row a presented key claims to be, with its hash, for authentication only. */
  async findForAuthentication(db: Db, prefix: string): Promise<(ApiKeyRow & { secretHash: Buffer }) | null> {
    const row = await db
      .selectFrom('api_keys')
      .select([...PUBLIC_COLUMNS, 'secret_hash'])
      .where('prefix', '=', prefix)
      .executeTakeFirst();
    return row ? { ...apiKeyOf(row), secretHash: row.secret_hash } : null;
  },

  insert: async (tx: Tx, row: NewApiKeyRow) =>
    apiKeyOf(
      await tx
        .insertInto('api_keys')
        .values({
          id: uuidv7(),
          tenant_id: row.tenantId,
          kind: row.kind,
          name: row.name,
          prefix: row.prefix,
          secret_hash: row.secretHash,
          roles: [...row.roles],
          org_scope: [...row.orgScope],
          created_by_id: row.createdById,
          expires_at: row.expiresAt,
        })
        .returning(PUBLIC_COLUMNS)
        .executeTakeFirstOrThrow(),
    ),

  async findById(db: Db, tenantId: string, id: string): Promise<ApiKeyRow | null> {
    const row = await db
      .selectFrom('api_keys')
      .select(PUBLIC_COLUMNS)
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? apiKeyOf(row) : null;
  },

  async list(db: Db, tenantId: string, q: ApiKeyListQuery): Promise<ApiKeyRow[]> {
    let query = db.selectFrom('api_keys').select(PUBLIC_COLUMNS).where('tenant_id', '=', tenantId);
    if (!q.includeRevoked) query = query.where('revoked_at', 'is', null);
    const rows = await timeIdPage(query, 'desc', q.after, q.limit).execute();
    return rows.map(apiKeyOf);
  },

  /** Revokes the key if it is not revoked yet; returns it, or undefined when nothing changed. */
  async revoke(tx: Tx, tenantId: string, id: string, revokedById: string): Promise<ApiKeyRow | undefined> {
    const row = await tx
      .updateTable('api_keys')
      .set({ revoked_at: new Date(), revoked_by_id: revokedById })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirst();
    return row ? apiKeyOf(row) : undefined;
  },

  touchLastUsed: (db: Db, id: string, at: Date) =>
    db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute(),

  hasActivePlatformKey: async (db: Db) =>
    (await db
      .selectFrom('api_keys')
      .select('id')
      .where('kind', '=', 'platform')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst()) !== undefined,

  existsPrefix: async (db: Db, prefix: string) =>
    (await db.selectFrom('api_keys').select('id').where('prefix', '=', prefix).executeTakeFirst()) !==
    undefined,
};
