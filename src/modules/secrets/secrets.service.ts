/**
 * Envelope encryption of §8. Each org has its own AES-256 data key, stored wrapped by the active
 * master key; secrets are sealed with it under associated data naming tenant, org, record and
 * field. Each tenant has an HMAC key for fingerprints, so a reader can tell that a secret changed
 * without learning anything about it (and fingerprints are not comparable across tenants).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db, Tx } from '../../db/client.js';
import { open, seal } from '../crypto/aead.js';
import { associatedData, type SecretLocation, type TenantSecretLocation } from '../crypto/associated-data.js';
import { CryptoError } from '../crypto/crypto-error.js';
import type { Keyring } from '../crypto/keyring.js';
import { dataKeysRepository as repo } from './data-keys.repository.js';

export type { SecretLocation, TenantSecretLocation } from '../crypto/associated-data.js';

/** `hmac-sha256:` followed by 32 hex digits (128 bits): shown wherever a secret would be. */
export type Fingerprint = string;

export interface SecretsService {
  /** Seals `plaintext` for one field of one record of an org, creating the org's data key on first use. */
  sealSecret(tx: Tx, location: SecretLocation, plaintext: string): Promise<string>;
  /** @throws CryptoError when the value was not sealed for exactly this location, or the org was shredded. */
  openSecret(db: Db, location: SecretLocation, sealed: string): Promise<string>;
  /** Seals a secret of the tenant itself (no org), creating the tenant's data key on first use. */
  sealTenantSecret(tx: Tx, location: TenantSecretLocation, plaintext: string): Promise<string>;
  /** @throws CryptoError when the value was not sealed for exactly this location. */
  openTenantSecret(db: Db, location: TenantSecretLocation, sealed: string): Promise<string>;
  /** Keyed fingerprint of a secret, stable for the tenant's lifetime (across master-key rotations). */
  fingerprint(db: Db, tenantId: string, secret: string): Promise<Fingerprint>;
  /** Creates the tenant's fingerprint key (called when the tenant is created). */
  createTenantKey(tx: Tx, tenantId: string): Promise<void>;
  /** Deletes the org's data key: every secret of the org becomes unrecoverable. */
  shredOrg(tx: Tx, orgId: string): Promise<boolean>;
  /** Seals data for the service itself (not an org's), under the active master key directly. */
  sealWithMasterKey(plaintext: Buffer, aad: string): { masterKeyId: string; sealed: string };
  openWithMasterKey(masterKeyId: string, sealed: string, aad: string): Buffer;
}

/**
 * Unwrapped keys kept in memory, so that a draft or a forward does not read and unwrap the same key
 * again (one statement and one AES-GCM open each):
 * - a tenant's fingerprint key never changes (rotation re-wraps the same key): kept while used;
 * - an org's data key can be shredded: kept for {@link ORG_KEY_CACHE_MS} only, and forgotten at
 *   once when this process shreds it — another process of the same database may still decrypt the
 *   org's secrets for up to that long after a shred (README "Encryption keys").
 */
export const ORG_KEY_CACHE_MS = 5_000;

