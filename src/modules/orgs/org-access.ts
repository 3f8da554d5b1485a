/**
 * How every use case reaches an org: found by id or slug as the principal may see it (tenant
 * isolation, org scope), or locked for a write that refuses archived orgs and stale revisions.
 */
import type { Db, Tx } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import { canSeeOrg, type TenantPrincipal } from '../auth/principal.js';
import { toOrgView } from './org-view.js';
import { type OrgRow, orgsRepository as orgs } from './orgs.repository.js';

const orgNotFound = () => new NotFoundError('ORG_NOT_FOUND', 'No such org');

const byRef = (ref: string) => (isUuid(ref) ? { id: ref.toLowerCase() } : { slug: ref });

/**
 * Finds an org by id or slug, as the principal may see it.
 * @param client the transaction when called inside one (a second connection from the pool while
 * holding one deadlocks once every connection is held by a transaction waiting for another)
 */
export async function findOrg(
  { db }: { readonly db: Db },
  principal: TenantPrincipal,
  ref: string,
  client: Db = db,
): Promise<OrgRow> {
  const row = await orgs.find(client, principal.tenantId, byRef(ref));
  if (!row || !canSeeOrg(principal, row.id)) throw orgNotFound();
  return row;
}

/**
 * Opens a write on one org: resolves it, locks its row, refuses archived orgs and stale revisions.
 * @param expected revision from If-Match or the body, when the client sent one
 */
export async function lockForWrite(
  tx: Tx,
  principal: TenantPrincipal,
  ref: string,
  expected: number | undefined,
): Promise<OrgRow> {
  const row = await orgs.lockByRef(tx, principal.tenantId, byRef(ref));
  if (!row || !canSeeOrg(principal, row.id)) throw orgNotFound();
  if (row.archivedAt) {
    throw new ConflictError('ORG_ARCHIVED', 'The org is archived and cannot change', {
      body: { current: toOrgView(row) },
    });
  }
  if (expected !== undefined && expected !== row.revision) {
    throw new ConflictError(
      'ORG_REVISION_STALE',
      `The org changed since revision ${expected}; it is now at revision ${row.revision}`,
      { body: { current: toOrgView(row) } },
    );
  }
  return row;
}
