import { type Insertable, type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import type { SsoVersion } from '../../generated/kysely/types.js';
import { type ValidationRow, validationOf } from './sso-validations.repository.js';

export interface VersionRow {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly number: number;
  readonly kind: string;
  readonly content: unknown;
  readonly clientSecretSealed: string | null;
  readonly clientSecretFingerprint: string | null;
  readonly clientSecretChangedIn: number | null;
  /** When the client secret runs out at the IdP, as recorded with it (ours: never forwarded, not hashed). */
  readonly clientSecretExpiresAt: Date | null;
  readonly decryptionKeySealed: string | null;
  readonly decryptionKeyFingerprint: string | null;
  readonly decryptionKeyChangedIn: number | null;
  readonly contentHash: string;
  readonly baseVersion: number | null;
  readonly rollbackOf: number | null;
  readonly bulkId: string | null;
  readonly note: string | null;
  readonly createdById: string | null;
  readonly createdByName: string;
  readonly createdAt: Date;
  readonly reviewState: string;
  readonly reviewedById: string | null;
  readonly reviewedByName: string | null;
  readonly reviewedAt: Date | null;
  readonly reviewComment: string | null;
  readonly overrideReason: string | null;
  readonly selfApproved: boolean;
  readonly approvedHash: string | null;
  readonly supersededBy: number | null;
  readonly supersededAt: Date | null;
}

/** What a review writes: a draft moved to approved or rejected (the trigger refuses anything else). */
export interface Review {
  readonly reviewState: string;
  readonly reviewedById: string;
  readonly reviewedByName: string;
  readonly reviewedAt: Date;
  readonly reviewComment: string | null;
  readonly overrideReason?: string | null;
  readonly selfApproved?: boolean;
  readonly approvedHash?: string | null;
}

/** What `insert` writes: a version as drafted (the id is made there; the review columns start empty). */
export interface NewVersion
  extends Omit<
    VersionRow,
    'id' | 'content' | 'createdById' | 'createdAt' | keyof Review | 'supersededBy' | 'supersededAt'
  > {
  readonly content: object;
  readonly createdById: string;
}

/** A row of `sso_versions` as the service sees it (the one mapping of this table). */
const versionOf = (r: Selectable<SsoVersion>): VersionRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  orgId: r.org_id,
  number: r.number,
  kind: r.kind,
  content: r.content,
  clientSecretSealed: r.client_secret_sealed,
  clientSecretFingerprint: r.client_secret_fingerprint,
  clientSecretChangedIn: r.client_secret_changed_in,
  clientSecretExpiresAt: r.client_secret_expires_at,
  decryptionKeySealed: r.decryption_key_sealed,
  decryptionKeyFingerprint: r.decryption_key_fingerprint,
  decryptionKeyChangedIn: r.decryption_key_changed_in,
  contentHash: r.content_hash,
  baseVersion: r.base_version,
  rollbackOf: r.rollback_of,
  bulkId: r.bulk_id,
  note: r.note,
  createdById: r.created_by_id,
  createdByName: r.created_by_name,
  createdAt: r.created_at,
  reviewState: r.review_state,
  reviewedById: r.reviewed_by_id,
  reviewedByName: r.reviewed_by_name,
  reviewedAt: r.reviewed_at,
  reviewComment: r.review_comment,
  overrideReason: r.override_reason,
  selfApproved: r.self_approved,
  approvedHash: r.approved_hash,
  supersededBy: r.superseded_by,
  supersededAt: r.superseded_at,
});

