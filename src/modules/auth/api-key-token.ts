/**
 * API key format: `csso_<prefix>_<secret>`. The prefix (72 random bits) finds the row; the secret
 * (256 random bits) is stored only as its SHA-256 and compared in constant time. A slow hash adds
 * nothing for 256-bit random secrets and would cost every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PATTERN = /^csso_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedApiKey {
  /** The whole key, shown to its owner exactly once. */
  readonly token: string;
  readonly prefix: string;
  readonly secretHash: Buffer;
}

export function issueApiKey(): IssuedApiKey {
  const prefix = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { token: `csso_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

/** A key given from outside (BOOTSTRAP_ADMIN_KEY) keeps its own text; prefix derived from it. */
export function adoptApiKey(token: string): IssuedApiKey {
  const parsed = parseApiKey(token);
  if (parsed) return { token, prefix: parsed.prefix, secretHash: hashSecret(parsed.secret) };
  const digest = createHash('sha256').update(`bootstrap-prefix|${token}`).digest('base64url');
  return { token, prefix: `b${digest.slice(0, 11)}`, secretHash: hashSecret(token) };
}

export function parseApiKey(token: string): { prefix: string; secret: string } | undefined {
  const match = PATTERN.exec(token);
  return match ? { prefix: match[1] as string, secret: match[2] as string } : undefined;
}

/** The prefix under which a presented token is stored, whatever its form. */
export function lookupPrefix(token: string): { prefix: string; secret: string } {
  return parseApiKey(token) ?? { prefix: adoptApiKey(token).prefix, secret: token };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const presented = hashSecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}
