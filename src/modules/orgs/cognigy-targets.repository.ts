import type { Db, Tx } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';

export interface CognigyTargetRow {
  readonly orgId: string;
  readonly tenantId: string;
  readonly apiBase: string;
  readonly apiKeySealed: string;
  readonly apiKeyFingerprint: string;
  readonly organisationId: string | null;
  readonly updatedAt: Date;
  readonly updatedById: string | null;
}

export interface CognigyTargetWrite {
  readonly apiBase: string;
  readonly apiKeySealed: string;
  readonly apiKeyFingerprint: string;
  readonly organisationId: string | null;
  readonly updatedById: string;
}

/** Read by every forward: a prepared statement, selected straight into the service's names. */
const FIND = prepared('cognigy_target', (db, p: { orgId: string; tenantId: string }) =>
  db
    .selectFrom('cognigy_targets')
    .select([
      'org_id as orgId',
      'tenant_id as tenantId',
      'api_base as apiBase',
      'api_key_sealed as apiKeySealed',
      'api_key_fingerprint as apiKeyFingerprint',
      'organisation_id as organisationId',
      'updated_at as updatedAt',
      'updated_by_id as updatedById',
    ])
    .where('org_id', '=', p.orgId)
    .where('tenant_id', '=', p.tenantId),
);

export const cognigyTargetsRepository = {
  find: async (db: Db, tenantId: string, orgId: string): Promise<CognigyTargetRow | null> =>
    (await FIND.first(db, { orgId, tenantId })) ?? null,

  upsert: (tx: Tx, tenantId: string, orgId: string, data: CognigyTargetWrite) => {
    const columns = {
      api_base: data.apiBase,
      api_key_sealed: data.apiKeySealed,
      api_key_fingerprint: data.apiKeyFingerprint,
      organisation_id: data.organisationId,
      updated_by_id: data.updatedById,
    };
    return tx
      .insertInto('cognigy_targets')
      .values({ org_id: orgId, tenant_id: tenantId, ...columns })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ ...columns, updated_at: new Date() }))
      .execute();
  },
};
