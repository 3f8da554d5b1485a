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
  actor: fc.record({
    type: fc.constantFrom('api_key' as const, 'system' as const),
    id: orNull(fc.uuid()),
    name: text,
  }),
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
