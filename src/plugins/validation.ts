/**
 * Request validation with two Ajv instances: bodies are taken exactly as sent (no type coercion,
 * nothing removed, so unknown fields are refused), while path, query and headers, which arrive as
 * strings, are coerced to the declared types.
 *
 * Before the schemas, two rules no schema states: a route that declares no body refuses one that has
 * fields (they would be ignored silently), and no text may contain what PostgreSQL cannot store
 * (U+0000, or half of a UTF-16 surrogate pair): it would fail in the database as a 500, or be
 * silently replaced.
 */
import type { ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, type FieldError } from '../lib/errors.js';
import { createBodyAjv, createStringPartsAjv, pointerToken } from '../lib/json-schema.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** The pointer of the first key or string in `value` that PostgreSQL cannot store (iterative: bodies may nest deeply). */
function unstorableText(value: unknown, pointer: string): string | undefined {
  const pending: Array<[unknown, string]> = [[value, pointer]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, at] = next;
    if (typeof item === 'string') {
      if (unstorable(item)) return at;
    } else if (Array.isArray(item)) {
      item.forEach((v, i) => {
        pending.push([v, `${at}/${i}`]);
      });
    } else if (item !== null && typeof item === 'object') {
      for (const [k, v] of Object.entries(item)) {
        if (unstorable(k)) return `${at}/${pointerToken(k)}`;
        pending.push([v, `${at}/${pointerToken(k)}`]);
      }
    }
  }
  return undefined;
}

function unexpectedBody(body: unknown): FieldError[] {
  if (body === undefined || body === null) return [];
  if (typeof body === 'object' && !Array.isArray(body)) {
    return Object.keys(body).map((k) => ({
      pointer: `/body/${pointerToken(k)}`,
      detail: 'is not a known field',
    }));
  }
  return [{ pointer: '/body', detail: 'this route takes no body' }];
}

/**
 * For routes whose body is optional: no body at all is read as `{}` (a route-level preValidation
 * hook, which runs before the body schema). A body of `null` or any other value is still validated.
 */
export async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}

/**
 * A route's validator compiled at its first request instead of at start-up, where Fastify compiles
 * every route's schemas before it listens: about 230 ms of a start on the machines measured (the SSO
 * bodies are large unions), paid once per route by its first caller instead. Fastify reads
 * `errors` after a call that answered false, and passes Ajv's validation context (which lets Ajv
 * coerce a root value) when the function has `schemaEnv`: both are forwarded to the compiled one.
 */
function compiledOnFirstUse(compile: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const get = () => {
    compiled ??= compile();
    return compiled;
  };
  const validate = ((data: unknown, context?: DataValidationCxt) => {
    const fn = get();
    const valid = fn(data, context);
    validate.errors = fn.errors;
    return valid;
  }) as ValidateFunction;
  Object.defineProperty(validate, 'schemaEnv', { get: () => get().schemaEnv });
  return validate;
}

export function installValidators(app: FastifyInstance): void {
  const strictBody = createBodyAjv();
  const stringParts = createStringPartsAjv();
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compiledOnFirstUse(() => (httpPart === 'body' ? strictBody : stringParts).compile(schema as object)),
  );

  app.addHook('preValidation', async (request) => {
    if (request.is404) return;
    const unexpected = request.routeOptions.schema?.body ? [] : unexpectedBody(request.body);
    if (unexpected.length > 0) {
      throw new BadRequestError('REQUEST_VALIDATION_FAILED', 'This route takes no request body', {
        errors: unexpected,
      });
    }
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const pointer = unstorableText(value, `/${part}`);
      if (pointer) {
        throw new BadRequestError('REQUEST_VALIDATION_FAILED', `The request ${part} is invalid: 1 problem`, {
          errors: [{ pointer, detail: 'must not contain U+0000 or an unpaired UTF-16 surrogate' }],
        });
      }
    }
  });
}
