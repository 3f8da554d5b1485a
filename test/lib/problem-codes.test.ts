/**
 * The problem-code registry against the code that uses it: every entry well-formed, every code an
 * answer can carry registered (the error classes make that a compile error; the scan of src/ also
 * catches codes written as plain strings), and no registered code left unused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodes } from 'fastify';
import { describe, expect, test } from 'vitest';
import { BadRequestError, ConflictError, NotFoundError } from '../../src/lib/errors.js';
import { problemType } from '../../src/lib/problem.js';
import { PROBLEMS, type ProblemCode, STATUS_TITLES } from '../../src/lib/problem-codes.js';
import { CRYPTO_ERROR_CODES } from '../../src/modules/crypto/crypto-error.js';
import { FRAMEWORK_CODES } from '../../src/plugins/error-handler.js';

const SRC = join(import.meta.dirname, '../../src');
const REGISTRY_FILE = 'lib/problem-codes.ts';

/** Codes of errors that never reach a client as a problem's `code`, and why. */
const NOT_PROBLEM_CODES: ReadonlyMap<string, string> = new Map([
  ...CRYPTO_ERROR_CODES.map(
    (c) => [c, 'CryptoError: the cause of an SSO_SECRETS_UNAVAILABLE problem'] as const,
  ),
  ...['MIGRATION_MODIFIED', 'MIGRATION_FAILED_BEFORE', 'MIGRATION_FAILED', 'MIGRATION_UNKNOWN'].map(
    (c) => [c, 'MigrationError: the migrator refuses to start the service'] as const,
  ),
  ['CONFIG_INVALID', 'ConfigError: the environment does not describe a runnable service'],
  ['DEPLOYMENT_HASH_MISMATCH', 'forwarding: why a deployment was not sent, recorded on its attempt'],
  ['DEPLOYMENT_NOT_SENDABLE', 'forwarding: why a deployment was not sent, recorded on its attempt'],
  ['ID_TOKEN_HMAC_MISMATCH', 'console sign-in: why an HS* ID token was refused, in the refusal event only'],
  ['ERR_TLS', "outbound: a prefix of Node's TLS error codes"],
  ['ERR_SSL', "outbound: a prefix of Node's OpenSSL error codes"],
]);

const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.startsWith('generated'))
  .map((f) => ({ file: f.replaceAll('\\', '/'), text: readFileSync(join(SRC, f), 'utf8') }));

const CODE = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'";
/** A code-shaped string where a code goes: a call's first argument, or a `code` property's value. */
const CODE_POSITIONS = [
  new RegExp(String.raw`[\w$]\(\s*${CODE}`, 'g'),
  new RegExp(String.raw`\bcode\s*(?::|===|!==|=)\s*${CODE}`, 'g'),
];

function codesInCodePositions() {
  const found: { code: string; file: string }[] = [];
  for (const { file, text } of sources) {
    if (file === REGISTRY_FILE) continue;
    for (const pattern of CODE_POSITIONS) {
      for (const m of text.matchAll(pattern)) found.push({ code: m[1] as string, file });
    }
  }
  return found;
}

const registered = Object.keys(PROBLEMS) as ProblemCode[];

describe('the problem-code registry', () => {
  test('each entry names its code, a MODULE_SNAKE_CASE string, with an error status and its title', () => {
    expect(registered.length).toBeGreaterThan(50);
    for (const code of registered) {
      const entry = PROBLEMS[code];
      expect(entry.code).toBe(code);
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.title).toBe(STATUS_TITLES[entry.status]);
      expect(entry.type).toBe(problemType(code));
    }
  });

  test('codes and their problem type URIs are unique', () => {
    expect(new Set(registered).size).toBe(registered.length);
    expect(new Set(registered.map((c) => PROBLEMS[c].type)).size).toBe(registered.length);
    for (const code of NOT_PROBLEM_CODES.keys()) expect(registered).not.toContain(code);
  });

  test('each Fastify error with a code of its own is registered with the status Fastify gives it', () => {
    expect(Object.keys(FRAMEWORK_CODES).length).toBeGreaterThan(5);
    for (const [fastifyCode, { code }] of Object.entries(FRAMEWORK_CODES)) {
      const FastifyError = errorCodes[fastifyCode as keyof typeof errorCodes];
      expect(FastifyError, fastifyCode).toBeDefined();
      expect(new FastifyError('x').statusCode, `${fastifyCode} → ${code}`).toBe(PROBLEMS[code].status);
    }
  });

  test('an error takes its status and title from the registry', () => {
    const error = new ConflictError('ORG_SLUG_TAKEN', 'taken');
    expect([error.code, error.status, error.title]).toEqual(['ORG_SLUG_TAKEN', 409, 'Conflict']);
    // A misspelt code, or one registered with another status, does not compile (`npm run typecheck`
    // fails when an expected error is missing); forced through, the registry still decides.
    // @ts-expect-error: no such code
    expect(() => new NotFoundError('ORG_NOT_FOUNDD', 'x')).toThrow(TypeError);
    // @ts-expect-error: ORG_NOT_FOUND is a 404, not a 400
    expect(new BadRequestError('ORG_NOT_FOUND', 'x').status).toBe(404);
  });

  test('every code-shaped string where src/ puts a code is a registered code (or named as none)', () => {
    const found = codesInCodePositions();
    // The scan sees the throws: not fewer positions than there are codes.
    expect(found.length).toBeGreaterThan(registered.length);
    const unknown = found.filter(({ code }) => !(code in PROBLEMS) && !NOT_PROBLEM_CODES.has(code));
    expect(unknown).toEqual([]);
  });

  test('every registered code is used in src/, and so is every code named as not a problem', () => {
    const elsewhere = sources
      .filter(({ file }) => file !== REGISTRY_FILE)
      .map(({ text }) => text)
      .join('\n');
    const unused = [...registered, ...NOT_PROBLEM_CODES.keys()].filter(
      (code) => !elsewhere.includes(`'${code}'`),
    );
    expect(unused).toEqual([]);
  });
});
