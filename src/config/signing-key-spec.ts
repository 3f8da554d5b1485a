/**
 * The text of AUDIT_SIGNING_KEY: the audit checkpoints' Ed25519 private key, either its 32-byte seed
 * in standard or URL-safe base64 (`openssl rand -base64 32`: any 32 bytes are an Ed25519 key), or a
 * PKCS#8 PEM (`openssl genpkey -algorithm ed25519`). Read here so that a bad value stops the start
 * with the other configuration problems; error messages never repeat the key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';

/** PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 private key of a 32-byte seed. */
export function ed25519KeyOfSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is exactly 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The private key AUDIT_SIGNING_KEY (or the generated key file) describes; throws a sentence. */
export function parseSigningKeySpec(spec: string): KeyObject {
  const text = spec.trim();
  if (text.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPrivateKey(text.replace(/\\n/g, '\n'));
    } catch {
      throw new Error('is not a readable PEM private key');
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new Error(`must be an Ed25519 key (got ${key.asymmetricKeyType ?? 'another type'})`);
    }
    return key;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new Error('must be base64 of a 32-byte Ed25519 seed (`openssl rand -base64 32`) or a PKCS#8 PEM');
  }
  const seed = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (seed.length !== 32) throw new Error(`must decode to 32 bytes (got ${seed.length})`);
  return ed25519KeyOfSeed(seed);
}
