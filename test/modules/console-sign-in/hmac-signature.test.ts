/** The HS* ID-token signature check of the console sign-in (oidc-client.ts), against node:crypto. */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hmacSignatureHolds } from '../../../src/modules/console-sign-in/oidc-client.js';

const ALGS = ['HS256', 'HS384', 'HS512'] as const;
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const signed = (alg: string, claims: string, secret: string) => {
  const input = `${b64(JSON.stringify({ alg, typ: 'JWT' }))}.${b64(claims)}`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret)
    .update(input)
    .digest('base64url')}`;
};

describe('hmacSignatureHolds', () => {
  test('holds for a token signed with the secret, and for no other secret, algorithm or changed part', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGS),
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (alg, claims, secret, other) => {
          const token = signed(alg, claims, secret);
          expect(hmacSignatureHolds(token, alg, secret)).toBe(true);
          if (other !== secret) expect(hmacSignatureHolds(token, alg, other)).toBe(false);
          for (const otherAlg of ALGS.filter((a) => a !== alg))
            expect(hmacSignatureHolds(token, otherAlg, secret)).toBe(false);
          const [h, p, s] = token.split('.') as [string, string, string];
          expect(hmacSignatureHolds(`${h}.${b64(`${claims} `)}.${s}`, alg, secret)).toBe(false);
          expect(hmacSignatureHolds(`${h}.${p}.${s.slice(0, -2)}`, alg, secret)).toBe(false);
          expect(hmacSignatureHolds(`${h}.${p}`, alg, secret)).toBe(false);
          expect(hmacSignatureHolds(`${token}.x`, alg, secret)).toBe(false);
        },
      ),
    );
  });

  test('is never true for an asymmetric algorithm (those are checked against the JWKS)', () => {
    expect(hmacSignatureHolds(signed('HS256', '{}', 's'), 'RS256', 's')).toBe(false);
  });
});
