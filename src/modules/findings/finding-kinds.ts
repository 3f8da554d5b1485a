/**
 * What the watch can find (issue 17), and how bad each kind is by default. A kind is what went
 * wrong; the subject is what it is about (an issuer, a certificate, a version), so one org may have
 * one open finding per kind and subject.
 */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The order of severities (the rank stored with each finding, for "most severe first"). */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, critical: 3 };

/**
 * The kinds a discovery round decides about (it resolves the open ones it no longer sees): from the
 * IdP's discovery document and JWKS as they are now.
 */
export const DISCOVERY_KINDS = [
  'idp_unreachable',
  'idp_blocked_by_policy',
  'issuer_mismatch',
  'alg_not_advertised',
  'auth_method_not_advertised',
  'jwks_unusable',
  'endpoints_changed',
  'signing_keys_rotated',
  'document_changed',
] as const;

/** The kinds a round of local checks decides about: computed from what is stored, no network call. */
export const LOCAL_KINDS = [
  'saml_certificate_expiry',
  'client_secret_expiry',
  'delivery_stuck',
  'delivery_failed',
] as const;

/** Every kind; credential_rejected is decided only by a probe (opt-in, rate-limited). */
export const FINDING_KINDS = [...DISCOVERY_KINDS, 'credential_rejected', ...LOCAL_KINDS] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What one check of one org saw: a problem to open or keep open. */
export interface Observation {
  readonly kind: FindingKind;
  readonly subject: string;
  readonly severity: Severity;
  /** A sentence a person understands. */
  readonly summary: string;
  /** What to do about it. */
  readonly action: string;
  /** What was expected, what was seen, when (no secret, ever). */
  readonly evidence: Readonly<Record<string, unknown>>;
  /** When the problem was first seen, if before this round (a network problem's first failing round). */
  readonly since?: Date;
}
