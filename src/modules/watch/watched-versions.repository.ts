/**
 * What the watch looks at (issue 17): for each active org, the versions that matter now — its
 * desired one (the latest approved) and its applied one (the last forwarded successfully) — with
 * the discovery evidence of each version's newest validation report, and the org's delivery state.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/client.js';
import type { DiscoveryEvidence, DiscoveryMetadata } from '../discovery/discovery-report.js';

export interface WatchedVersion {
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly number: number;
  readonly kind: 'oidc' | 'saml' | 'disabled';
  readonly content: Readonly<Record<string, unknown>>;
  readonly clientSecretExpiresAt: Date | null;
  readonly clientSecretChangedIn: number | null;
  /** desired, applied, or both. */
  readonly roles: readonly ('desired' | 'applied')[];
  /** The discovery part of the version's newest validation report (OIDC), if any. */
  readonly discovery: {
    readonly metadata: DiscoveryMetadata | null;
    readonly evidence: DiscoveryEvidence | null;
    readonly checkedAt: string;
  } | null;
}

export interface OrgDelivery {
  readonly orgId: string;
  readonly desiredNumber: number | null;
  readonly desiredApprovedAt: Date | null;
  readonly appliedNumber: number | null;
  /** The newest deployment of the desired version. */
  readonly deploymentState: string | null;
  readonly deploymentId: string | null;
  readonly deploymentFinishedAt: Date | null;
  readonly deploymentError: Readonly<Record<string, unknown>> | null;
}

interface Scope {
  readonly tenantId?: string;
  readonly orgIds?: readonly string[];
}

const orgFilter = (scope: Scope) =>
  sql.join(
    [
      sql`o.archived_at IS NULL`,
      ...(scope.tenantId ? [sql`o.tenant_id = ${scope.tenantId}`] : []),
      ...(scope.orgIds ? [sql`o.id = any(${[...scope.orgIds]}::uuid[])`] : []),
    ],
    sql` AND `,
  );

/** Each active org in scope with the numbers of its desired and applied versions. */
const heads = (scope: Scope) => sql`
  SELECT o.id AS org_id,
    (SELECT v.number FROM sso_versions v WHERE v.org_id = o.id AND v.review_state = 'approved'
      ORDER BY v.number DESC LIMIT 1) AS desired,
    (SELECT d.version_number FROM deployments d WHERE d.org_id = o.id AND d.state = 'succeeded'
      ORDER BY d.finished_at DESC LIMIT 1) AS applied
  FROM orgs o WHERE ${orgFilter(scope)}`;

