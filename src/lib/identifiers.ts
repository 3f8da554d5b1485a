/** Shapes of identifiers used across the API, in one place. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';

const uuid = new RegExp(UUID_PATTERN);
const slug = new RegExp(SLUG_PATTERN);

export const isUuid = (value: string) => uuid.test(value);
/** A slug that also looks like a UUID would make `{org}` ambiguous, so it is not a slug. */
export const isSlug = (value: string) => slug.test(value) && !uuid.test(value);
