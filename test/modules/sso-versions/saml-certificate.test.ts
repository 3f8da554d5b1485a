/** The SAML certificate of §4.1: PEM or base64 DER, parsed, checked at a given time, normalised. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  EXPIRY_WARNING_DAYS,
  parseSamlCertificate,
} from '../../../src/modules/sso-versions/saml-certificate.js';

let dir: string;
let pem: string;
const DAY = 86_400_000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'saml-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '365',
      '-subj',
      '/CN=idp.example.com/O=Example IdP',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base64Of = (p: string) => p.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

describe('parseSamlCertificate', () => {
  test('accepts PEM and base64 DER alike, normalised to one line of base64 DER', () => {
    const fromPem = parseSamlCertificate(pem);
    const fromBase64 = parseSamlCertificate(base64Of(pem));
    const fromWrapped = parseSamlCertificate(base64Of(pem).replace(/(.{64})/g, '$1\n'));
    expect(fromPem.check.status).toBe('pass');
    expect(fromPem.base64Der).toBe(base64Of(pem));
    expect(fromBase64).toEqual(fromPem);
    expect(fromWrapped).toEqual(fromPem);
    expect(fromPem.check.details?.subject).toContain('CN=idp.example.com');
    expect(fromPem.check.message).toMatch(/is valid until \d{4}-/);
  });

  test('warns within 30 days of expiry, naming the date and the days left', () => {
    const notAfter = new Date(parseSamlCertificate(pem).check.details?.notAfter as string);
    const result = parseSamlCertificate(pem, new Date(notAfter.getTime() - 10 * DAY));
    expect(result.check.status).toBe('warn');
    expect(result.check.message).toMatch(/in (9|10) days/);
    expect(
      parseSamlCertificate(pem, new Date(notAfter.getTime() - (EXPIRY_WARNING_DAYS + 1) * DAY)).check.status,
    ).toBe('pass');
  });

  test('fails an expired certificate and one not yet valid', () => {
    const { notAfter, notBefore } = parseSamlCertificate(pem).check.details as {
      notAfter: string;
      notBefore: string;
    };
    const expired = parseSamlCertificate(pem, new Date(new Date(notAfter).getTime() + DAY));
    expect(expired.check).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(`expired on ${notAfter}`),
    });
    expect(expired.base64Der).not.toBeNull();
    expect(parseSamlCertificate(pem, new Date(new Date(notBefore).getTime() - DAY)).check.status).toBe(
      'fail',
    );
  });

  test('fails anything that is not a certificate, without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.base64String(), fc.constant(pem.replace('MII', 'MIX'))),
        (input) => {
          const result = parseSamlCertificate(input);
          if (result.check.status !== 'fail') expect(result.base64Der).not.toBeNull();
          else expect(result.check.message.length).toBeGreaterThan(10);
        },
      ),
    );
    expect(parseSamlCertificate('not a certificate').check.status).toBe('fail');
    expect(parseSamlCertificate('').base64Der).toBeNull();
  });
});
