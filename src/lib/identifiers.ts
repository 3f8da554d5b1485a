/** Shapes of identifiers used across the API, in one place. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * Lowercase letters, digits and inner hyphens — and never shaped like a UUID: `{org}` in a path is
 * read as an id when it looks like one, so such a slug could never be found by it.
 */
export const SLUG_PATTERN =
  '^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';

const uuid = new RegExp(UUID_PATTERN);

export const isUuid = (value: string) => uuid.test(value);
