/** Recognises database errors that are the caller's doing, so they become 409s and not 500s. */

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A unique constraint or unique index refused the write (Prisma P2002, or Postgres 23505 raw). */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'P2002' || code === '23505') return true;
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  return cause !== undefined && cause !== error && isUniqueViolation(cause);
}
