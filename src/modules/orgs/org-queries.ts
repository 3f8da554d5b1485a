/** Lists of orgs: a page for people (text, labels, archived), and the selection of a bulk operation. */
import type { Db } from '../../db/client.js';
import { decodeCursor, encodeCursor, pageOf } from '../../lib/cursor.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import type { Labels } from '../../lib/schemas.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { findOrg } from './org-access.js';
import { type OrgRow, orgsRepository as orgs } from './orgs.repository.js';
import type { ListOrgsQuery } from './orgs.schemas.js';

function parseLabelFilters(pairs: readonly string[] | undefined): Labels {
  const labels: Labels = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** GET /v1/orgs: by slug, then id; `label=key=value` filters combine. */
export async function listOrgs(
  { db }: { readonly db: Db },
  principal: TenantPrincipal,
  query: ListOrgsQuery,
) {
  const limit = query.limit ?? 50;
  const after = query.cursor ? decodeCursor(query.cursor, ['string', 'string']) : undefined;
  if (after && !isUuid(String(after[1]))) {
    throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued');
  }
  const rows = await orgs.list(db, {
    tenantId: principal.tenantId,
    orgScope: principal.orgScope,
    archived: query.archived ?? false,
    text: query.q,
    labels: parseLabelFilters(query.label),
    after: after ? { slug: String(after[0]), id: String(after[1]) } : undefined,
    limit: limit + 1,
  });
  return pageOf(rows, limit, (last) => encodeCursor([last.slug, last.id]));
}

/**
 * The active orgs a bulk operation acts on: by id or slug, by labels, or both (orgs that match
 * both). Refs the principal cannot see are reported as missing, like refs that do not exist.
 * @throws BadRequestError when more than `max` orgs match.
 */
export async function selectOrgs(
  deps: { readonly db: Db },
  principal: TenantPrincipal,
  selector: { readonly orgs?: readonly string[]; readonly labels?: Labels },
  max: number,
): Promise<{ found: OrgRow[]; missing: string[] }> {
  const tooMany = () =>
    new BadRequestError('BULK_SELECTION_TOO_LARGE', `The selection matches more than ${max} orgs; narrow it`);
  let byLabels: OrgRow[] | undefined;
  if (selector.labels) {
    byLabels = await orgs.list(deps.db, {
      tenantId: principal.tenantId,
      orgScope: principal.orgScope,
      archived: false,
      labels: selector.labels,
      limit: max + 1,
    });
    if (byLabels.length > max) throw tooMany();
  }
  if (!selector.orgs) return { found: byLabels ?? [], missing: [] };
  const labelled = byLabels ? new Set(byLabels.map((o) => o.id)) : undefined;
  const found = new Map<string, OrgRow>();
  const missing: string[] = [];
  for (const ref of selector.orgs) {
    const row = await findOrg(deps, principal, ref).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!row || row.archivedAt) missing.push(ref);
    else if (!labelled || labelled.has(row.id)) found.set(row.id, row);
  }
  if (found.size > max) throw tooMany();
  return { found: [...found.values()], missing };
}
