/** The one error class of the crypto module. Its message never contains key material or plaintext. */
export class CryptoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CryptoError';
  }
}
