/**
 * Optimistic concurrency (§3.1): a resource's ETag is its revision number. `If-Match` may name it
 * (weak or strong form); `*` matches any existing resource.
 */
import { BadRequestError } from './errors.js';

export const etagOf = (revision: number) => `"${revision}"`;

/** @returns the expected revision, or undefined when the client did not ask for a check. */
export function expectedRevision(ifMatch: string | undefined, bodyRevision?: number): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return bodyRevision;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(ifMatch);
  if (!match) {
    throw new BadRequestError(
      'REQUEST_IF_MATCH_INVALID',
      'If-Match must be an ETag this API returned, e.g. "3"',
      {
        errors: [{ pointer: '/headers/if-match', detail: 'expected a quoted revision number' }],
      },
    );
  }
  const fromHeader = Number(match[1]);
  if (bodyRevision !== undefined && bodyRevision !== fromHeader) {
    throw new BadRequestError('REQUEST_REVISION_MISMATCH', 'If-Match and revision in the body disagree');
  }
  return fromHeader;
}
