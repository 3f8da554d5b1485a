/**
 * The Ed25519 key that signs audit checkpoints (issue 21), and the checks of its signatures. Its id
 * is the RFC 7638 thumbprint of its public JWK, so anyone holding the public key can compute it and
 * no operator has to name keys. The private half never leaves this object: nothing here returns it,
 * and `toJSON` and `inspect` show the key id only, so a log line or a response cannot carry it.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as signBytes,
  verify as verifyBytes,
} from 'node:crypto';
import { inspect } from 'node:util';
import { parseSigningKeySpec } from '../../config/signing-key-spec.js';

/** A public key as a JWKS lists it (RFC 8037). */
export interface Ed25519PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  /** The raw 32-byte public key, base64url. */
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface SigningKey {
  readonly kid: string;
  readonly publicJwk: Ed25519PublicJwk;
  /** The Ed25519 signature of `message`, base64url (86 characters). */
  sign(message: Buffer): string;
}

/** RFC 7638: base64url(SHA-256) of the required members in lexicographic order, no white space. */
export function thumbprintOf(x: string): string {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`;
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/** The public JWK of a raw public key (base64url). */
export function publicJwkOf(x: string): Ed25519PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x, kid: thumbprintOf(x), alg: 'EdDSA', use: 'sig' };
}

export function signingKeyOf(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('an audit signing key must be Ed25519');
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x as string;
  const publicJwk = publicJwkOf(x);
  const key: SigningKey = {
    kid: publicJwk.kid,
    publicJwk,
    sign: (message) => signBytes(null, message, privateKey).toString('base64url'),
  };
  const shown = { kid: publicJwk.kid };
  Object.defineProperties(key, {
    toJSON: { value: () => shown },
    [inspect.custom]: { value: () => `SigningKey ${publicJwk.kid}` },
  });
  return Object.freeze(key);
}

/** The key of an AUDIT_SIGNING_KEY value (seed in base64 or PKCS#8 PEM). */
export const parseSigningKey = (spec: string): SigningKey => signingKeyOf(parseSigningKeySpec(spec));

/** A new random key, and its seed (base64url) for the file it is kept in. */
export function generateSigningKey(): { key: SigningKey; seed: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = (privateKey.export({ format: 'jwk' }).d as string) ?? '';
  return { key: signingKeyOf(privateKey), seed };
}

const publicKeys = new Map<string, KeyObject>();

/** Whether `signature` (base64url) is an Ed25519 signature of `message` by the public key `x`. */
export function verifySignature(x: string, message: Buffer, signature: string): boolean {
  let key = publicKeys.get(x);
  if (!key) {
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    } catch {
      return false;
    }
    publicKeys.set(x, key);
  }
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.length !== 64) return false;
  try {
    return verifyBytes(null, message, key, bytes);
  } catch {
    return false;
  }
}
