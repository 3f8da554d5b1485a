/**
 * The read behind GET /v1/orgs/{org}/sso, the service's hottest read: the org (by id, or by slug
 * among active orgs), its Cognigy target's setup fields, its newest version, its desired (latest
 * approved) version and the drafts above it, and its delivery state (delivery-state.ts) — one
 * statement, prepared once per connection, on the `pg` pool directly (Prisma would take several
 * round trips and its row mapping for the same answer).
 */
import type pg from 'pg';
import { DELIVERY_COLUMNS, type DeliveryRow, deliveryJoins } from '../forwarding/delivery-state.js';

export interface SsoStateRow extends DeliveryRow {
  readonly org_id: string;
  readonly api_base: string | null;
  readonly organisation_id: string | null;
  readonly head: number | null;
  readonly desired_number: number | null;
  readonly desired_kind: string | null;
  readonly desired_hash: string | null;
  readonly desired_at: Date | null;
  readonly desired_by_id: string | null;
  readonly desired_by_name: string | null;
  readonly drafts: number[];
}

const select = (orgCondition: string) => `
  SELECT o.id AS org_id, t.api_base, t.organisation_id,
         (SELECT max(v.number) FROM sso_versions v WHERE v.org_id = o.id) AS head,
         d.number AS desired_number, d.kind AS desired_kind, d.content_hash AS desired_hash,
         d.reviewed_at AS desired_at, d.reviewed_by_id AS desired_by_id, d.reviewed_by_name AS desired_by_name,
         ARRAY(SELECT v.number FROM sso_versions v
                WHERE v.org_id = o.id AND v.review_state = 'draft' AND v.number > coalesce(d.number, 0)
                ORDER BY v.number) AS drafts,
         ${DELIVERY_COLUMNS}
    FROM orgs o
    LEFT JOIN cognigy_targets t ON t.org_id = o.id
    LEFT JOIN LATERAL (
      SELECT number, kind, content_hash, reviewed_at, reviewed_by_id, reviewed_by_name
        FROM sso_versions v
       WHERE v.org_id = o.id AND v.review_state = 'approved'
       ORDER BY v.number DESC LIMIT 1) d ON true
    ${deliveryJoins('o.id')}
   WHERE o.tenant_id = $1::uuid AND ${orgCondition}`;

const BY_ID = { name: 'sso_state_by_id', text: select('o.id = $2::uuid') };
const BY_SLUG = { name: 'sso_state_by_slug', text: select('o.slug = $2 AND o.archived_at IS NULL') };

export async function readSsoState(
  pool: pg.Pool,
  tenantId: string,
  org: { readonly id: string } | { readonly slug: string },
): Promise<SsoStateRow | undefined> {
  const statement = 'id' in org ? BY_ID : BY_SLUG;
  const { rows } = await pool.query<SsoStateRow>({
    ...statement,
    values: [tenantId, 'id' in org ? org.id : org.slug],
  });
  return rows[0];
}
