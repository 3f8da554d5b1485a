/**
 * Where a version's secrets live: the columns that hold each one sealed, with its fingerprint and
 * the version it last changed in; where it is sealed (bound to tenant, org, version and field); and
 * how it is opened again, for the one call that needs the plain text.
 */
import type { Db } from '../../db/client.js';
import { ConflictError } from '../../lib/errors.js';
import { CryptoError } from '../crypto/crypto-error.js';
import type { SecretLocation, SecretsService } from '../secrets/secrets.service.js';
import type { SecretField } from './sso-content.js';
import type { VersionRow } from './sso-versions.repository.js';

/** The columns of each secret field. */
export const SECRET_COLUMNS = {
  idpClientSecret: {
    sealed: 'clientSecretSealed',
    fingerprint: 'clientSecretFingerprint',
    changedIn: 'clientSecretChangedIn',
  },
  decryptionPrivateKey: {
    sealed: 'decryptionKeySealed',
    fingerprint: 'decryptionKeyFingerprint',
    changedIn: 'decryptionKeyChangedIn',
  },
} as const satisfies Record<SecretField, Record<string, keyof VersionRow>>;

/** The secret columns of a version row, all of them. */
export type SecretColumns = Pick<
  VersionRow,
  (typeof SECRET_COLUMNS)[SecretField][keyof (typeof SECRET_COLUMNS)[SecretField]]
>;

/** Where each secret of a new version comes from. */
export type SecretSource =
  | { readonly kind: 'value'; readonly plain: string }
  | { readonly kind: 'carry'; readonly from: VersionRow }
  | { readonly kind: 'none' };

/** Where a version's secret is sealed: bound to tenant, org, version number and field. */
export const versionSecretLocation = (
  tenantId: string,
  orgId: string,
  number: number,
  field: SecretField,
): SecretLocation => ({ tenantId, orgId, record: `sso_versions/${number}`, field });

/** The fingerprint of a version's secret and the version it last changed in, or null when it has none. */
export function secretRef(row: VersionRow, field: SecretField) {
  const c = SECRET_COLUMNS[field];
  const fingerprint = row[c.fingerprint];
  return fingerprint === null ? null : { fingerprint, changedIn: row[c.changedIn] as number };
}

/** Whether the version holds this secret. */
export const hasSecret = (row: VersionRow, field: SecretField): boolean =>
  row[SECRET_COLUMNS[field].sealed] !== null;

export const secretsUnavailable = (number: number, cause: unknown) =>
  new ConflictError(
    'SSO_SECRETS_UNAVAILABLE',
    `The secrets of version ${number} can no longer be decrypted (the org’s data key was destroyed): supply them anew`,
    { body: { cause: cause instanceof CryptoError ? cause.code : 'unknown' } },
  );

/**
 * The plain text of a version's secret, or null when it has none.
 * @param client the transaction when called inside one
 * @throws ConflictError SSO_SECRETS_UNAVAILABLE when it can no longer be decrypted
 */
export async function openVersionSecret(
  secrets: Pick<SecretsService, 'openSecret'>,
  client: Db,
  row: VersionRow,
  field: SecretField,
): Promise<string | null> {
  const sealed = row[SECRET_COLUMNS[field].sealed];
  if (sealed === null) return null;
  try {
    return await secrets.openSecret(
      client,
      versionSecretLocation(row.tenantId, row.orgId, row.number, field),
      sealed,
    );
  } catch (error) {
    throw secretsUnavailable(row.number, error);
  }
}
