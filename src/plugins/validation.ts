/**
 * Request validation with two Ajv instances: bodies are taken exactly as sent (no type coercion,
 * nothing removed, so unknown fields are refused), while path, query and headers, which arrive as
 * strings, are coerced to the declared types.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };

export function installValidators(app: FastifyInstance): void {
  const strictBody = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const stringParts = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strictBody : stringParts).compile(schema as object),
  );
}
