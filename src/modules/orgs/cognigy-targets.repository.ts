import type { Tx } from '../../db/client.js';
import { type Queryable, queryRows } from '../../db/queryable.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type CognigyTargetRow = Prisma.CognigyTargetGetPayload<object>;

export interface CognigyTargetWrite {
  readonly apiBase: string;
  readonly apiKeySealed: string;
  readonly apiKeyFingerprint: string;
  readonly organisationId: string | null;
  readonly updatedById: string;
}

const FIND_TARGET = {
  name: 'cognigy_target',
  text: `SELECT org_id AS "orgId", tenant_id AS "tenantId", api_base AS "apiBase", api_key_sealed AS "apiKeySealed",
                api_key_fingerprint AS "apiKeyFingerprint", organisation_id AS "organisationId",
                updated_at AS "updatedAt", updated_by_id AS "updatedById"
           FROM cognigy_targets WHERE org_id = $1::uuid AND tenant_id = $2::uuid`,
};

export const cognigyTargetsRepository = {
  /** Read by every forward: raw SQL, on the pool when outside a change (same row as Prisma's). */
  async find(db: Queryable, tenantId: string, orgId: string): Promise<CognigyTargetRow | null> {
    return (await queryRows<CognigyTargetRow>(db, FIND_TARGET, [orgId, tenantId]))[0] ?? null;
  },

  upsert: (tx: Tx, tenantId: string, orgId: string, data: CognigyTargetWrite) =>
    tx.cognigyTarget.upsert({
      where: { orgId },
      create: { orgId, tenantId, ...data },
      update: { ...data, updatedAt: new Date() },
    }),
};
