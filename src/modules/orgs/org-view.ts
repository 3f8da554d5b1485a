/**
 * An org row as the API shows it (and the audit trail records it): the Cognigy API key as its
 * fingerprint only.
 */
import type { Labels } from '../../lib/schemas.js';
import { changes } from '../audit/diff.js';
import type { OrgRow } from './orgs.repository.js';
import type { OrgView } from './orgs.schemas.js';

export function toOrgView(row: OrgRow): OrgView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    labels: row.labels as Labels,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    archivedAt: row.archivedAt?.toISOString() ?? null,
    cognigy: row.cognigy
      ? {
          apiBase: row.cognigy.apiBase,
          organisationId: row.cognigy.organisationId,
          apiKey: { set: row.dataKey !== null, fingerprint: row.cognigy.apiKeyFingerprint },
          updatedAt: row.cognigy.updatedAt.toISOString(),
        }
      : null,
  };
}

/** The tenant, target and org of an audit event about org `row`. */
export const orgEvent = (tenantId: string, row: OrgRow) => ({
  tenantId,
  target: { type: 'org' as const, id: row.id },
  orgId: row.id,
});

/** What changed in the org's API view, for its audit event. */
export const orgChanges = (before: OrgRow, after: OrgRow) => changes(toOrgView(before), toOrgView(after));
