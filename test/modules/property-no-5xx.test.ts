/**
 * Whatever a client sends to a route that writes, the answer is never a 5xx, and every error is
 * problem+json. The routes come from the OpenAPI document, so a new POST/PUT/PATCH route is
 * covered without touching this file. Bodies are junk of every shape, and bodies built from the
 * route's own schema with one field mutated (those get past validation and reach the service).
 */

import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../support/app.js';
import { dereferencedDocument } from '../support/openapi.js';
import { refuseAllOutbound } from '../support/outbound.js';

/** Runs per property; two properties per route. Each property also stops after TIME_LIMIT_MS. */
const NUM_RUNS = 400;
const TIME_LIMIT_MS = 4_000;
/** A test runs every route of a method, each for up to TIME_LIMIT_MS (POST: about 25 routes). */
const METHOD_TIMEOUT_MS = 240_000;

interface JsonSchema {
  type?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  examples?: unknown[];
}

interface WriteOperation {
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly path: string;
  readonly body: JsonSchema | undefined;
}

/** A JSON number literal JavaScript cannot represent exactly (sent as raw text). */
class RawNumber {
  constructor(readonly text: string) {}
}

function toJsonText(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const hugeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((n) => new RawNumber(n.toString())),
  fc.constantFrom(
    ...[
      '1e400',
      '-1e400',
      '1e-400',
      '123456789012345678901234567890.5',
      '-0',
      '9007199254740993',
      '2147483648',
    ].map((text) => new RawNumber(text)),
  ),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 31, -(2 ** 31) - 1, 1e300, 0.5),
);

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\u202e\u0007',
    'a'.repeat(10_000),
    "' OR 1=1 --",
    '%00',
    '../../etc/passwd',
    ['$', '{jndi:ldap://x}'].join(''),
    '__proto__',
    'constructor',
    'https://api-trial.cognigy.ai/new',
    'http://169.254.169.254/latest',
    'https://user:pw@host/x?y#z',
    'https://[::1]:99999/x',
    '2026-02-30T25:61:61Z',
    '0190c0de-7a3b-7c11-9e5f-2a1b3c4d5e6f',
    'null',
    'true',
  ),
);

/** Junk of every shape: what one field (or the whole body) may be replaced with. */
const junk: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 3 }),
    nastyString,
    hugeNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Deeply nested arrays and objects (within the body limit). */
const deepNesting = fc
  .tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

function stringFrom(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  // A pattern may demand more than 40 characters (a sha256 hash): the filter below must be satisfiable.
  const max = Math.min(schema.maxLength ?? (schema.pattern ? 300 : 40), 300);
  if (schema.format === 'date-time') {
    return fc
      .date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2200-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  }
  if (schema.pattern) {
    const full = new RegExp(schema.pattern, 'u');
    // fast-check cannot generate from lookarounds: generate without a leading negative lookahead
    // (e.g. the slug's "not shaped like a UUID") and keep what the full pattern accepts.
    const generable = schema.pattern.replace(/^\^\(\?![^)]*\)/, '^');
    try {
      return fc
        .stringMatching(new RegExp(generable, 'u'))
        .filter((s) => s.length >= min && s.length <= max && full.test(s));
    } catch {
      // A pattern fast-check cannot generate from (a lookahead other than the leading negative one):
      // text of the right length that the pattern accepts (plain text mostly does).
      return fc
        .string({ minLength: Math.max(min, 1), maxLength: Math.min(max, 40) })
        .filter((s) => full.test(s));
    }
  }
  // No pattern: free text, or (often what such a field holds) a URL.
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.webUrl({ validSchemes: ['https'], withQueryParameters: false, withFragments: false }),
  );
}

