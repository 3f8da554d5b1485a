import type { DbOrTx, Tx } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type CognigyTargetRow = Prisma.CognigyTargetGetPayload<object>;

export interface CognigyTargetWrite {
  readonly apiBase: string;
  readonly apiKeySealed: string;
  readonly apiKeyFingerprint: string;
  readonly organisationId: string | null;
  readonly updatedById: string;
}

export const cognigyTargetsRepository = {
  /** Raw SQL: read by every forward, cheaper than the query builder (same row as Prisma's). */
  async find(db: DbOrTx, tenantId: string, orgId: string): Promise<CognigyTargetRow | null> {
    const rows = await db.$queryRaw<CognigyTargetRow[]>`
      SELECT org_id AS "orgId", tenant_id AS "tenantId", api_base AS "apiBase", api_key_sealed AS "apiKeySealed",
             api_key_fingerprint AS "apiKeyFingerprint", organisation_id AS "organisationId",
             updated_at AS "updatedAt", updated_by_id AS "updatedById"
        FROM cognigy_targets WHERE org_id = ${orgId}::uuid AND tenant_id = ${tenantId}::uuid`;
    return rows[0] ?? null;
  },

  upsert: (tx: Tx, tenantId: string, orgId: string, data: CognigyTargetWrite) =>
    tx.cognigyTarget.upsert({
      where: { orgId },
      create: { orgId, tenantId, ...data },
      update: { ...data, updatedAt: new Date() },
    }),
};
