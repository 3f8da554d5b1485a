/**
 * What forwarding reads of a version (the forwarder's `loadVersion`): its content in Cognigy's field
 * names, its hashes, and its secrets opened on demand, just before the one call that sends them.
 * The dry run reads a version the same way, so that it shows what would be sent.
 */
import type { Db } from '../../db/client.js';
import type { ForwardableVersion } from '../forwarding/forwarder.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { type VersionRow, ssoVersionsRepository as versions } from './sso-versions.repository.js';
import { openVersionSecret } from './version-secrets.js';
import { versionContent } from './version-view.js';

export interface ForwardableDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'openSecret'>;
}

export function forwardableVersion({ db, secrets }: ForwardableDeps, row: VersionRow): ForwardableVersion {
  return {
    content: versionContent(row),
    contentHash: row.contentHash,
    approvedHash: row.approvedHash,
    openSecrets: async () => ({
      idpClientSecret: (await openVersionSecret(secrets, db, row, 'idpClientSecret')) ?? undefined,
      decryptionPrivateKey: await openVersionSecret(secrets, db, row, 'decryptionPrivateKey'),
    }),
  };
}

/** The version with this id as forwarding needs it, or null when there is none. */
export async function forwardable(
  deps: ForwardableDeps,
  versionId: string,
): Promise<ForwardableVersion | null> {
  const row = await versions.byId(deps.db, versionId);
  return row ? forwardableVersion(deps, row) : null;
}