/** Values that satisfy the schema (mostly: patterns with lookarounds are approximated). */
function fromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.examples?.length) {
    return fc.oneof(fc.constantFrom(...schema.examples), fromSchema({ ...schema, examples: undefined }));
  }
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(fromSchema));
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map(fromSchema));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return stringFrom(schema);
    case 'integer': {
      // Mostly near the minimum, where meaningful values (revisions, limits) live.
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 3) }), fc.integer({ min, max }));
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      const items = fromSchema(schema.items ?? {});
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(items, constraints);
    }
    case 'object': {
      if (schema.properties) {
        const required = schema.required ?? [];
        return fc.record(
          Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, fromSchema(s)])),
          { requiredKeys: required.filter((k) => k in (schema.properties ?? {})) },
        );
      }
      if (typeof schema.additionalProperties === 'object') {
        return fc.dictionary(
          schema.propertyNames ? stringFrom(schema.propertyNames) : fc.string({ maxLength: 20 }),
          fromSchema(schema.additionalProperties),
          { maxKeys: 5 },
        );
      }
      return fc.object({ maxDepth: 1 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A body from the schema with one field replaced by junk, removed, or one unknown field added. */
function mutatedFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  const branches = [schema, ...(schema.oneOf ?? [])];
  const fields = [...new Set(branches.flatMap((s) => Object.keys(s.properties ?? {}))), 'unknownField'];
  return fc
    .tuple(fromSchema(schema), fc.constantFrom(...fields), fc.option(junk, { freq: 5 }), fc.nat(4))
    .map(([valid, field, replacement, mode]) => {
      if (valid === null || typeof valid !== 'object' || Array.isArray(valid)) return valid;
      const body: Record<string, unknown> = { ...valid };
      if (mode === 0) return body; // sometimes unchanged: valid requests must not fail either
      if (replacement === null) delete body[field];
      else body[field] = replacement;
      return body;
    });
}

let t: TestApp;
let tenant: TenantFixture;
let org: { id: string; slug: string };
let keyId: string;
/** Every tenant role, so that requests reach the services instead of stopping at a role check. */
let allRoles: string;

function writeOperations(): WriteOperation[] {
  const paths = dereferencedDocument<{
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
    >;
  }>(t.app).paths;
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ['post', 'put', 'patch'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase() as WriteOperation['method'],
        path,
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
  );
}

/** Fills each `{param}`: with the existing org or key (by id or slug), or something random. */
function pathArbitrary(path: string): fc.Arbitrary<string> {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const random = fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 70 }).map(encodeURIComponent),
    fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
    fc.constantFrom('%E0%A4%A', '%zz', '..', '.', 'x'.repeat(250)),
  );
  const known = (param: string) =>
    param === 'org'
      ? [org.id, org.slug]
      : param === 'id'
        ? [keyId]
        : param === 'tenant'
          ? [tenant.id]
          : param === 'number'
            ? ['1', '2', '3']
            : [];
  return fc
    .tuple(
      ...params.map((p) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known(p), 'x') }, random)),
    )
    .map((values) => params.reduce((url, p, i) => url.replace(`{${p}}`, String(values[i])), path));
}

function send(op: WriteOperation, url: string, text: string, idempotencyKey: string | null) {
  const headers: Record<string, string> = {
    ...bearer(op.path.startsWith('/v1/tenants') ? PLATFORM_KEY : allRoles),
    'content-type': 'application/json',
  };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  return t.app.inject({ method: op.method, url, headers, payload: text });
}

