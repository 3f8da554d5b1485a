/**
 * A checkpoint's canonical bytes are exactly what README documents, and its signature is an ordinary
 * Ed25519 signature: `openssl pkeyutl` verifies it with the JWKS key, and refuses it once a byte of
 * the statement changes. checkChain names truncation, a rewritten head and a forged checkpoint.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  checkChain,
  checkpointMessage,
  checkpointsOfNdjson,
  keysOfJwks,
  signCheckpoint,
} from '../../../src/modules/audit-checkpoints/checkpoint.js';
import {
  generateSigningKey,
  parseSigningKey,
  thumbprintOf,
} from '../../../src/modules/crypto/signing-key.js';

const SEED = Buffer.alloc(32, 7).toString('base64');
const key = parseSigningKey(SEED);
const head = { chain: 'platform', seq: 12, hash: 'ab'.repeat(32) };
const at = new Date('2026-12-07T01:02:03.456Z');

describe('the signed bytes', () => {
  test('are the fields in key order without white space, with type and v', () => {
    const c = signCheckpoint('0193a6c1-0000-7000-8000-000000000001', head, at, key);
    expect(checkpointMessage(c).toString('utf8')).toBe(
      `{"chain":"platform","hash":"${'ab'.repeat(32)}","keyId":"${key.kid}","seq":12,` +
        `"signedAt":"2026-12-07T01:02:03.456Z","type":"audit-checkpoint","v":1}`,
    );
    expect(c.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  test('the key id is the RFC 7638 thumbprint of the public JWK', () => {
    expect(key.kid).toBe(thumbprintOf(key.publicJwk.x));
    // RFC 8037 appendix A.3's key and thumbprint
    expect(thumbprintOf('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });

  test('openssl verifies the signature with the JWKS key, and refuses a changed statement', () => {
    const c = signCheckpoint('0193a6c1-0000-7000-8000-000000000001', head, at, key);
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const pem = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    writeFileSync(join(dir, 'pub.pem'), pem);
    writeFileSync(join(dir, 'sig'), Buffer.from(c.signature, 'base64url'));
    const check = (message: Buffer) => {
      writeFileSync(join(dir, 'msg'), message);
      try {
        execFileSync(
          'openssl',
          [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            join(dir, 'pub.pem'),
            '-rawin',
            '-in',
            join(dir, 'msg'),
            '-sigfile',
            join(dir, 'sig'),
          ],
          { stdio: 'pipe' },
        );
        return true;
      } catch {
        return false;
      }
    };
    expect(check(checkpointMessage(c))).toBe(true);
    expect(check(checkpointMessage({ ...c, seq: 11 }))).toBe(false);
  });

  test('the key never shows its private half when logged or serialised', () => {
    const { key: fresh, seed } = generateSigningKey();
    const shown = `${JSON.stringify(fresh)} ${inspect(fresh)}`;
    expect(shown).toContain(fresh.kid);
    expect(shown).not.toContain(seed);
    expect(JSON.stringify(fresh)).toBe(JSON.stringify({ kid: fresh.kid }));
  });
});

describe('checkChain', () => {
  const keys = keysOfJwks({ keys: [key.publicJwk] });
  const cp = (seq: number, hash: string) =>
    signCheckpoint(`0193a6c1-0000-7000-8000-0000000000${seq}`, { chain: 'c1', seq, hash }, at, key);
  const hashes = new Map([
    [5, '05'.repeat(32)],
    [10, '10'.repeat(32)],
  ]);

  test('an intact chain agrees with its checkpoints', () => {
    const report = checkChain(
      { chain: 'c1', headSeq: 10, hashAt: hashes },
      [cp(5, '05'.repeat(32)), cp(10, '10'.repeat(32))],
      keys,
    );
    expect(report).toMatchObject({ checked: 2, problemCount: 0, newestSigned: { seq: 10 } });
  });

  test('a chain ending before a signed head names the missing range', () => {
    const report = checkChain(
      { chain: 'c1', headSeq: 7, hashAt: hashes },
      [cp(5, '05'.repeat(32)), cp(10, '10'.repeat(32))],
      keys,
    );
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'truncated',
        seq: 10,
        detail: expect.stringContaining('chain c1: the newest events were removed: seq 8..10 missing'),
      }),
    ]);
  });

  test('a signed head with another hash is reported as rewritten', () => {
    const report = checkChain({ chain: 'c1', headSeq: 10, hashAt: hashes }, [cp(10, 'ff'.repeat(32))], keys);
    expect(report.problems[0]).toMatchObject({ kind: 'rewritten', seq: 10 });
    expect(report.problems[0]?.detail).toContain('chain c1: the signed head at seq 10');
  });

  test('a checkpoint signed by another key, or naming an unknown key, is forged and proves nothing', () => {
    const other = generateSigningKey().key;
    const byOther = signCheckpoint(
      '0193a6c1-0000-7000-8000-000000000099',
      { chain: 'c1', seq: 20, hash: '20'.repeat(32) },
      at,
      other,
    );
    const posing = { ...byOther, keyId: key.kid }; // claims the real key
    const report = checkChain({ chain: 'c1', headSeq: 10, hashAt: hashes }, [byOther, posing], keys);
    expect(report.problems.map((p) => p.kind)).toEqual(['forged', 'forged']);
    expect(report.newestSigned).toBeNull(); // and the forged seq 20 claims no truncation
  });

  test('checkpoints read back from NDJSON', () => {
    const c = cp(5, '05'.repeat(32));
    expect(checkpointsOfNdjson(`${JSON.stringify(c)}\n\n`)).toEqual([c]);
    expect(() => checkpointsOfNdjson('{"chain":1}\n')).toThrow('line 1 is not a checkpoint');
  });
});
