/**
 * Master keys (§8): `key id → 32-byte key`. The newest (last listed) encrypts, all decrypt.
 * Knows nothing of the database.
 */
import { randomBytes } from 'node:crypto';
import { CryptoError } from './crypto-error.js';

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

const decodeKey = (text: string) => Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

/** How an error names an entry: by its id, unless the "id" is itself key material (`key:id` reversed). */
const nameOf = (index: number, id: string) =>
  decodeKey(id).length >= 32 ? `entry ${index + 1}` : `key "${id}"`;

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

/**
 * Parses `id:base64key,id:base64key` (standard or URL-safe base64 of exactly 32 bytes).
 * Error messages name the entry by position and id, never the key material.
 */
export function parseKeyringSpec(spec: string): Keyring {
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new Error('must list at least one key as id:base64-of-32-bytes');
  const keys: MasterKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(`entry ${index + 1} must look like id:base64key, id of letters, digits, . _ -`);
    }
    const material = entry.slice(colon + 1);
    const key = decodeKey(material);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material) || key.length !== 32) {
      throw new Error(
        `${nameOf(index, id)} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    if (keys.some((k) => k.id === id)) throw new Error(`${nameOf(index, id)}: the id appears twice`);
    keys.push({ id, key });
  });
  return new Keyring(keys);
}

/** A new keyring entry `id:base64`, for first starts and rotation. */
export function generateKeySpecEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