function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function expectNo5xx(res: LightMyRequestResponse, what: string) {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 500)}`).toBeLessThan(500);
  const type = String(res.headers['content-type']);
  if (res.statusCode >= 400) {
    expect(type, what).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body.status, what).toBe(res.statusCode);
    expect(typeof body.code, what).toBe('string');
    // A replayed answer (Idempotency-Key) is the first one, with the first request's id inside.
    if (res.headers['idempotent-replayed'] !== 'true')
      expect(body.requestId, what).toBe(res.headers['x-request-id']);
  } else {
    expect(type, what).toMatch(/^application\/json/);
  }
}

beforeAll(async () => {
  // Fuzzed issuers can be public addresses: this test must never send them a request.
  // As the service's runtime role (issue 21): every route works with only its privileges.
  t = await createTestApp(
    { AUTH_FAILURE_LIMIT: '1000000' },
    'property',
    { outbound: refuseAllOutbound() },
    { roles: true },
  );
  tenant = await createTenant(t.app);
  org = await createOrg(t.app, tenant.adminKey, 'fuzz-target', { env: 'prod' });
  keyId = (await createKey(t.app, tenant.adminKey, ['editor'])).id;
  allRoles = (await createKey(t.app, tenant.adminKey, ['admin', 'editor', 'approver', 'auditor'])).token;
  const draft = await t.app.inject({
    method: 'POST',
    url: `/v1/orgs/${org.id}/sso/versions`,
    headers: bearer(allRoles),
    payload: { kind: 'disabled', baseVersion: 0 },
  });
  expect(draft.statusCode, draft.body).toBe(201);
});

afterAll(async () => {
  await t?.close();
});

test('the routes under test are every POST, PUT and PATCH of the OpenAPI document', () => {
  const ops = writeOperations().map((op) => `${op.method} ${op.path}`);
  expect(ops).toEqual(
    expect.arrayContaining([
      'POST /v1/tenants',
      'POST /v1/orgs',
      'PUT /v1/orgs/{org}/cognigy',
      'PATCH /v1/tenant',
      'POST /v1/orgs/{org}/sso/versions',
      'POST /v1/orgs/{org}/sso/versions/{number}/approve',
      'POST /v1/sso/bulk',
    ]),
  );
});

describe('no body makes a route that writes answer 5xx', () => {
  const idempotencyKey = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,16}$/), { freq: 3 });

  test.each(['POST', 'PUT', 'PATCH'])(
    '%s routes answer random bodies with < 500 and problem+json',
    async (method) => {
      const ops = writeOperations().filter((op) => op.method === method);
      expect(ops.length).toBeGreaterThan(0);
      for (const op of ops) {
        const bodies = fc.oneof(
          junk.map(toJsonText),
          fc.object().map(toJsonText),
          fc.array(fc.anything(), { maxLength: 5 }).map(toJsonText),
          nastyString.map(toJsonText),
          hugeNumber.map(toJsonText),
          deepNesting,
          fc.string({ maxLength: 40 }), // not JSON at all
        );
        await fc.assert(
          fc.asyncProperty(pathArbitrary(op.path), bodies, idempotencyKey, async (url, text, key) => {
            expectNo5xx(await send(op, url, text, key), `${op.method} ${url} ${text.slice(0, 200)}`);
          }),
          { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
        );
      }
    },
    METHOD_TIMEOUT_MS,
  );

  test.each(['POST', 'PUT', 'PATCH'])(
    '%s routes answer schema-built bodies with one field mutated with < 500 and problem+json',
    async (method) => {
      const ops = writeOperations().filter((op) => op.method === method && op.body);
      expect(ops.length).toBeGreaterThan(0);
      for (const op of ops) {
        const schema = op.body as JsonSchema;
        const outcomes: string[] = [];
        await fc.assert(
          fc.asyncProperty(
            pathArbitrary(op.path),
            mutatedFromSchema(schema),
            idempotencyKey,
            async (url, body, key) => {
              const text = toJsonText(body);
              const res = await send(op, url, text, key);
              outcomes.push(res.statusCode < 300 ? String(res.statusCode) : String(res.json().code));
              expectNo5xx(res, `${op.method} ${url} ${text.slice(0, 300)}`);
            },
          ),
          { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
        );
        // The schema-built bodies are worth something only if many get past validation to the service.
        // A fifth are sent unmutated; for a body of one field (reject's comment) nearly every mutation
        // is invalid, so about a fifth is what such a route can reach: an eighth leaves room for chance.
        const passedValidation = outcomes.filter((o) => !o.startsWith('REQUEST_')).length;
        expect(
          passedValidation,
          `${op.method} ${op.path}: ${JSON.stringify(tally(outcomes))}`,
        ).toBeGreaterThan(outcomes.length / 8);
      }
    },
    METHOD_TIMEOUT_MS,
  );

  test('no request of this file was logged as an unexpected failure', () => {
    const failures = t.logs.filter((line) => /"level":"(error|fatal)"/.test(line));
    expect(failures.map((line) => line.slice(0, 500))).toEqual([]);
  });
});
