/**
 * The api_keys table, the store of credentials. It lives in auth/ because authentication reads it
 * (authenticator.ts) and the first start writes the platform key (platform-key.ts); api-keys/ is the
 * HTTP use case that creates, lists and revokes keys through it. auth/ imports nothing of api-keys/.
 */
import type { DbOrTx, Tx } from '../../db/client.js';

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
  readonly after?: { createdAt: Date; id: string };
  readonly includeRevoked: boolean;
}

const publicColumns = {
  id: true,
  tenantId: true,
  kind: true,
  name: true,
  prefix: true,
  roles: true,
  orgScope: true,
  createdAt: true,
  createdById: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  revokedById: true,
} as const;

export const apiKeysRepository = {
  /** The row a presented key claims to be, with its hash, for authentication only. */
  findForAuthentication: (db: DbOrTx, prefix: string) =>
    db.apiKey.findUnique({
      where: { prefix },
      select: { ...publicColumns, secretHash: true, tenant: { select: { id: true } } },
    }),

  insert: (tx: Tx, row: NewApiKeyRow) =>
    tx.apiKey.create({
      data: {
        ...row,
        roles: [...row.roles],
        orgScope: [...row.orgScope],
        secretHash: new Uint8Array(row.secretHash),
      },
      select: publicColumns,
    }),

  findById: (db: DbOrTx, tenantId: string, id: string) =>
    db.apiKey.findFirst({ where: { id, tenantId }, select: publicColumns }),

  list: (db: DbOrTx, tenantId: string, q: ApiKeyListQuery) =>
    db.apiKey.findMany({
      where: {
        tenantId,
        ...(q.includeRevoked ? {} : { revokedAt: null }),
        ...(q.after
          ? {
              OR: [
                { createdAt: { lt: q.after.createdAt } },
                { createdAt: q.after.createdAt, id: { lt: q.after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit,
      select: publicColumns,
    }),

  revoke: (tx: Tx, tenantId: string, id: string, revokedById: string) =>
    tx.apiKey.updateManyAndReturn({
      where: { id, tenantId, revokedAt: null },
      data: { revokedAt: new Date(), revokedById },
      select: publicColumns,
    }),

  touchLastUsed: (db: DbOrTx, id: string, at: Date) =>
    db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } }),

  hasActivePlatformKey: async (db: DbOrTx) =>
    (await db.apiKey.count({ where: { kind: 'platform', revokedAt: null } })) > 0,

  existsPrefix: async (db: DbOrTx, prefix: string) => (await db.apiKey.count({ where: { prefix } })) > 0,
};

export type ApiKeyRow = NonNullable<Awaited<ReturnType<typeof apiKeysRepository.findById>>>;
