/**
 * What the watch's findings (GET /v1/findings) mean to a person: each kind in words, the severities
 * in order, who may ask for a check now, and a check's outcome as a sentence. Pure: no DOM, no
 * requests.
 */
import type { FindingView, WatchRun } from './types.js';

export type FindingKind = FindingView['kind'];
export type Severity = FindingView['severity'];

/** Every kind the API knows, in words (a kind added to the API fails the typecheck here until named). */
export const KIND_LABELS: Readonly<Record<FindingKind, string>> = {
  idp_unreachable: 'IdP unreachable',
  idp_blocked_by_policy: 'IdP blocked by the network policy',
  issuer_mismatch: 'Issuer mismatch',
  alg_not_advertised: 'Signing algorithm no longer advertised',
  auth_method_not_advertised: 'Client authentication method no longer advertised',
  jwks_unusable: 'JWKS unusable',
  endpoints_changed: 'IdP endpoints changed',
  signing_keys_rotated: 'IdP signing keys rotated',
  document_changed: 'Discovery document changed',
  credential_rejected: 'Client credentials rejected',
  saml_certificate_expiry: 'SAML certificate expiry',
  client_secret_expiry: 'Client secret expiry',
  delivery_stuck: 'Delivery to Cognigy stuck',
  delivery_failed: 'Delivery to Cognigy failed',
};

export const FINDING_KINDS = Object.keys(KIND_LABELS) as FindingKind[];

/** Most severe first, as the API orders them. */
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** The roles that may run the watch's checks of an org now (POST /v1/orgs/{org}/watch/run). */
const CHECKERS = new Set(['admin', 'editor', 'approver']);

export const mayCheckNow = (roles: readonly string[]) => roles.some((r) => CHECKERS.has(r));

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The outcome of "Check now" in one sentence. */
export function checkSummary(run: Omit<WatchRun, 'open'>): string {
  const changes = [
    `${run.opened} opened`,
    `${run.changed} changed`,
    `${run.resolved} resolved`,
    `${run.seen} still open unchanged`,
  ];
  const fetched = run.issuers === 0 ? 'no IdP to fetch' : `${count(run.issuers, 'IdP')} fetched`;
  return `Checked: ${changes.join(', ')} (${fetched}).`;
}
