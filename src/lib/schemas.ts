/** TypeBox building blocks shared by the route schemas of several modules. */
import { type Static, type TSchema, Type } from 'typebox';
import { SLUG_PATTERN, UUID_PATTERN } from './identifiers.js';

export const Uuid = (description?: string) =>
  Type.String({
    pattern: UUID_PATTERN,
    description: description ?? 'UUID',
    examples: ['0190c0de-7a3b-7c11-9e5f-2a1b3c4d5e6f'],
  });

export const Slug = (description: string) =>
  Type.String({
    pattern: SLUG_PATTERN,
    minLength: 1,
    maxLength: 63,
    description: `${description}: lowercase letters, digits and inner hyphens, 1-63 characters, not shaped like a UUID`,
    examples: ['acme-eu'],
  });

/** One of `values` (anyOf of consts), typed as their union. */
export const literals = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Unsafe<T>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      options,
    ),
  );

/** Printable ASCII (VSCHAR): what OAuth client ids and secrets are made of (RFC 6749 §A.1, §A.2). */
export const VSCHAR_PATTERN = '^[\\x20-\\x7e]+$';

/**
 * Text without control characters and not only white space. Linear time on any input: the obvious
 * `^[^ctl]*[^\s ctl][^ctl]*$` backtracks quadratically on a long text ending in a control character
 * (Ajv runs `pattern` even when `maxLength` already failed, so a 1 MiB body would take minutes).
 */
export const PRINTABLE_PATTERN = '^(?=[^\\u0000-\\u001f\\u007f]*$)\\s*\\S';

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/**
 * Free-text names: printable, trimmed by the service, 1-200 characters. The one character that must
 * not be white space must not be a control character either (`\S` alone would let one through).
 */
export const DisplayName = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: PRINTABLE_PATTERN,
    description,
  });

export const LABEL_KEY_PATTERN = '^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$';

// propertyNames rather than patternProperties: the OpenAPI generator keeps it, and with
// additionalProperties it says the same thing to Ajv.
export const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { type: 'string', pattern: LABEL_KEY_PATTERN, maxLength: 63 },
  additionalProperties: { type: 'string', maxLength: 200 },
  maxProperties: 50,
  description:
    'Labels for selecting orgs, e.g. {"env": "prod", "region": "eu"}. Keys: lowercase, 1-63 characters.',
});
export type Labels = Static<typeof Labels>;

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (1-200)' }),
  ),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'nextCursor of the previous page',
    }),
  ),
};

export const Page = <T extends TSchema>(item: T, name: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
    },
    { description: `A page of ${name}` },
  );

export const IfMatchHeader = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 64, description: 'ETag of the version you read; stale → 409' }),
  ),
});
