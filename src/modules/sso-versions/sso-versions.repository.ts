import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { DbOrTx, Tx } from '../../db/client.js';
import { type AnyTx, type Queryable, queryRows, type Statement } from '../../db/queryable.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type VersionRow = Prisma.SsoVersionGetPayload<object>;
export type ValidationRow = Prisma.SsoValidationGetPayload<object>;

export interface NewVersion {
  readonly tenantId: string;
  readonly orgId: string;
  readonly number: number;
  readonly kind: string;
  readonly content: Prisma.InputJsonValue;
  readonly clientSecretSealed: string | null;
  readonly clientSecretFingerprint: string | null;
  readonly clientSecretChangedIn: number | null;
  readonly decryptionKeySealed: string | null;
  readonly decryptionKeyFingerprint: string | null;
  readonly decryptionKeyChangedIn: number | null;
  readonly contentHash: string;
  readonly baseVersion: number | null;
  readonly rollbackOf: number | null;
  readonly bulkId: string | null;
  readonly note: string | null;
  readonly createdById: string;
  readonly createdByName: string;
}

export interface NewValidation {
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly status: string;
  readonly report: Prisma.InputJsonValue;
  readonly requestedById: string;
  readonly requestedByName: string;
}

/** snake_case columns of a `pg` row to the camelCase fields Prisma gives (same JS types). */
function camelRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row))
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return out as T;
}

/** Inserts one row with a new UUIDv7 id (`$1`, made here as Prisma's @default(uuid(7)) makes it); returns it. */
async function insertReturning<T>(tx: AnyTx, statement: Statement, values: unknown[]): Promise<T> {
  const rows = await queryRows<Record<string, unknown>>(tx, statement, [uuidv7(), ...values]);
  return camelRow<T>(rows[0] as Record<string, unknown>);
}

const INSERT_VERSION = {
  name: 'sso_version_insert',
  text: `INSERT INTO sso_versions (id, tenant_id, org_id, number, kind, content,
           client_secret_sealed, client_secret_fingerprint, client_secret_changed_in,
           decryption_key_sealed, decryption_key_fingerprint, decryption_key_changed_in,
           content_hash, base_version, rollback_of, bulk_id, note, created_by_id, created_by_name)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4::int, $5, $6::jsonb, $7, $8, $9::int, $10, $11, $12::int,
                 $13, $14::int, $15::int, $16::uuid, $17, $18::uuid, $19)
         RETURNING *`,
};
const INSERT_VALIDATION = {
  name: 'sso_validation_insert',
  text: `INSERT INTO sso_validations (id, tenant_id, org_id, version_id, status, report, requested_by_id,
           requested_by_name)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6::jsonb, $7::uuid, $8)
         RETURNING *`,
};
const BY_ID = { name: 'sso_version_by_id', text: 'SELECT * FROM sso_versions WHERE id = $1::uuid' };
const HEAD = {
  name: 'sso_version_head',
  text: 'SELECT * FROM sso_versions WHERE org_id = $1::uuid ORDER BY number DESC LIMIT 1',
};

