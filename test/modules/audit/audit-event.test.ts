/**
 * The hash of an event is SHA-256 of the canonical JSON of its fields (README, "Verifying an export
 * offline"). `hashMaterial` writes that JSON without sorting keys at run time; these properties pin
 * it to the generic `canonicalJson` form, byte for byte, for any event.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalJson } from '../../../src/lib/canonical-json.js';
import { type AuditRecord, hashMaterial, hashOf } from '../../../src/modules/audit/audit-event.js';

/** The definition (README): every field of the event but `hash`, plus `v: 1`, as canonical JSON. */
const referenceMaterial = (e: Omit<AuditRecord, 'hash'>) => canonicalJson({ ...e, v: 1 });

// Any text, including quotes, backslashes, control characters, lone surrogates and non-BMP.
const text = fc.string({ unit: 'binary', maxLength: 20 });
const orNull = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const json = fc.jsonValue({ maxDepth: 3 });

const event: fc.Arbitrary<Omit<AuditRecord, 'hash'>> = fc.record({
  id: fc.uuid(),
  chain: text,
  seq: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  tenantId: orNull(fc.uuid()),
  occurredAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  // Keys and the system, as every event before issue 20; and people, whose identity is hashed too.
  actor: fc.oneof(
    fc.record({
      type: fc.constantFrom('api_key' as const, 'system' as const),
      id: orNull(fc.uuid()),
      name: text,
    }),
    fc.record({
      type: fc.constant('person' as const),
      id: fc.uuid(),
      name: text,
      person: fc.record({
        issuer: text,
        subject: text,
        email: orNull(text),
        name: orNull(text),
        roles: fc.array(fc.constantFrom('admin', 'editor', 'approver', 'auditor'), { maxLength: 4 }),
      }),
    }),
  ),
  action: text,
  target: fc.record({ type: text, id: text }),
  orgId: orNull(fc.uuid()),
  requestId: orNull(text),
  sourceIp: orNull(text),
  userAgent: orNull(text),
  outcome: text,
  diff: fc
    .tuple(fc.record({ before: json, after: json }, { requiredKeys: [] }), fc.dictionary(text, json))
    .map(([known, other]) => ({ ...other, ...known })),
  prevHash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
});

describe('hash material', () => {
  test('of an event of a key or the system is what it was before people could sign in', () => {
    // A fixed event of an API key, hashed with the definition as it stood before issue 20.
    const e: Omit<AuditRecord, 'hash'> = {
      id: '0195f3a0-0000-7000-8000-000000000001',
      chain: '0195f3a0-0000-7000-8000-00000000000a',
      seq: 7,
      tenantId: '0195f3a0-0000-7000-8000-00000000000a',
      occurredAt: '2026-11-26T22:10:51.979Z',
      actor: { type: 'api_key', id: '0195f3a0-0000-7000-8000-00000000000b', name: 'first admin' },
      action: 'org.created',
      target: { type: 'org', id: '0195f3a0-0000-7000-8000-00000000000c' },
      orgId: '0195f3a0-0000-7000-8000-00000000000c',
      requestId: 'req-1',
      sourceIp: '127.0.0.1',
      userAgent: 'curl/8',
      outcome: 'success',
      diff: { after: { slug: 'acme', name: 'Acme' } },
      prevHash: '0'.repeat(64),
    };
    expect(hashMaterial(e)).toBe(
      '{"action":"org.created","actor":{"id":"0195f3a0-0000-7000-8000-00000000000b","name":"first admin","type":"api_key"},"chain":"0195f3a0-0000-7000-8000-00000000000a","diff":{"after":{"name":"Acme","slug":"acme"}},"id":"0195f3a0-0000-7000-8000-000000000001","occurredAt":"2026-11-26T22:10:51.979Z","orgId":"0195f3a0-0000-7000-8000-00000000000c","outcome":"success","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","requestId":"req-1","seq":7,"sourceIp":"127.0.0.1","target":{"id":"0195f3a0-0000-7000-8000-00000000000c","type":"org"},"tenantId":"0195f3a0-0000-7000-8000-00000000000a","userAgent":"curl/8","v":1}',
    );
    expect(hashMaterial(e)).not.toContain('person');
  });

  test('is the canonical JSON of the event, byte for byte, for any event', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(hashMaterial(e)).toBe(referenceMaterial(e));
      }),
      { numRuns: 2000 },
    );
  });

  test('leaves out an undefined field as canonical JSON does', () => {
    fc.assert(
      fc.property(event, fc.constantFrom('diff', 'requestId', 'orgId', 'userAgent'), (e, key) => {
        const partial = { ...e, [key]: undefined } as unknown as Omit<AuditRecord, 'hash'>;
        expect(hashMaterial(partial)).toBe(referenceMaterial(partial));
      }),
      { numRuns: 300 },
    );
  });

  test('hashOf is SHA-256 of it', () => {
    fc.assert(
      fc.property(event, (e) => {
        const expected = createHash('sha256').update(referenceMaterial(e), 'utf8').digest('hex');
        expect(hashOf(e)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
