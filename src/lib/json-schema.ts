/**
 * The one Ajv configuration of the service, and how its errors become JSON pointers. Used by the
 * request validators (plugins/validation.ts) and wherever the service validates a body it built
 * itself (bulk drafts), so both refuse exactly the same things with the same words.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FieldError } from './errors.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// discriminator: a oneOf keyed by a property (e.g. `kind`) reports only the errors of the branch it names.
const common: Options = {
  allErrors: true,
  strict: false,
  useDefaults: true,
  removeAdditional: false,
  discriminator: true,
};

/** Longest text the `url` format is tried on; every URL field of the API is shorter. */
export const MAX_URL_LENGTH = 8192;
const urlPattern = fullFormats.url as RegExp;

/**
 * ajv-formats' `url` (the format Cognigy's API uses), refusing long input before the regex: its
 * `user:password@` part backtracks quadratically (40,000 characters take 0.3 s, a 1 MiB body would
 * take minutes), and Ajv runs `format` even when `maxLength` has already failed.
 */
export const isUrl = (value: string): boolean => value.length <= MAX_URL_LENGTH && urlPattern.test(value);

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('url', isUrl);
  return ajv;
}

/** Bodies are taken exactly as sent: no type coercion, nothing removed. */
export const createBodyAjv = (): Ajv => withFormats(new Ajv({ ...common, coerceTypes: false }));

/** Path, query and headers arrive as strings and are coerced to the declared types. */
export const createStringPartsAjv = (): Ajv => withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** A property name as one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export const pointerToken = (name: unknown) => String(name).replace(/~/g, '~0').replace(/\//g, '~1');

/** One Ajv error as a field error, its pointer rooted at `/part` (e.g. `/body`). */
export function fieldErrorOf(part: string, e: AjvError): FieldError {
  const base = `/${part}${e.instancePath}`;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${base}/${pointerToken(e.params.missingProperty)}`, detail: 'is required' };
    case 'discriminator':
      return {
        pointer: `${base}/${pointerToken(e.params.tag)}`,
        detail:
          e.params.error === 'mapping' ? 'is not one of the known kinds' : 'is required and must be a string',
      };
    case 'additionalProperties':
      return {
        pointer: `${base}/${pointerToken(e.params.additionalProperty)}`,
        detail: 'is not a known field',
      };
    default:
      return { pointer: base, detail: e.message ?? `fails ${e.keyword}` };
  }
}

/** Field errors without repeats (allErrors can report one problem through several keywords). */
export function fieldErrorsOf(part: string, errors: readonly AjvError[]): FieldError[] {
  const mapped = errors.map((e) => fieldErrorOf(part, e));
  return [...new Map(mapped.map((e) => [`${e.pointer} ${e.detail}`, e])).values()];
}
