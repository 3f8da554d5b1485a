/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of
 * random bytes; a message is signed as base64(HMAC-SHA256(secret bytes, `${id}.${timestamp}.${body}`))
 * and sent as `webhook-signature: v1,<signature>` — one `v1,…` per secret, space-separated, while a
 * rotation's old secret still signs. Receivers verify with any Standard Webhooks library (the tests
 * use the `standardwebhooks` package). Pure: no I/O.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes. */
export function newSigningSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The key bytes of a secret (what follows `whsec_`, base64-decoded). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** The value of the `webhook-signature` header for a message, signed with each key given. */
export function signatureHeader(
  keys: readonly Buffer[],
  message: { id: string; timestamp: number; body: string },
): string {
  const signed = `${message.id}.${message.timestamp}.${message.body}`;
  return keys
    .map((key) => `v1,${createHmac('sha256', key).update(signed, 'utf8').digest('base64')}`)
    .join(' ');
}
