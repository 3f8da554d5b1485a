import { type SelectQueryBuilder, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { countOf } from '../../db/count.js';
import { prepared } from '../../db/prepared.js';
import type { Org } from '../../generated/kysely/types.js';
import type { Labels } from '../../lib/schemas.js';

/** An org with its Cognigy target's public fields and whether its data key still exists. */
export interface OrgRow {
  readonly id: string;
  readonly tenantId: string;
  readonly slug: string;
  readonly name: string;
  readonly labels: unknown;
  readonly revision: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly archivedAt: Date | null;
  readonly cognigy: {
    readonly apiBase: string;
    readonly organisationId: string | null;
    readonly apiKeyFingerprint: string;
    readonly updatedAt: Date;
  } | null;
  /** Whether the org's secrets can still be decrypted (the data key is gone after crypto-shredding). */
  readonly dataKey: { readonly orgId: string } | null;
}

/** The org's changes an update may make (the revision is bumped by every update). */
export interface OrgChanges {
  readonly slug?: string;
  readonly name?: string;
  readonly labels?: Labels;
  readonly archivedAt?: Date;
}

/** The columns of an `OrgRow`, from `orgs o` joined with its target `t` and data key `k`. */
const ORG_COLUMNS = [
  'o.id',
  'o.tenant_id',
  'o.slug',
  'o.name',
  'o.labels',
  'o.revision',
  'o.created_at',
  'o.updated_at',
  'o.archived_at',
  't.api_base',
  't.organisation_id',
  't.api_key_fingerprint',
  't.updated_at as cognigy_updated_at',
] as const;
const hasDataKey = sql<boolean>`k.org_id IS NOT NULL`.as('has_data_key');

/** Every org, with its target and data key joined (the reads below add their conditions). */
const orgs = (db: Db) =>
  db
    .selectFrom('orgs as o')
    .leftJoin('cognigy_targets as t', 't.org_id', 'o.id')
    .leftJoin('org_data_keys as k', 'k.org_id', 'o.id')
    .select([...ORG_COLUMNS, hasDataKey]);

type OrgSqlRow = Awaited<ReturnType<ReturnType<typeof orgs>['executeTakeFirstOrThrow']>>;

/** The joined row as the service sees it (the one mapping of `orgs`). */
const orgOf = (r: OrgSqlRow): OrgRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  slug: r.slug,
  name: r.name,
  labels: r.labels,
  revision: r.revision,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  archivedAt: r.archived_at,
  cognigy:
    r.api_base === null
      ? null
      : {
          apiBase: r.api_base,
          organisationId: r.organisation_id,
          apiKeyFingerprint: r.api_key_fingerprint as string,
          updatedAt: r.cognigy_updated_at as Date,
        },
  dataKey: r.has_data_key ? { orgId: r.id } : null,
});

export type OrgRef = { readonly id: string } | { readonly slug: string };

// The columns an org is named by, written by name: the query they narrow is a type parameter below.
const O_ID = sql.ref<string>('o.id');
const O_TENANT = sql.ref<string>('o.tenant_id');
const O_SLUG = sql.ref<string>('o.slug');
const O_ARCHIVED = sql.ref<Date | null>('o.archived_at');

/**
 * A read of an org named either way, in its tenant, on `query` (a select from `orgs as o`): two
 * prepared statements, `<name>_by_id` (any org) and `<name>_by_slug` (active orgs only); the read
 * runs the one `ref` calls for. Also the SSO state read's (sso-state.repository.ts).
 */
export function orgRefRead<QDB extends { o: Org }, TB extends keyof QDB, O>(
  name: string,
  query: (db: Db) => SelectQueryBuilder<QDB, TB, O>,
): (db: Db, tenantId: string, ref: OrgRef) => Promise<O | undefined> {
  const byId = prepared(`${name}_by_id`, (db, p: { tenantId: string; id: string }) =>
    query(db).where(O_ID, '=', p.id).where(O_TENANT, '=', p.tenantId),
  );
  const bySlug = prepared(`${name}_by_slug`, (db, p: { tenantId: string; slug: string }) =>
    query(db).where(O_SLUG, '=', p.slug).where(O_TENANT, '=', p.tenantId).where(O_ARCHIVED, 'is', null),
  );
  return (db, tenantId, ref) =>
    'id' in ref ? byId.first(db, { tenantId, id: ref.id }) : bySlug.first(db, { tenantId, slug: ref.slug });
}

