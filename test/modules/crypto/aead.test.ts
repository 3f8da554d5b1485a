/**
 * AES-256-GCM with associated data (§8): what was sealed opens only with the same key and the same
 * associated data, and any change to the sealed text is refused rather than decrypted.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { open, seal } from '../../../src/modules/crypto/aead.js';
import { CryptoError } from '../../../src/modules/crypto/crypto-error.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const AAD = 'cognigy-sso/v1|secret|tenant=t1|org=o1|record=cognigy_targets/o1|field=apiKey';

/** Runs `fn` and returns the CryptoError it throws (fails when it returns or throws anything else). */
function cryptoError(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error('expected a CryptoError, but the call succeeded');
}

const partsOf = (sealed: string) => {
  const [version, iv, ciphertext, tag] = sealed.split('.') as [string, string, string, string];
  return {
    version,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
};

const join = (p: ReturnType<typeof partsOf>) =>
  [
    p.version,
    p.iv.toString('base64url'),
    p.ciphertext.toString('base64url'),
    p.tag.toString('base64url'),
  ].join('.');

const flipBit = (buffer: Buffer, bit: number) => {
  const copy = Buffer.from(buffer);
  const index = Math.floor(bit / 8) % copy.length;
  copy[index] = (copy[index] ?? 0) ^ (1 << (bit % 8));
  return copy;
};

describe('seal/open', () => {
  it('round-trips any bytes under any associated data (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (bytes, aad) => {
          const plaintext = Buffer.from(bytes);
          const sealed = seal(KEY, plaintext, aad);
          expect(open(KEY, sealed, aad).equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('produces text of the form v1.<iv>.<ciphertext>.<tag> in base64url, as long as the plaintext', () => {
    const plaintext = Buffer.from('a Cognigy API key');
    const sealed = seal(KEY, plaintext, AAD);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/);
    const parts = partsOf(sealed);
    expect(parts.iv).toHaveLength(12);
    expect(parts.tag).toHaveLength(16);
    expect(parts.ciphertext).toHaveLength(plaintext.length);
    expect(sealed).not.toContain(plaintext.toString('base64url'));
  });

  it('seals the empty plaintext and opens it again', () => {
    expect(open(KEY, seal(KEY, Buffer.alloc(0), AAD), AAD)).toHaveLength(0);
  });

  it('uses a fresh IV for every seal, so sealing the same value twice gives different text', () => {
    const plaintext = Buffer.from('same secret');
    const seen = new Set<string>();
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const sealed = seal(KEY, plaintext, AAD);
      seen.add(sealed);
      ivs.add(partsOf(sealed).iv.toString('hex'));
    }
    expect(seen.size).toBe(200);
    expect(ivs.size).toBe(200);
  });

  it('refuses to open with another key (CRYPTO_DECRYPT_FAILED)', () => {
    const sealed = seal(KEY, Buffer.from('secret'), AAD);
    expect(cryptoError(() => open(OTHER_KEY, sealed, AAD)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses to open with a key of the wrong length (CRYPTO_DECRYPT_FAILED, not a raw error)', () => {
    const sealed = seal(KEY, Buffer.from('secret'), AAD);
    expect(cryptoError(() => open(Buffer.alloc(16, 7), sealed, AAD)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses a value moved to another record: any other associated data fails (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (aad, otherAad) => {
        fc.pre(aad !== otherAad);
        const sealed = seal(KEY, Buffer.from('secret'), aad);
        expect(cryptoError(() => open(KEY, sealed, otherAad)).code).toBe('CRYPTO_DECRYPT_FAILED');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a value sealed for another org of the same tenant', () => {
    const sealed = seal(KEY, Buffer.from('secret'), AAD);
    expect(cryptoError(() => open(KEY, sealed, AAD.replace('org=o1', 'org=o2'))).code).toBe(
      'CRYPTO_DECRYPT_FAILED',
    );
  });

  it.each(['iv', 'ciphertext', 'tag'] as const)(
    'refuses a value with any single bit of its %s flipped (property)',
    (part) => {
      const plaintext = randomBytes(40);
      const sealed = seal(KEY, plaintext, AAD);
      const parts = partsOf(sealed);
      const bits = parts[part].length * 8;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: bits - 1 }), (bit) => {
          const tampered = join({ ...parts, [part]: flipBit(parts[part], bit) });
          expect(tampered).not.toBe(sealed);
          const error = cryptoError(() => open(KEY, tampered, AAD));
          expect(error.code).toBe('CRYPTO_DECRYPT_FAILED');
          expect(error.message).not.toContain(plaintext.toString('base64'));
        }),
        { numRuns: Math.min(bits, 200) },
      );
    },
  );

  it('refuses a value whose ciphertext lost its last bytes (CRYPTO_DECRYPT_FAILED)', () => {
    const parts = partsOf(seal(KEY, Buffer.from('a secret of some length'), AAD));
    const truncated = join({
      ...parts,
      ciphertext: parts.ciphertext.subarray(0, parts.ciphertext.length - 3),
    });
    expect(cryptoError(() => open(KEY, truncated, AAD)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses a value with extra ciphertext appended (CRYPTO_DECRYPT_FAILED)', () => {
    const parts = partsOf(seal(KEY, Buffer.from('a secret'), AAD));
    const longer = join({ ...parts, ciphertext: Buffer.concat([parts.ciphertext, Buffer.from([0])]) });
    expect(cryptoError(() => open(KEY, longer, AAD)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses a value whose tag was truncated (CRYPTO_MALFORMED)', () => {
    const parts = partsOf(seal(KEY, Buffer.from('a secret'), AAD));
    const truncated = join({ ...parts, tag: parts.tag.subarray(0, 12) });
    expect(cryptoError(() => open(KEY, truncated, AAD)).code).toBe('CRYPTO_MALFORMED');
  });

  it('refuses a value whose IV has the wrong length (CRYPTO_MALFORMED)', () => {
    const parts = partsOf(seal(KEY, Buffer.from('a secret'), AAD));
    const shortIv = join({ ...parts, iv: parts.iv.subarray(0, 8) });
    expect(cryptoError(() => open(KEY, shortIv, AAD)).code).toBe('CRYPTO_MALFORMED');
  });

  it('refuses every prefix of a sealed value, never returning data (property)', () => {
    const sealed = seal(KEY, Buffer.from('a secret that is long enough to matter'), AAD);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), (length) => {
        const error = cryptoError(() => open(KEY, sealed.slice(0, length), AAD));
        expect(['CRYPTO_MALFORMED', 'CRYPTO_DECRYPT_FAILED']).toContain(error.code);
      }),
      { numRuns: sealed.length },
    );
  });

  it.each([
    ['an empty string', ''],
    ['another version', 'v2.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['three parts', 'v1.AAAAAAAAAAAAAAAA.AAAA'],
    ['five parts', 'v1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA'],
    ['plain text', 'my-cognigy-api-key'],
  ])('refuses %s as malformed (CRYPTO_MALFORMED)', (_, text) => {
    expect(cryptoError(() => open(KEY, text, AAD)).code).toBe('CRYPTO_MALFORMED');
  });

  it('keeps the cause of a failed decryption but names neither key nor plaintext in its message', () => {
    const sealed = seal(KEY, Buffer.from('plaintext-marker'), AAD);
    const error = cryptoError(() => open(OTHER_KEY, sealed, AAD));
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.name).toBe('CryptoError');
    expect(error.message).not.toContain('plaintext-marker');
    expect(error.message).not.toContain(KEY.toString('base64'));
    expect(error.message).not.toContain(OTHER_KEY.toString('base64'));
  });
});
