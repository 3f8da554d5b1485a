/**
 * The text of ENCRYPTION_KEYS: `id:base64key,id:base64key` (standard or URL-safe base64 of exactly
 * 32 bytes). Read here so that a bad value stops the start with the other configuration problems;
 * the keyring (modules/crypto/keyring.ts) is built from these entries. Error messages name an entry
 * by position and id, never the key material.
 */
export interface KeySpecEntry {
  readonly id: string;
  readonly key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

const decodeKey = (text: string) => Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

/** How an error names an entry: by its id, unless the "id" is itself key material (`key:id` reversed). */
const nameOf = (index: number, id: string) =>
  decodeKey(id).length >= 32 ? `entry ${index + 1}` : `key "${id}"`;

/** The entries of a keyring spec, in the order listed; throws a sentence naming the bad entry. */
export function parseKeySpecEntries(spec: string): KeySpecEntry[] {
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new Error('must list at least one key as id:base64-of-32-bytes');
  const keys: KeySpecEntry[] = [];
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
  return keys;
}