// Every draft reads the head twice and inserts a version (and its report: sso-validations.repository.ts);
// every forward reads its version by id: prepared statements.
const BY_ID = prepared('sso_version_by_id', (db, p: { id: string }) =>
  db.selectFrom('sso_versions').selectAll().where('id', '=', p.id),
);
const HEAD = prepared('sso_version_head', (db, p: { orgId: string }) =>
  db.selectFrom('sso_versions').selectAll().where('org_id', '=', p.orgId).orderBy('number', 'desc').limit(1),
);
const INSERT_VERSION = prepared('sso_version_insert', (db, p: Insertable<SsoVersion>) =>
  db
    .insertInto('sso_versions')
    .values({
      id: p.id,
      tenant_id: p.tenant_id,
      org_id: p.org_id,
      number: p.number,
      kind: p.kind,
      content: p.content,
      client_secret_sealed: p.client_secret_sealed,
      client_secret_fingerprint: p.client_secret_fingerprint,
      client_secret_changed_in: p.client_secret_changed_in,
      client_secret_expires_at: p.client_secret_expires_at,
      decryption_key_sealed: p.decryption_key_sealed,
      decryption_key_fingerprint: p.decryption_key_fingerprint,
      decryption_key_changed_in: p.decryption_key_changed_in,
      content_hash: p.content_hash,
      base_version: p.base_version,
      rollback_of: p.rollback_of,
      bulk_id: p.bulk_id,
      note: p.note,
      created_by_id: p.created_by_id,
      created_by_name: p.created_by_name,
    })
    .returningAll(),
);
/** The newest validation report of each version (`v`), for the page below. */
const REPORT_COLUMNS = [
  'r.id as report_id',
  'r.status as report_status',
  'r.report as report_report',
  'r.checked_at as report_checked_at',
  'r.requested_by_id as report_requested_by_id',
  'r.requested_by_name as report_requested_by_name',
] as const;

