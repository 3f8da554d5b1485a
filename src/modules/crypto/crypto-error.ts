/**
 * What failed, for the log and as the `cause` of an SSO_SECRETS_UNAVAILABLE problem. These are not
 * problem codes: no answer has one of them as its `code`.
 */
export const CRYPTO_ERROR_CODES = [
  'CRYPTO_MALFORMED',
  'CRYPTO_DECRYPT_FAILED',
  'CRYPTO_KEYRING_EMPTY',
  'CRYPTO_MASTER_KEY_UNKNOWN',
  'CRYPTO_DATA_KEY_MISSING',
  'CRYPTO_DATA_KEY_MISMATCH',
  'CRYPTO_TENANT_KEY_MISSING',
] as const;
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/** The one error class of the crypto module. Its message never contains key material or plaintext. */
export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CryptoError';
  }
}
