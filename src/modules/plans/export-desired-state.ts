/**
 * GET /v1/sso/desired-state (issue 19): the newest version of each org as a desired-state document —
 * one entry per org by slug, its content as stored, each secret as `{ "keep": true }` — so that a
 * plan of the export changes nothing. Orgs without a version have nothing to declare and are left out.
 */

import type { Db } from '../../db/client.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { BULK_MAX_ORGS } from '../sso-versions/bulk-results.js';
import { contentFields } from '../sso-versions/sso-content.js';
import { ssoVersionsRepository as versions } from '../sso-versions/sso-versions.repository.js';
import { hasSecret } from '../sso-versions/version-secrets.js';
import { versionContent } from '../sso-versions/version-view.js';
import type { DesiredStateDocument, DesiredStateEntry } from './plans.schemas.js';
import { parseSelector } from './selector.js';

export interface ExportDeps {
  readonly db: Db;
  readonly orgs: Pick<OrgsService, 'select'>;
}

const KEEP = { keep: true } as const;

export async function exportDesiredState(
  { db, orgs }: ExportDeps,
  principal: TenantPrincipal,
  selector: string | undefined,
): Promise<DesiredStateDocument> {
  const { found } = await orgs.select(
    principal,
    { labels: selector ? parseSelector(selector) : {} },
    BULK_MAX_ORGS,
  );
  const newest = await versions.newestOf(
    db,
    found.map((o) => o.id),
  );
  const entries: DesiredStateEntry[] = [];
  for (const org of [...found].sort((a, b) => a.slug.localeCompare(b.slug))) {
    const head = newest.get(org.id);
    if (!head) continue;
    const sso: Record<string, unknown> = { kind: head.kind, ...contentFields(versionContent(head)) };
    if (hasSecret(head, 'idpClientSecret')) sso.idpClientSecret = KEEP;
    if (hasSecret(head, 'decryptionPrivateKey')) sso.decryptionPrivateKey = KEEP;
    entries.push({ orgs: [org.slug], sso: sso as DesiredStateEntry['sso'] });
  }
  return { entries };
}
