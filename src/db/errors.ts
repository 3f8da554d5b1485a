/** Recognises database errors that are the caller's doing, so they become 409s and not 500s. */

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A unique constraint or unique index refused the write (PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (codeOf(error) === '23505') return true;
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  return cause !== undefined && cause !== error && isUniqueViolation(cause);
}