// Every request on an org reads it first: prepared statements, and the same with the org's row
// locked until the transaction ends (`FOR UPDATE OF o`: the joined rows stay unlocked), which
// serialises the writers of one org.
const FIND = orgRefRead('org', orgs);
const LOCK = orgRefRead('org_lock', (db) => orgs(db).forUpdate('o'));

export interface OrgListFilter {
  readonly tenantId: string;
  readonly orgScope: readonly string[] | null;
  readonly archived: boolean;
  readonly text?: string;
  readonly labels: Labels;
  readonly after?: { slug: string; id: string };
  readonly limit: number;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const orgsRepository = {
  /** The org by id (any) or by slug (active only), in the tenant; on the pool or in a transaction. */
  async find(db: Db, tenantId: string, ref: OrgRef): Promise<OrgRow | null> {
    const row = await FIND(db, tenantId, ref);
    return row ? orgOf(row) : null;
  },

  /** The same, with the org's row locked for the rest of the transaction. */
  async lockByRef(tx: Tx, tenantId: string, ref: OrgRef): Promise<OrgRow | null> {
    const row = await LOCK(tx, tenantId, ref);
    return row ? orgOf(row) : null;
  },

  /** A new org (without a target or a data key yet). */
  async insert(
    tx: Tx,
    tenantId: string,
    data: { slug: string; name: string; labels: Labels },
  ): Promise<OrgRow> {
    const row = await tx
      .insertInto('orgs')
      .values({
        id: uuidv7(),
        tenant_id: tenantId,
        slug: data.slug,
        name: data.name,
        labels: JSON.stringify(data.labels),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return orgOf({
      ...row,
      api_base: null,
      organisation_id: null,
      api_key_fingerprint: null,
      cognigy_updated_at: null,
      has_data_key: false,
    });
  },

  /** Applies `changes` and bumps the revision (the caller holds the row lock); returns the org after. */
  async update(tx: Tx, id: string, changes: OrgChanges): Promise<OrgRow> {
    const row = await tx
      .with('u', (db) =>
        db
          .updateTable('orgs')
          .set((eb) => ({
            slug: changes.slug,
            name: changes.name,
            labels: changes.labels === undefined ? undefined : JSON.stringify(changes.labels),
            archived_at: changes.archivedAt,
            revision: eb('revision', '+', 1),
            updated_at: new Date(),
          }))
          .where('id', '=', id)
          .returningAll(),
      )
      .selectFrom('u as o')
      .leftJoin('cognigy_targets as t', 't.org_id', 'o.id')
      .leftJoin('org_data_keys as k', 'k.org_id', 'o.id')
      .select([...ORG_COLUMNS, hasDataKey])
      .executeTakeFirstOrThrow();
    return orgOf(row);
  },

  /** How many of `ids` are active orgs of the tenant. */
  countActiveInScope: (db: Db, tenantId: string, ids: readonly string[]) =>
    countOf(
      db
        .selectFrom('orgs')
        .where('tenant_id', '=', tenantId)
        .where('archived_at', 'is', null)
        .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`),
    ),

  /** A page in (slug, id) order, with each org's target: one statement (label filters use the GIN index, `@>`). */
  async list(db: Db, f: OrgListFilter): Promise<OrgRow[]> {
    let query = orgs(db)
      .where('o.tenant_id', '=', f.tenantId)
      .where('o.archived_at', f.archived ? 'is not' : 'is', null);
    if (f.orgScope) query = query.where('o.id', '=', sql<string>`any(${[...f.orgScope]}::uuid[])`);
    if (f.text) {
      const pattern = likePattern(f.text.toLowerCase());
      query = query.where((eb) =>
        eb.or([eb('o.slug', 'like', pattern), eb(eb.fn('lower', ['o.name']), 'like', pattern)]),
      );
    }
    if (Object.keys(f.labels).length > 0) {
      query = query.where(sql<boolean>`o.labels @> ${JSON.stringify(f.labels)}::jsonb`);
    }
    const after = f.after;
    if (after)
      query = query.where((eb) => eb(eb.refTuple('o.slug', 'o.id'), '>', eb.tuple(after.slug, after.id)));
    const rows = await query.orderBy('o.slug').orderBy('o.id').limit(f.limit).execute();
    return rows.map(orgOf);
  },
};
