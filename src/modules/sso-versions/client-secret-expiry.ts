/**
 * The check of a client secret's recorded expiry (issue 17) in a version's validation report. The
 * date is what the editor recorded with the secret, not something the IdP told us, so the report
 * says so; a date already past is accepted (it is a fact) and reported as expired, never as valid.
 */
import { EXPIRY_WARNING_DAYS } from './saml-certificate.js';

const DAY_MS = 86_400_000;

/** A check of the report (sso-validation.ts's ReportCheck). */
export interface ExpiryCheck {
  readonly name: 'client_secret_expiry';
  readonly status: 'pass' | 'warn';
  readonly message: string;
  readonly details: { readonly expiresAt: string };
}

/** The report's check of a client secret that expires at `expiresAt`, as of `now`. */
export function clientSecretExpiryCheck(expiresAt: Date, now: Date): ExpiryCheck {
  const at = expiresAt.toISOString();
  const details = { expiresAt: at };
  if (expiresAt.getTime() <= now.getTime()) {
    return {
      name: 'client_secret_expiry',
      status: 'warn',
      message: `The client secret expired on ${at} (the date recorded with it): an IdP refuses an expired secret, so logins through Cognigy fail until a new secret is configured.`,
      details,
    };
  }
  const daysLeft = Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
  const inDays = `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return {
      name: 'client_secret_expiry',
      status: 'warn',
      message: `The client secret expires on ${at}, ${inDays} (the date recorded with it): create a new one at the IdP soon and draft it.`,
      details,
    };
  }
  return {
    name: 'client_secret_expiry',
    status: 'pass',
    message: `The client secret expires on ${at}, ${inDays} (the date recorded with it).`,
    details,
  };
}
