/**
 * GET /v1/orgs/{org}/sso, the service's hottest read: the desired (latest approved) version, the
 * drafts above it, the delivery state and the setup help — from one statement (sso-state.repository.ts).
 */
import type { Db } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import { canSeeOrg, type TenantPrincipal } from '../auth/principal.js';
import { setupHelp } from '../cognigy/setup-help.js';
import { deliveryView } from '../forwarding/delivery-state.js';
import { readSsoState } from './sso-state.repository.js';
import type { SsoStateView } from './sso-state.schemas.js';
import type { VersionView } from './sso-versions.schemas.js';

export async function ssoState(
  { db }: { readonly db: Db },
  principal: TenantPrincipal,
  ref: string,
): Promise<SsoStateView> {
  const row = await readSsoState(
    db,
    principal.tenantId,
    isUuid(ref) ? { id: ref.toLowerCase() } : { slug: ref },
  );
  if (!row || !canSeeOrg(principal, row.org_id)) throw new NotFoundError('ORG_NOT_FOUND', 'No such org');
  return {
    orgId: row.org_id,
    headVersion: row.head,
    desired:
      row.desired_number !== null
        ? {
            number: row.desired_number,
            kind: row.desired_kind as VersionView['kind'],
            contentHash: row.desired_hash as string,
            approvedAt: (row.desired_at as Date).toISOString(),
            approvedBy: { id: row.desired_by_id, name: row.desired_by_name as string },
          }
        : null,
    pendingDrafts: row.drafts,
    ...deliveryView(row),
    setup: setupHelp(
      row.api_base === null ? null : { apiBase: row.api_base, organisationId: row.organisation_id },
    ),
  };
}
