/** Master keys (§8): the newest (last listed) encrypts, all decrypt, an unknown id fails loudly. */
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../../src/modules/crypto/crypto-error.js';
import { generateKeySpecEntry, Keyring, parseKeyringSpec } from '../../../src/modules/crypto/keyring.js';

const key = (fill: number) => Buffer.alloc(32, fill);
const spec = (...entries: Array<[string, number]>) =>
  entries.map(([id, fill]) => `${id}:${key(fill).toString('base64')}`).join(',');

describe('Keyring', () => {
  it('makes the last listed key the active one', () => {
    const keyring = parseKeyringSpec(spec(['k1', 1], ['k2', 2], ['k3', 3]));
    expect(keyring.active.id).toBe('k3');
    expect(keyring.active.key.equals(key(3))).toBe(true);
  });

  it('lists every key id, oldest first', () => {
    expect(parseKeyringSpec(spec(['old', 1], ['new', 2])).ids).toEqual(['old', 'new']);
  });

  it('keeps every listed key available for decryption', () => {
    const keyring = parseKeyringSpec(spec(['k1', 1], ['k2', 2]));
    expect(keyring.get('k1').key.equals(key(1))).toBe(true);
    expect(keyring.get('k2').key.equals(key(2))).toBe(true);
  });

  it('refuses an unknown key id with CRYPTO_MASTER_KEY_UNKNOWN naming the id and no key', () => {
    const keyring = parseKeyringSpec(spec(['k2', 2]));
    let thrown: unknown;
    try {
      keyring.get('k1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CryptoError);
    expect((thrown as CryptoError).code).toBe('CRYPTO_MASTER_KEY_UNKNOWN');
    expect((thrown as CryptoError).message).toContain('"k1"');
    expect((thrown as CryptoError).message).not.toContain(key(2).toString('base64'));
  });

  it('refuses to exist without keys (CRYPTO_KEYRING_EMPTY)', () => {
    expect(() => new Keyring([])).toThrow(expect.objectContaining({ code: 'CRYPTO_KEYRING_EMPTY' }));
  });

  it('accepts URL-safe base64 keys as well as standard ones', () => {
    const raw = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i));
    const keyring = parseKeyringSpec(`a:${raw.toString('base64url')},b:${raw.toString('base64')}`);
    expect(keyring.get('a').key.equals(raw)).toBe(true);
    expect(keyring.get('b').key.equals(raw)).toBe(true);
  });

  it('generates entries that parse back to a fresh 32-byte key under the given id', () => {
    const first = generateKeySpecEntry('k20261126');
    const second = generateKeySpecEntry('k20261126');
    expect(first).not.toBe(second);
    const keyring = parseKeyringSpec(first);
    expect(keyring.active.id).toBe('k20261126');
    expect(keyring.active.key).toHaveLength(32);
  });
});
