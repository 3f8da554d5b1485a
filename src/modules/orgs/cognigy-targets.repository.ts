import type { DbOrTx, Tx } from '../../db/client.js';

export interface CognigyTargetWrite {
  readonly apiBase: string;
  readonly apiKeySealed: string;
  readonly apiKeyFingerprint: string;
  readonly organisationId: string | null;
  readonly updatedById: string;
}

export const cognigyTargetsRepository = {
  find: (db: DbOrTx, tenantId: string, orgId: string) =>
    db.cognigyTarget.findFirst({ where: { orgId, tenantId } }),

  upsert: (tx: Tx, tenantId: string, orgId: string, data: CognigyTargetWrite) =>
    tx.cognigyTarget.upsert({
      where: { orgId },
      create: { orgId, tenantId, ...data },
      update: { ...data, updatedAt: new Date() },
    }),
};