export const ssoVersionsRepository = {
  /**
   * A page of an org's versions, newest first, each with its newest validation report, and the
   * org's head number — one statement (it was four through Prisma).
   */
  async pageWithReports(
    db: Db,
    orgId: string,
    filter: { state?: string; before?: number; limit: number },
  ): Promise<{ rows: VersionRow[]; reports: Map<string, ValidationRow>; head: number }> {
    let query = db
      .selectFrom('sso_versions as v')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('sso_validations as x')
            .selectAll()
            .whereRef('x.version_id', '=', 'v.id')
            .orderBy('x.checked_at', 'desc')
            .orderBy('x.id', 'desc')
            .limit(1)
            .as('r'),
        (join) => join.onTrue(),
      )
      .selectAll('v')
      .select(REPORT_COLUMNS)
      .select((eb) =>
        eb
          .selectFrom('sso_versions as h')
          .select((h) => h.fn.max('h.number').as('n'))
          .where('h.org_id', '=', orgId)
          .as('head'),
      )
      .where('v.org_id', '=', orgId);
    if (filter.state) query = query.where('v.review_state', '=', filter.state);
    if (filter.before !== undefined) query = query.where('v.number', '<', filter.before);
    const rows = await query.orderBy('v.number', 'desc').limit(filter.limit).execute();
    const reports = new Map<string, ValidationRow>();
    const versions = rows.map((row) => {
      const version = versionOf(row);
      if (row.report_id !== null) {
        reports.set(
          version.id,
          validationOf({
            id: row.report_id,
            tenant_id: row.tenant_id,
            org_id: row.org_id,
            version_id: row.id,
            status: row.report_status as string,
            report: row.report_report,
            checked_at: row.report_checked_at as Date,
            requested_by_id: row.report_requested_by_id,
            requested_by_name: row.report_requested_by_name as string,
          }),
        );
      }
      return version;
    });
    const head = rows[0]?.head ?? (await ssoVersionsRepository.heads(db, [orgId])).get(orgId) ?? 0;
    return { rows: versions, reports, head };
  },

  /** One version by id (forwarding reads one per call). */
  byId: async (db: Db, id: string): Promise<VersionRow | null> => {
    const row = await BY_ID.first(db, { id });
    return row ? versionOf(row) : null;
  },

  /** The org's newest version (any review state): read twice by every draft. */
  head: async (db: Db, orgId: string): Promise<VersionRow | null> => {
    const row = await HEAD.first(db, { orgId });
    return row ? versionOf(row) : null;
  },

  get: async (db: Db, orgId: string, number: number): Promise<VersionRow | null> => {
    const row = await db
      .selectFrom('sso_versions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('number', '=', number)
      .executeTakeFirst();
    return row ? versionOf(row) : null;
  },

  latestApproved: async (db: Db, orgId: string): Promise<VersionRow | null> => {
    const row = await db
      .selectFrom('sso_versions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('review_state', '=', 'approved')
      .orderBy('number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? versionOf(row) : null;
  },

  /** A new version, with a new UUIDv7 id. */
  insert: async (tx: Tx, data: NewVersion): Promise<VersionRow> =>
    versionOf(
      (await INSERT_VERSION.first(tx, {
        id: uuidv7(),
        tenant_id: data.tenantId,
        org_id: data.orgId,
        number: data.number,
        kind: data.kind,
        content: JSON.stringify(data.content),
        client_secret_sealed: data.clientSecretSealed,
        client_secret_fingerprint: data.clientSecretFingerprint,
        client_secret_changed_in: data.clientSecretChangedIn,
        client_secret_expires_at: data.clientSecretExpiresAt,
        decryption_key_sealed: data.decryptionKeySealed,
        decryption_key_fingerprint: data.decryptionKeyFingerprint,
        decryption_key_changed_in: data.decryptionKeyChangedIn,
        content_hash: data.contentHash,
        base_version: data.baseVersion,
        rollback_of: data.rollbackOf,
        bulk_id: data.bulkId,
        note: data.note,
        created_by_id: data.createdById,
        created_by_name: data.createdByName,
      })) as Selectable<SsoVersion>,
    ),

  /** Moves a draft to approved or rejected; the trigger refuses anything else. */
  review: async (tx: Tx, id: string, review: Review): Promise<VersionRow> =>
    versionOf(
      await tx
        .updateTable('sso_versions')
        .set({
          review_state: review.reviewState,
          reviewed_by_id: review.reviewedById,
          reviewed_by_name: review.reviewedByName,
          reviewed_at: review.reviewedAt,
          review_comment: review.reviewComment,
          override_reason: review.overrideReason,
          self_approved: review.selfApproved,
          approved_hash: review.approvedHash,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),

  /**
   * Approved versions older than `number` that were never applied (no deployment of theirs
   * succeeded) become superseded; an applied one stays approved: it was live. Oldest first.
   */
  async supersedeOlderApproved(tx: Tx, orgId: string, number: number): Promise<VersionRow[]> {
    const rows = await tx
      .updateTable('sso_versions as v')
      .set({ review_state: 'superseded', superseded_by: number, superseded_at: new Date() })
      .where('v.org_id', '=', orgId)
      .where('v.review_state', '=', 'approved')
      .where('v.number', '<', number)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deployments as d')
              .select(sql`1`.as('one'))
              .whereRef('d.version_id', '=', 'v.id')
              .where('d.state', '=', 'succeeded'),
          ),
        ),
      )
      .returningAll()
      .execute();
    return rows.map(versionOf).sort((a, b) => a.number - b.number);
  },

  /** The drafts a bulk operation created that are still drafts. */
  draftsOfBulk: (db: Db, tenantId: string, bulkId: string) =>
    db
      .selectFrom('sso_versions')
      .select(['org_id as orgId', 'number'])
      .where('tenant_id', '=', tenantId)
      .where('bulk_id', '=', bulkId)
      .where('review_state', '=', 'draft')
      .execute(),

  /** The newest version number of each org (orgs without versions are absent). */
  async heads(db: Db, orgIds: readonly string[]): Promise<Map<string, number>> {
    if (orgIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('sso_versions')
      .select((eb) => ['org_id', eb.fn.max('number').as('head')])
      .where('org_id', '=', sql<string>`any(${[...orgIds]}::uuid[])`)
      .groupBy('org_id')
      .execute();
    return new Map(rows.map((r) => [r.org_id, r.head]));
  },

  /** The newest version of each org, in one statement (orgs without versions are absent). */
  async newestOf(db: Db, orgIds: readonly string[]): Promise<Map<string, VersionRow>> {
    if (orgIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('sso_versions')
      .selectAll()
      .distinctOn('org_id')
      .where('org_id', '=', sql<string>`any(${[...orgIds]}::uuid[])`)
      .orderBy('org_id')
      .orderBy('number', 'desc')
      .execute();
    return new Map(rows.map((r) => [r.org_id, versionOf(r)]));
  },
};
