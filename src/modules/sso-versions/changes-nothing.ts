/**
 * Whether a planned draft would hold exactly what its org's newest version holds, so that a bulk
 * change skips the org rather than draft a copy of its head: the same content, the same client
 * secret expiry, and the same secrets. A secret given anew is the same only when its fingerprint is
 * the one held: a bulk change that sets nothing but a new client secret (a rotation) changes the org.
 */
import type { Db } from '../../db/client.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import type { DraftPlan } from './persist-draft.js';
import { SECRET_FIELDS } from './sso-content.js';
import type { VersionRow } from './sso-versions.repository.js';
import { SECRET_COLUMNS } from './version-secrets.js';
import { versionContent } from './version-view.js';

export interface ChangesNothingDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'fingerprint'>;
}

export async function changesNothing(
  { db, secrets }: ChangesNothingDeps,
  plan: Pick<DraftPlan, 'content' | 'sources' | 'clientSecretExpiresAt'>,
  head: VersionRow | null,
): Promise<boolean> {
  if (head === null) return false;
  if (canonicalJson(plan.content) !== canonicalJson(versionContent(head))) return false;
  if (plan.clientSecretExpiresAt?.getTime() !== head.clientSecretExpiresAt?.getTime()) return false;
  for (const field of SECRET_FIELDS) {
    const column = SECRET_COLUMNS[field].fingerprint;
    const held = head[column];
    const source = plan.sources[field];
    const planned =
      source.kind === 'none'
        ? null
        : source.kind === 'carry'
          ? source.from[column]
          : await secrets.fingerprint(db, head.tenantId, source.plain);
    if (planned !== held) return false;
  }
  return true;
}
