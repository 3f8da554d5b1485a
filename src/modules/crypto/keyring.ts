/**
 * Master keys (§8): `key id → 32-byte key`. The newest (last listed) encrypts, all decrypt.
 * Knows nothing of the database.
 */
import { randomBytes } from 'node:crypto';
import { parseKeySpecEntries } from '../../config/keyring-spec.js';
import { CryptoError } from './crypto-error.js';

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export class Keyring {
  readonly #byId: ReadonlyMap<string, MasterKey>;
  /** The key that encrypts: the last one in the spec. */
  readonly active: MasterKey;

  constructor(keys: readonly MasterKey[]) {
    const last = keys.at(-1);
    if (!last) throw new CryptoError('CRYPTO_KEYRING_EMPTY', 'The keyring holds no master key');
    this.#byId = new Map(keys.map((k) => [k.id, k]));
    this.active = last;
  }

  /** Every key id, oldest first. */
  get ids(): string[] {
    return [...this.#byId.keys()];
  }

  get(id: string): MasterKey {
    const key = this.#byId.get(id);
    if (!key) {
      throw new CryptoError(
        'CRYPTO_MASTER_KEY_UNKNOWN',
        `Master key "${id}" is not in ENCRYPTION_KEYS; it is needed to decrypt existing data`,
      );
    }
    return key;
  }
}

/** Parses ENCRYPTION_KEYS (format and error messages: config/keyring-spec.ts) into a keyring. */
export function parseKeyringSpec(spec: string): Keyring {
  return new Keyring(parseKeySpecEntries(spec));
}

/** A new keyring entry `id:base64`, for first starts and rotation. */
export function generateKeySpecEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
