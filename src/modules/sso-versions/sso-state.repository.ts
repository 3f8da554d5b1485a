/**
 * The read behind GET /v1/orgs/{org}/sso, the service's hottest read: the org (by id, or by slug
 * among active orgs), its Cognigy target's setup fields, its newest version, its desired (latest
 * approved) version and the drafts above it, and its delivery state (delivery-state.ts) — one
 * statement, prepared once per connection.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/client.js';
import { type DeliveryRow, orgsWithDelivery } from '../forwarding/delivery-state.js';
import { type OrgRef, orgRefRead } from '../orgs/orgs.repository.js';

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

const states = (db: Db) =>
  orgsWithDelivery(db)
    .leftJoin('cognigy_targets as t', 't.org_id', 'o.id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('sso_versions as v')
          .select(['number', 'kind', 'content_hash', 'reviewed_at', 'reviewed_by_id', 'reviewed_by_name'])
          .whereRef('v.org_id', '=', 'o.id')
          .where('v.review_state', '=', sql.lit('approved'))
          .orderBy('v.number', 'desc')
          .limit(1)
          .as('d'),
      (join) => join.onTrue(),
    )
    .select((eb) => [
      'o.id as org_id',
      't.api_base',
      't.organisation_id',
      eb
        .selectFrom('sso_versions as v')
        .select((v) => v.fn.max('v.number').as('n'))
        .whereRef('v.org_id', '=', 'o.id')
        .as('head'),
      'd.number as desired_number',
      'd.kind as desired_kind',
      'd.content_hash as desired_hash',
      'd.reviewed_at as desired_at',
      'd.reviewed_by_id as desired_by_id',
      'd.reviewed_by_name as desired_by_name',
      // ARRAY(subquery): the builder has no form for it.
      sql<number[]>`ARRAY(SELECT v.number FROM sso_versions v
         WHERE v.org_id = o.id AND v.review_state = 'draft' AND v.number > coalesce(d.number, 0)
         ORDER BY v.number)`.as('drafts'),
    ]);

/** The SSO state of the org named by `org` (by id, any; by slug, active only) in the tenant. */
export const readSsoState: (db: Db, tenantId: string, org: OrgRef) => Promise<SsoStateRow | undefined> =
  orgRefRead('sso_state', states);
