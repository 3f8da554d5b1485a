/**
 * The discovery report: what validating an OIDC issuer found (SPEC §5). Its shape is stable — every
 * SSO version stores one — so fields are only ever added, never renamed or removed.
 */

/** The outcome of one check. `skip`: the check could not run (an earlier one failed) or was not asked for. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** The outcome of a whole report: the worst of its checks (`skip` counts as `pass`). */
export type ReportStatus = 'pass' | 'warn' | 'fail';

/** Every check, in the order a report lists them. A report always lists all of them. */
export const CHECK_NAMES = [
  'issuer_url',
  'network_policy',
  'document_fetched',
  'issuer_match',
  'endpoints',
  'response_type_code',
  'id_token_signing_alg',
  'token_endpoint_auth_method',
  'jwks',
  'additional_scopes',
  'credential_probe',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

/** One check: its name, outcome, a sentence a person understands, and facts behind it. */
export interface DiscoveryCheck {
  readonly name: CheckName;
  readonly status: CheckStatus;
  readonly message: string;
  /** Machine-readable facts (values compared, HTTP status, key ids …). Never a secret. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The parts of the discovery document a configuration depends on, copied as published (strings and
 * lists of strings only; anything else is `null`).
 */
export interface DiscoveryMetadata {
  readonly issuer: string | null;
  readonly authorization_endpoint: string | null;
  readonly token_endpoint: string | null;
  readonly jwks_uri: string | null;
  readonly userinfo_endpoint: string | null;
  readonly end_session_endpoint: string | null;
  readonly response_types_supported: string[] | null;
  readonly id_token_signing_alg_values_supported: string[] | null;
  readonly token_endpoint_auth_methods_supported: string[] | null;
  readonly scopes_supported: string[] | null;
}

/** What was seen, so a stored report can later be compared with the IdP as it is then. */
export interface DiscoveryEvidence {
  /** SHA-256 (hex) of the discovery document's bytes as received. */
  readonly documentSha256: string;
  /** The `kid` of every key in the JWKS (empty when the JWKS was not read or has no key ids). */
  readonly jwksKeyIds: string[];
}

/**
 * The result of validating one issuer.
 *
 * - `status`: the worst check outcome (`fail` > `warn` > `pass`; skipped checks do not count).
 * - `issuer.requested`: what the caller sent, as sent. `issuer.discovered`: the document's `issuer`,
 *   exactly (trailing slash included) — the value to forward to Cognigy; `null` when no document
 *   was read or it has no issuer string.
 * - `checks`: every check of {@link CHECK_NAMES}, in that order.
 * - `metadata`: the discovered endpoints and capabilities, `null` when no document was read.
 * - `evidence`: hash of the document and the JWKS key ids, `null` when no document was read.
 * - `checkedAt`: when the check ran (ISO 8601); `durationMs`: how long it took.
 * - `cached`: the discovery document came from the cache rather than the network.
 */
export interface DiscoveryReport {
  readonly status: ReportStatus;
  readonly issuer: { readonly requested: string; readonly discovered: string | null };
  readonly checks: DiscoveryCheck[];
  readonly metadata: DiscoveryMetadata | null;
  readonly evidence: DiscoveryEvidence | null;
  readonly checkedAt: string;
  readonly durationMs: number;
  readonly cached: boolean;
}

const severity: Record<CheckStatus, number> = { skip: 0, pass: 0, warn: 1, fail: 2 };

/** The worst outcome among the checks: the report's overall status. */
export function overallStatus(checks: readonly Pick<DiscoveryCheck, 'status'>[]): ReportStatus {
  const worst = Math.max(0, ...checks.map((c) => severity[c.status]));
  return worst === 2 ? 'fail' : worst === 1 ? 'warn' : 'pass';
}