export function createSecretsService(keyring: Keyring): SecretsService {
  const tenantKeys = new LRUCache<string, Buffer>({ max: 1_000 });
  // A tenant's data key is never shredded (only re-wrapped): kept while used, like its fingerprint key.
  const tenantDataKeys = new LRUCache<string, Buffer>({ max: 1_000 });
  const orgKeys = new LRUCache<string, { tenantId: string; key: Buffer }>({
    max: 10_000,
    ttl: ORG_KEY_CACHE_MS,
  });

  function wrap(key: Buffer, aad: string) {
    return { masterKeyId: keyring.active.id, wrappedKey: seal(keyring.active.key, key, aad) };
  }
  function unwrap(row: { masterKeyId: string; wrappedKey: string }, aad: string): Buffer {
    return open(keyring.get(row.masterKeyId).key, row.wrappedKey, aad);
  }

  /** @param createIn the transaction in which a missing key is created (none: a missing key is an error) */
  async function orgDataKey(db: Db, location: SecretLocation, createIn?: Tx): Promise<Buffer> {
    const cached = orgKeys.get(location.orgId);
    if (cached) {
      if (cached.tenantId !== location.tenantId) {
        throw new CryptoError('CRYPTO_DATA_KEY_MISMATCH', 'The org data key belongs to another tenant');
      }
      return cached.key;
    }
    const aad = associatedData.orgDataKey(location.tenantId, location.orgId);
    let row = await repo.findOrgKey(db, location.orgId);
    if (row && row.tenantId !== location.tenantId) {
      throw new CryptoError('CRYPTO_DATA_KEY_MISMATCH', 'The org data key belongs to another tenant');
    }
    if (!row) {
      if (!createIn) {
        throw new CryptoError(
          'CRYPTO_DATA_KEY_MISSING',
          'The org has no data key (it was shredded): the secret is gone',
        );
      }
      // A key created in a transaction that may still roll back is not cached.
      row = await repo.insertOrgKey(createIn, location.tenantId, location.orgId, wrap(randomBytes(32), aad));
      return unwrap(row, aad);
    }
    const key = unwrap(row, aad);
    orgKeys.set(location.orgId, { tenantId: location.tenantId, key });
    return key;
  }

  /** The tenant's data key (its own secrets); created in `createIn` when missing. */
  async function tenantDataKey(db: Db, tenantId: string, createIn?: Tx): Promise<Buffer> {
    const cached = tenantDataKeys.get(tenantId);
    if (cached) return cached;
    const aad = associatedData.tenantDataKey(tenantId);
    let row = await repo.findTenantDataKey(db, tenantId);
    if (!row) {
      if (!createIn) throw new CryptoError('CRYPTO_DATA_KEY_MISSING', 'The tenant has no data key');
      // A key created in a transaction that may still roll back is not cached.
      row = await repo.insertTenantDataKey(createIn, tenantId, wrap(randomBytes(32), aad));
      return unwrap(row, aad);
    }
    const key = unwrap(row, aad);
    tenantDataKeys.set(tenantId, key);
    return key;
  }

  async function tenantKey(db: Db, tenantId: string): Promise<Buffer> {
    const cached = tenantKeys.get(tenantId);
    if (cached) return cached;
    const row = await repo.findTenantKey(db, tenantId);
    if (!row) throw new CryptoError('CRYPTO_TENANT_KEY_MISSING', `Tenant ${tenantId} has no fingerprint key`);
    const key = unwrap(row, associatedData.tenantSecretKey(tenantId));
    tenantKeys.set(tenantId, key);
    return key;
  }

  return {
    async sealSecret(tx, location, plaintext) {
      const key = await orgDataKey(tx, location, tx);
      return seal(key, Buffer.from(plaintext, 'utf8'), associatedData.secret(location));
    },

    async openSecret(db, location, sealed) {
      const key = await orgDataKey(db, location);
      return open(key, sealed, associatedData.secret(location)).toString('utf8');
    },

    async sealTenantSecret(tx, location, plaintext) {
      const key = await tenantDataKey(tx, location.tenantId, tx);
      return seal(key, Buffer.from(plaintext, 'utf8'), associatedData.tenantSecret(location));
    },

    async openTenantSecret(db, location, sealed) {
      const key = await tenantDataKey(db, location.tenantId);
      return open(key, sealed, associatedData.tenantSecret(location)).toString('utf8');
    },

    async fingerprint(tx, tenantId, secret) {
      const key = await tenantKey(tx, tenantId);
      return `hmac-sha256:${createHmac('sha256', key).update(secret, 'utf8').digest('hex').slice(0, 32)}`;
    },

    async createTenantKey(tx, tenantId) {
      await repo.insertTenantKey(
        tx,
        tenantId,
        wrap(randomBytes(32), associatedData.tenantSecretKey(tenantId)),
      );
    },

    async shredOrg(tx, orgId) {
      orgKeys.delete(orgId);
      return repo.deleteOrgKey(tx, orgId);
    },

    sealWithMasterKey(plaintext, aad) {
      return { masterKeyId: keyring.active.id, sealed: seal(keyring.active.key, plaintext, aad) };
    },

    openWithMasterKey(masterKeyId, sealed, aad) {
      return open(keyring.get(masterKeyId).key, sealed, aad);
    },
  };
}