export const watchedVersionsRepository = {
  /**
   * The OIDC issuers of the desired and applied versions of every active org, with their orgs: what
   * a discovery round is split by. Only the issuer is read, not the versions (a round over 10,000
   * orgs would otherwise parse every version's content and evidence once more just to group them).
   */
  async issuers(db: Db): Promise<Map<string, string[]>> {
    const { rows } = await sql<{ issuer: string; org_ids: string[] }>`
      WITH heads AS (${heads({})})
      SELECT v.content ->> 'idpIssuer' AS issuer, array_agg(DISTINCT v.org_id::text) AS org_ids
      FROM heads h
      JOIN sso_versions v ON v.org_id = h.org_id AND v.number IN (h.desired, h.applied)
      WHERE v.kind = 'oidc' AND jsonb_typeof(v.content -> 'idpIssuer') = 'string'
      GROUP BY 1 ORDER BY 1`.execute(db);
    return new Map(rows.map((r) => [r.issuer, r.org_ids]));
  },

  /** The desired and applied versions of the active orgs in scope. */
  async versions(db: Db, scope: Scope): Promise<WatchedVersion[]> {
    const { rows } = await sql<{
      tenant_id: string;
      org_id: string;
      id: string;
      number: number;
      kind: WatchedVersion['kind'];
      content: Record<string, unknown>;
      client_secret_expires_at: Date | null;
      client_secret_changed_in: number | null;
      roles: ('desired' | 'applied')[];
      discovery: WatchedVersion['discovery'];
    }>`
      WITH heads AS (${heads(scope)})
      SELECT v.tenant_id, v.org_id, v.id, v.number, v.kind, v.content, v.client_secret_expires_at,
        v.client_secret_changed_in,
        array_remove(ARRAY[CASE WHEN v.number = h.desired THEN 'desired' END,
                           CASE WHEN v.number = h.applied THEN 'applied' END], NULL) AS roles,
        r.report -> 'discovery' AS discovery
      FROM heads h
      JOIN sso_versions v ON v.org_id = h.org_id AND v.number IN (h.desired, h.applied)
      LEFT JOIN LATERAL (SELECT s.report FROM sso_validations s WHERE s.version_id = v.id
        ORDER BY s.checked_at DESC LIMIT 1) r ON true
      ORDER BY v.org_id, v.number`.execute(db);
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      orgId: r.org_id,
      versionId: r.id,
      number: r.number,
      kind: r.kind,
      content: r.content,
      clientSecretExpiresAt: r.client_secret_expires_at,
      clientSecretChangedIn: r.client_secret_changed_in,
      roles: r.roles,
      discovery: r.discovery && typeof r.discovery === 'object' ? r.discovery : null,
    }));
  },

  /** The delivery state of the active orgs in scope that have a desired version. */
  async deliveries(db: Db, scope: Scope): Promise<OrgDelivery[]> {
    const { rows } = await sql<{
      org_id: string;
      desired: number | null;
      desired_at: Date | null;
      applied: number | null;
      state: string | null;
      deployment_id: string | null;
      finished_at: Date | null;
      last_error: Record<string, unknown> | null;
    }>`
      SELECT o.id AS org_id, d.number AS desired, d.reviewed_at AS desired_at, a.version_number AS applied,
        x.state, x.id AS deployment_id, x.finished_at, x.last_error
      FROM orgs o
      JOIN LATERAL (SELECT v.id, v.number, v.reviewed_at FROM sso_versions v
        WHERE v.org_id = o.id AND v.review_state = 'approved' ORDER BY v.number DESC LIMIT 1) d ON true
      LEFT JOIN LATERAL (SELECT version_number FROM deployments
        WHERE org_id = o.id AND state = 'succeeded' ORDER BY finished_at DESC LIMIT 1) a ON true
      LEFT JOIN LATERAL (SELECT id, state, finished_at, last_error FROM deployments
        WHERE org_id = o.id AND version_id = d.id ORDER BY created_at DESC LIMIT 1) x ON true
      WHERE ${orgFilter(scope)}`.execute(db);
    return rows.map((r) => ({
      orgId: r.org_id,
      desiredNumber: r.desired,
      desiredApprovedAt: r.desired_at,
      appliedNumber: r.applied,
      deploymentState: r.state,
      deploymentId: r.deployment_id,
      deploymentFinishedAt: r.finished_at,
      deploymentError: r.last_error,
    }));
  },

  /** The orgs in scope (archived ones too) that have open findings. */
  async orgsWithOpenFindings(db: Db, scope: Scope): Promise<{ orgId: string; archived: boolean }[]> {
    const { rows } = await sql<{ org_id: string; archived: boolean }>`
      SELECT o.id AS org_id, o.archived_at IS NOT NULL AS archived FROM orgs o
      WHERE ${scope.tenantId ? sql`o.tenant_id = ${scope.tenantId}` : sql`true`}
        ${scope.orgIds ? sql`AND o.id = any(${[...scope.orgIds]}::uuid[])` : sql``}
        AND EXISTS (SELECT 1 FROM findings f WHERE f.org_id = o.id AND f.state = 'open')`.execute(db);
    return rows.map((r) => ({ orgId: r.org_id, archived: r.archived }));
  },

  /** The tenants with an active org that has an approved version, or with open findings. */
  async tenants(db: Db): Promise<string[]> {
    const { rows } = await sql<{ tenant_id: string }>`
      SELECT DISTINCT o.tenant_id FROM orgs o
      WHERE o.archived_at IS NULL
        AND EXISTS (SELECT 1 FROM sso_versions v WHERE v.org_id = o.id AND v.review_state = 'approved')
      UNION
      SELECT tenant_id FROM findings WHERE state = 'open'
      ORDER BY 1`.execute(db);
    return rows.map((r) => r.tenant_id);
  },
};
