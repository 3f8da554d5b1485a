/**
 * The validation reports of versions (§5): a version never changes, its reports accumulate (the
 * newest is the one shown). The page of versions reads the newest report of each with them, in the
 * versions repository's statement, through the one mapping below.
 */
import type { Insertable, Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import type { SsoValidation } from '../../generated/kysely/types.js';

export interface ValidationRow {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly status: string;
  readonly report: unknown;
  readonly checkedAt: Date;
  readonly requestedById: string | null;
  readonly requestedByName: string;
}

export interface NewValidation {
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly status: string;
  readonly report: object;
  readonly requestedById: string;
  readonly requestedByName: string;
}

/** A row of `sso_validations` as the service sees it (the one mapping of this table). */
export const validationOf = (r: Selectable<SsoValidation>): ValidationRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  orgId: r.org_id,
  versionId: r.version_id,
  status: r.status,
  report: r.report,
  checkedAt: r.checked_at,
  requestedById: r.requested_by_id,
  requestedByName: r.requested_by_name,
});

// Every draft inserts its report: a prepared statement.
const INSERT_VALIDATION = prepared('sso_validation_insert', (db, p: Insertable<SsoValidation>) =>
  db
    .insertInto('sso_validations')
    .values({
      id: p.id,
      tenant_id: p.tenant_id,
      org_id: p.org_id,
      version_id: p.version_id,
      status: p.status,
      report: p.report,
      requested_by_id: p.requested_by_id,
      requested_by_name: p.requested_by_name,
    })
    .returningAll(),
);

export const ssoValidationsRepository = {
  /** The newest report of a version, or null before its first. */
  latest: async (db: Db, versionId: string): Promise<ValidationRow | null> => {
    const row = await db
      .selectFrom('sso_validations')
      .selectAll()
      .where('version_id', '=', versionId)
      .orderBy('checked_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? validationOf(row) : null;
  },

  /** A new validation report, with a new UUIDv7 id. */
  insert: async (tx: Tx, data: NewValidation): Promise<ValidationRow> =>
    validationOf(
      (await INSERT_VALIDATION.first(tx, {
        id: uuidv7(),
        tenant_id: data.tenantId,
        org_id: data.orgId,
        version_id: data.versionId,
        status: data.status,
        report: JSON.stringify(data.report),
        requested_by_id: data.requestedById,
        requested_by_name: data.requestedByName,
      })) as Selectable<SsoValidation>,
    ),
};
