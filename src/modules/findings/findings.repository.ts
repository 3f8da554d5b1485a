/**
 * The `findings` table. Writes happen under a per-org advisory lock held for the transaction
 * (`lockOrgs`), so two processes judging the same org one after the other see each other's
 * findings; the partial unique index (one open finding per org, kind and subject) is the last guard.
 */
import { type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import type { Finding } from '../../generated/kysely/types.js';
import { type FindingKind, SEVERITY_RANK, type Severity } from './finding-kinds.js';

export interface FindingRow {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly orgSlug?: string;
  readonly kind: FindingKind;
  readonly subject: string;
  readonly severity: Severity;
  readonly state: 'open' | 'resolved';
  readonly summary: string;
  readonly action: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly resolvedAt: Date | null;
}

/** A row of `findings` as the service sees it (the one mapping of this table). */
const findingOf = (r: Selectable<Finding> & { org_slug?: string }): FindingRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  orgId: r.org_id,
  ...(r.org_slug === undefined ? {} : { orgSlug: r.org_slug }),
  kind: r.kind as FindingKind,
  subject: r.subject,
  severity: r.severity as Severity,
  state: r.state as FindingRow['state'],
  summary: r.summary,
  action: r.action,
  evidence: r.evidence as FindingRow['evidence'],
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  resolvedAt: r.resolved_at,
});

export interface NewFinding {
  readonly tenantId: string;
  readonly orgId: string;
  readonly kind: FindingKind;
  readonly subject: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly action: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

export interface FindingFilters {
  readonly orgId?: string;
  /** null: every org of the tenant. */
  readonly orgScope: readonly string[] | null;
  readonly kind?: FindingKind;
  readonly severity?: Severity;
  readonly state?: 'open' | 'resolved';
}

/** A position in the list order: most severe first, then newest first. */
export interface FindingPosition {
  readonly rank: number;
  readonly id: string;
}

export const findingsRepository = {
  /** Serialises writers of these orgs' findings until the transaction ends (in one order: no deadlock). */
  async lockOrgs(tx: Tx, orgIds: readonly string[]): Promise<void> {
    const ids = [...new Set(orgIds)].sort();
    if (ids.length === 0) return;
    await sql`SELECT count(*) FROM (SELECT id FROM unnest(${ids}::text[]) AS t(id) ORDER BY id) s,
      LATERAL (SELECT pg_advisory_xact_lock(hashtextextended('findings:' || s.id, 0))) l`.execute(tx);
  },

  /** The open findings of these orgs. */
  async openOf(db: Db, orgIds: readonly string[]): Promise<FindingRow[]> {
    if (orgIds.length === 0) return [];
    const rows = await db
      .selectFrom('findings')
      .selectAll()
      .where('org_id', '=', sql<string>`any(${[...orgIds]}::uuid[])`)
      .where('state', '=', sql.lit('open'))
      .execute();
    return rows.map(findingOf);
  },

  async insert(tx: Tx, list: readonly NewFinding[]): Promise<FindingRow[]> {
    if (list.length === 0) return [];
    const rows = await tx
      .insertInto('findings')
      .values(
        list.map((f) => ({
          id: uuidv7(),
          tenant_id: f.tenantId,
          org_id: f.orgId,
          kind: f.kind,
          subject: f.subject,
          severity: f.severity,
          severity_rank: SEVERITY_RANK[f.severity],
          summary: f.summary,
          action: f.action,
          evidence: JSON.stringify(f.evidence),
          first_seen_at: f.firstSeenAt,
          last_seen_at: f.lastSeenAt,
        })),
      )
      .returningAll()
      .execute();
    return rows.map(findingOf);
  },

  /** A round saw these open findings again, unchanged in substance: only their last-seen time moves. */
  async seenAgain(tx: Tx, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await tx
      .updateTable('findings')
      .set({ last_seen_at: at })
      .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`)
      .where('state', '=', sql.lit('open'))
      .execute();
  },

  /** An open finding seen again with another severity, sentence or evidence. */
  async revise(
    tx: Tx,
    id: string,
    f: Pick<NewFinding, 'severity' | 'summary' | 'action' | 'evidence' | 'lastSeenAt'>,
  ): Promise<FindingRow> {
    const row = await tx
      .updateTable('findings')
      .set({
        severity: f.severity,
        severity_rank: SEVERITY_RANK[f.severity],
        summary: f.summary,
        action: f.action,
        evidence: JSON.stringify(f.evidence),
        last_seen_at: f.lastSeenAt,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return findingOf(row);
  },

  async resolve(tx: Tx, ids: readonly string[], at: Date): Promise<FindingRow[]> {
    if (ids.length === 0) return [];
    const rows = await tx
      .updateTable('findings')
      .set({ state: 'resolved', resolved_at: at })
      .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`)
      .where('state', '=', sql.lit('open'))
      .returningAll()
      .execute();
    return rows.map(findingOf);
  },

  /** A page of the tenant's findings, most severe first, then newest first. */
  async list(
    db: Db,
    tenantId: string,
    filters: FindingFilters,
    after: FindingPosition | undefined,
    limit: number,
  ): Promise<FindingRow[]> {
    let q = db
      .selectFrom('findings as f')
      .innerJoin('orgs as o', 'o.id', 'f.org_id')
      .selectAll('f')
      .select('o.slug as org_slug')
      .where('f.tenant_id', '=', tenantId);
    if (filters.orgScope) q = q.where('f.org_id', '=', sql<string>`any(${[...filters.orgScope]}::uuid[])`);
    if (filters.orgId) q = q.where('f.org_id', '=', filters.orgId);
    if (filters.kind) q = q.where('f.kind', '=', filters.kind);
    if (filters.severity) q = q.where('f.severity', '=', filters.severity);
    if (filters.state) q = q.where('f.state', '=', filters.state);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('f.severity_rank', '<', after.rank),
          eb.and([eb('f.severity_rank', '=', after.rank), eb('f.id', '<', after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy('f.severity_rank', 'desc').orderBy('f.id', 'desc').limit(limit).execute();
    return rows.map(findingOf);
  },

  /** Open findings by kind and severity (the metrics' gauges). */
  async countOpen(db: Db): Promise<{ kind: string; severity: string; count: number }[]> {
    const rows = await db
      .selectFrom('findings')
      .select(['kind', 'severity', (eb) => eb.fn.countAll<string>().as('n')])
      .where('state', '=', sql.lit('open'))
      .groupBy(['kind', 'severity'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, severity: r.severity, count: Number(r.n) }));
  },
};
