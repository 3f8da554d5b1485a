/**
 * The dry run, GET …/versions/{n}/cognigy-request: the exact request forwarding would send for a
 * version, with the API key and the secrets masked by their fingerprints. The version is read as the
 * forwarder reads it (forwardable.ts) and mapped by the same cognigyRequest.
 */
import type { Db } from '../../db/client.js';
import { ConflictError } from '../../lib/errors.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { cognigyRequest, maskCognigyRequest } from '../cognigy/cognigy-request.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { forwardableVersion } from './forwardable.js';
import { findVersion } from './version-lookup.js';
import { secretsUnavailable } from './version-secrets.js';

export interface DryRunDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'openSecret'>;
  readonly orgs: Pick<OrgsService, 'find' | 'loadCognigyCredentials'>;
}

export async function dryRun(deps: DryRunDeps, principal: TenantPrincipal, ref: string, number: number) {
  const { org, row } = await findVersion(deps, principal, ref, number);
  const target = await deps.orgs
    .loadCognigyCredentials(principal.tenantId, org.id)
    .catch((error: unknown) => {
      throw secretsUnavailable(number, error);
    });
  if (!target || !org.cognigy) {
    throw new ConflictError(
      'COGNIGY_TARGET_MISSING',
      'The org has no Cognigy target yet: set it with PUT /v1/orgs/{org}/cognigy',
    );
  }
  // As the forwarder prepares its call (forwarder.ts, prepare): the same reader, the same mapping.
  const version = forwardableVersion(deps, row);
  const request = cognigyRequest(target, version.content, await version.openSecrets());
  const masked = maskCognigyRequest(request, {
    apiKey: org.cognigy.apiKeyFingerprint,
    ...(row.clientSecretFingerprint ? { idpClientSecret: row.clientSecretFingerprint } : {}),
    ...(row.decryptionKeyFingerprint ? { decryptionPrivateKey: row.decryptionKeyFingerprint } : {}),
  });
  return { version: row.number, contentHash: row.contentHash, ...masked };
}
