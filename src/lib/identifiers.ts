/** Shapes of identifiers used across the API, in one place. */
import { BadRequestError } from './errors.js';

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';

const uuid = new RegExp(UUID_PATTERN);
const slug = new RegExp(SLUG_PATTERN);

export const isUuid = (value: string) => uuid.test(value);
/** A slug that also looks like a UUID would make `{org}` ambiguous, so it is not a slug. */
export const isSlug = (value: string) => slug.test(value) && !uuid.test(value);

/**
 * The schemas check a slug's characters; this refuses the one slug shape they let through, a UUID
 * (an org with such a slug could never be found by it: `{org}` would be read as an id).
 */
export function assertSlugNotUuid(slug: string, pointer = '/body/slug'): void {
  if (uuid.test(slug)) {
    throw new BadRequestError('REQUEST_VALIDATION_FAILED', 'A slug must not be shaped like a UUID', {
      errors: [{ pointer, detail: 'must not be shaped like a UUID' }],
    });
  }
}
