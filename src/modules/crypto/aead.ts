/**
 * AES-256-GCM with associated data. A sealed value is `v1.<iv>.<ciphertext>.<tag>` (base64url):
 * text, so it fits a TEXT column and survives any JSON or log pipeline unchanged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from './crypto-error.js';

const VERSION = 'v1';

export function seal(key: Buffer, plaintext: Buffer, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, ciphertext, tag]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/**
 * @throws CryptoError CRYPTO_DECRYPT_FAILED when the key, the associated data or the ciphertext is
 * not the one it was sealed with. Never returns data of another record.
 */
export function open(key: Buffer, sealed: string, associatedData: string): Buffer {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new CryptoError('CRYPTO_MALFORMED', 'Sealed value is not in the v1 format');
  }
  const [, ivText, ciphertextText, tagText] = parts as [string, string, string, string];
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== 12 || tag.length !== 16) {
    throw new CryptoError('CRYPTO_MALFORMED', 'Sealed value has a bad IV or tag length');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]);
  } catch (cause) {
    throw new CryptoError(
      'CRYPTO_DECRYPT_FAILED',
      'Decryption failed: the value was not sealed for this record with this key (tampered or moved?)',
      { cause },
    );
  }
}
