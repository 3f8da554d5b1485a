/**
 * The SAML signing certificate of §4.1: accepted as PEM or base64 DER, parsed as X.509, checked for
 * validity at a given time, and normalised to what Cognigy takes (base64 DER on one line).
 * Pure: the clock is a parameter.
 */
import { X509Certificate } from 'node:crypto';

/** Within this many days of expiry a certificate passes with a warning. */
export const EXPIRY_WARNING_DAYS = 30;

export interface CertificateCheck {
  readonly status: 'pass' | 'warn' | 'fail';
  readonly message: string;
  /** Set when the certificate parsed. */
  readonly details?: {
    readonly subject: string;
    readonly issuer: string;
    readonly notBefore: string;
    readonly notAfter: string;
    readonly sha256: string;
  };
}

export interface ParsedCertificate {
  /** Base64 of the DER bytes, one line, no PEM armour; null when the input is not a certificate. */
  readonly base64Der: string | null;
  readonly check: CertificateCheck;
}

function derOf(input: string): Buffer | null {
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(input);
  const text = (pem ? (pem[1] as string) : input).replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

const DAY_MS = 86_400_000;

export function parseSamlCertificate(input: string, now: Date = new Date()): ParsedCertificate {
  const der = derOf(input);
  let certificate: X509Certificate;
  try {
    if (!der) throw new Error('not base64');
    certificate = new X509Certificate(der);
  } catch {
    return {
      base64Der: null,
      check: {
        status: 'fail',
        message: 'idpCertificate is not an X.509 certificate (expected PEM or base64 of the DER bytes).',
      },
    };
  }
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  const details = {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    sha256: certificate.fingerprint256,
  };
  const base64Der = certificate.raw.toString('base64');
  const who = `The certificate of ${details.subject}`;
  if (notAfter.getTime() <= now.getTime()) {
    return {
      base64Der,
      check: { status: 'fail', message: `${who} expired on ${details.notAfter}.`, details },
    };
  }
  if (notBefore.getTime() > now.getTime()) {
    return {
      base64Der,
      check: { status: 'fail', message: `${who} is not valid before ${details.notBefore}.`, details },
    };
  }
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return {
      base64Der,
      check: {
        status: 'warn',
        message: `${who} expires on ${details.notAfter}, in ${daysLeft} day${daysLeft === 1 ? '' : 's'}: renew it at the IdP soon.`,
        details,
      },
    };
  }
  return {
    base64Der,
    check: { status: 'pass', message: `${who} is valid until ${details.notAfter}.`, details },
  };
}