export const ssoVersionsRepository = {
  /**
   * A page of an org's versions, newest first, each with its newest validation report, and the
   * org's head number — one statement on the pool (it was four through Prisma).
   */
  async pageWithReports(
    pool: pg.Pool,
    orgId: string,
    filter: { state?: string; before?: number; limit: number },
  ): Promise<{ rows: VersionRow[]; reports: Map<string, ValidationRow>; head: number }> {
    const values: unknown[] = [orgId];
    const conditions = ['v.org_id = $1::uuid'];
    if (filter.state) {
      values.push(filter.state);
      conditions.push(`v.review_state = $${values.length}`);
    }
    if (filter.before !== undefined) {
      values.push(filter.before);
      conditions.push(`v.number < $${values.length}`);
    }
    values.push(filter.limit);
    const { rows } = await pool.query<
      Record<string, unknown> & { report_row: Record<string, unknown> | null; head: number }
    >(
      `SELECT v.*, to_jsonb(r.*) AS report_row,
              (SELECT max(h.number) FROM sso_versions h WHERE h.org_id = $1::uuid) AS head
         FROM sso_versions v
         LEFT JOIN LATERAL (SELECT * FROM sso_validations x WHERE x.version_id = v.id
                             ORDER BY x.checked_at DESC, x.id DESC LIMIT 1) r ON true
        WHERE ${conditions.join(' AND ')}
        ORDER BY v.number DESC LIMIT $${values.length}`,
      values,
    );
    const reports = new Map<string, ValidationRow>();
    const versions = rows.map(({ report_row, head: _head, ...version }) => {
      const row = camelRow<VersionRow>(version);
      if (report_row) {
        const report = camelRow<ValidationRow>(report_row);
        reports.set(row.id, { ...report, checkedAt: new Date(report.checkedAt as unknown as string) });
      }
      return row;
    });
    const head =
      rows[0]?.head ??
      Number(
        (
          await pool.query(
            'SELECT coalesce(max(number), 0) AS head FROM sso_versions WHERE org_id = $1::uuid',
            [orgId],
          )
        ).rows[0]?.head ?? 0,
      );
    return { rows: versions, reports, head };
  },

  /** One version by id, on the pool (a prepared statement: forwarding reads one per call). */
  async byId(pool: pg.Pool, id: string): Promise<VersionRow | null> {
    const rows = await queryRows<Record<string, unknown>>(pool, BY_ID, [id]);
    return rows[0] ? camelRow<VersionRow>(rows[0]) : null;
  },

  /** The org's newest version (any review state): read twice by every draft, raw SQL. */
  async head(db: Queryable, orgId: string): Promise<VersionRow | null> {
    const rows = await queryRows<Record<string, unknown>>(db, HEAD, [orgId]);
    return rows[0] ? camelRow<VersionRow>(rows[0]) : null;
  },

  get: (db: DbOrTx, orgId: string, number: number) =>
    db.ssoVersion.findUnique({ where: { orgId_number: { orgId, number } } }),

  latestApproved: (db: DbOrTx, orgId: string) =>
    db.ssoVersion.findFirst({ where: { orgId, reviewState: 'approved' }, orderBy: { number: 'desc' } }),

  /** A new version: raw SQL, as every statement of a draft (issue 7). */
  insert: (tx: AnyTx, data: NewVersion) =>
    insertReturning<VersionRow>(tx, INSERT_VERSION, [
      data.tenantId,
      data.orgId,
      data.number,
      data.kind,
      JSON.stringify(data.content),
      data.clientSecretSealed,
      data.clientSecretFingerprint,
      data.clientSecretChangedIn,
      data.decryptionKeySealed,
      data.decryptionKeyFingerprint,
      data.decryptionKeyChangedIn,
      data.contentHash,
      data.baseVersion,
      data.rollbackOf,
      data.bulkId,
      data.note,
      data.createdById,
      data.createdByName,
    ]),

  latestValidation: (db: DbOrTx, versionId: string) =>
    db.ssoValidation.findFirst({ where: { versionId }, orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }] }),

  insertValidation: (tx: AnyTx, data: NewValidation) =>
    insertReturning<ValidationRow>(tx, INSERT_VALIDATION, [
      data.tenantId,
      data.orgId,
      data.versionId,
      data.status,
      JSON.stringify(data.report),
      data.requestedById,
      data.requestedByName,
    ]),

  /** Moves a draft to approved or rejected; the trigger refuses anything else. */
  review: (
    tx: Tx,
    id: string,
    data: Pick<
      Prisma.SsoVersionUpdateInput,
      | 'reviewState'
      | 'reviewedById'
      | 'reviewedByName'
      | 'reviewedAt'
      | 'reviewComment'
      | 'overrideReason'
      | 'selfApproved'
      | 'approvedHash'
    >,
  ) => tx.ssoVersion.update({ where: { id }, data }),

  /**
   * Approved versions older than `number` that were never applied (no deployment of theirs
   * succeeded) become superseded; an applied one stays approved: it was live.
   */
  async supersedeOlderApproved(tx: Tx, orgId: string, number: number): Promise<VersionRow[]> {
    const older = await tx.ssoVersion.findMany({
      where: {
        orgId,
        reviewState: 'approved',
        number: { lt: number },
        deployments: { none: { state: 'succeeded' } },
      },
      orderBy: { number: 'asc' },
    });
    const at = new Date();
    const superseded: VersionRow[] = [];
    for (const v of older) {
      superseded.push(
        await tx.ssoVersion.update({
          where: { id: v.id },
          data: { reviewState: 'superseded', supersededBy: number, supersededAt: at },
        }),
      );
    }
    return superseded;
  },

  /** The drafts a bulk operation created that are still drafts. */
  draftsOfBulk: (db: DbOrTx, tenantId: string, bulkId: string) =>
    db.ssoVersion.findMany({
      where: { tenantId, bulkId, reviewState: 'draft' },
      select: { orgId: true, number: true },
    }),

  /** The newest version number of each org (orgs without versions are absent). */
  async heads(db: DbOrTx, orgIds: readonly string[]): Promise<Map<string, number>> {
    if (orgIds.length === 0) return new Map();
    const rows = await db.ssoVersion.groupBy({
      by: ['orgId'],
      where: { orgId: { in: [...orgIds] } },
      _max: { number: true },
    });
    return new Map(rows.map((r) => [r.orgId, r._max.number as number]));
  },

  tenantSettings: (db: DbOrTx, tenantId: string) =>
    db.tenant.findUniqueOrThrow({
      where: { id: tenantId },
      select: { allowSelfApproval: true, allowRollbackApproval: true },
    }),
};
