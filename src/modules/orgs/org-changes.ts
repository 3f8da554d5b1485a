/**
 * Creating, renaming or relabelling, and archiving an org: each one transaction with its audit
 * event. Role checks happen at the route (declared access); an org is never deleted.
 */
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { created } from '../audit/diff.js';
import { requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { lockForWrite } from './org-access.js';
import { orgChanges, orgEvent, toOrgView } from './org-view.js';
import { type OrgRow, orgsRepository as orgs } from './orgs.repository.js';
import type { CreateOrgBody, UpdateOrgBody } from './orgs.schemas.js';

const slugTaken = (slug: string) =>
  new ConflictError(
    'ORG_SLUG_TAKEN',
    `The slug "${slug}" is already used by another active org of this tenant`,
    {
      errors: [{ pointer: '/body/slug', detail: 'already in use' }],
    },
  );

export async function createOrg(
  { change }: { readonly change: ChangeRunner },
  ctx: ChangeContext,
  principal: TenantPrincipal,
  body: CreateOrgBody,
): Promise<OrgRow> {
  requireUnscoped(principal);
  try {
    return await change(ctx, async (tx, trail) => {
      const row = await orgs.insert(tx, principal.tenantId, {
        slug: body.slug,
        name: body.name.trim(),
        labels: body.labels ?? {},
      });
      await trail.record({
        ...orgEvent(principal.tenantId, row),
        action: 'org.created',
        diff: created(toOrgView(row)),
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(body.slug);
    throw error;
  }
}

export async function updateOrg(
  { change }: { readonly change: ChangeRunner },
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  body: UpdateOrgBody,
  expected: number | undefined,
) {
  try {
    return await change(ctx, async (tx, trail) => {
      const row = await lockForWrite(tx, principal, ref, expected);
      const updated = await orgs.update(tx, row.id, {
        ...(body.slug !== undefined ? { slug: body.slug } : {}),
        ...(body.name !== undefined ? { name: body.name.trim() } : {}),
        ...(body.labels !== undefined ? { labels: body.labels } : {}),
      });
      await trail.record({
        ...orgEvent(principal.tenantId, row),
        action: 'org.updated',
        diff: orgChanges(row, updated),
      });
      return updated;
    });
  } catch (error) {
    if (isUniqueViolation(error) && body.slug) throw slugTaken(body.slug);
    throw error;
  }
}

/** Archives (never deletes); with `shredSecrets` also destroys the org's data key. */
export async function archiveOrg(
  { change, secrets }: { readonly change: ChangeRunner; readonly secrets: Pick<SecretsService, 'shredOrg'> },
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  shredSecrets: boolean,
  expected: number | undefined,
) {
  return change(ctx, async (tx, trail) => {
    const row = await lockForWrite(tx, principal, ref, expected);
    if (shredSecrets && (await secrets.shredOrg(tx, row.id))) {
      await trail.record({
        ...orgEvent(principal.tenantId, row),
        action: 'org.secrets_shredded',
        diff: { before: { dataKey: 'present' }, after: { dataKey: 'destroyed' } },
      });
    }
    const archived = await orgs.update(tx, row.id, { archivedAt: new Date() });
    await trail.record({
      ...orgEvent(principal.tenantId, row),
      action: 'org.archived',
      diff: orgChanges(row, archived),
    });
    return archived;
  });
}
