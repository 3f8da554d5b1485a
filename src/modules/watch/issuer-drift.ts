/**
 * Judges what one round saw of an OIDC issuer (the discovery reports of the versions that use it)
 * against each version's own settings and the evidence its newest validation report stored. Pure:
 * the reports come in, findings to open or keep open come out.
 *
 * Network problems (no answer, errors, a body that is not a document) count only from the second
 * failing round in a row, so one timeout opens nothing; facts (the algorithm gone, an issuer
 * mismatch, the policy refusing the host) open at once.
 */
import type { DiscoveryCheck, DiscoveryMetadata, DiscoveryReport } from '../discovery/discovery-report.js';
import { DISCOVERY_KINDS, type FindingKind, type Observation } from '../findings/finding-kinds.js';
import type { CheckScope, OrgCheck } from '../findings/findings.service.js';
import type { WatchedVersion } from './watched-versions.repository.js';

/** Failing rounds in a row before a network problem becomes a finding. */
export const ROUNDS_BEFORE_UNREACHABLE = 2;

export interface IssuerHistory {
  /** Failing rounds in a row, this one included. */
  readonly failingRounds: number;
  readonly failingSince: Date | null;
}

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'end_session_endpoint',
  'userinfo_endpoint',
] as const satisfies readonly (keyof DiscoveryMetadata)[];

const checkOf = (r: DiscoveryReport, name: DiscoveryCheck['name']) => r.checks.find((c) => c.name === name);

/** Did this report fail to reach the IdP (document or JWKS), as opposed to reading something wrong? */
export function reachFailure(r: DiscoveryReport): DiscoveryCheck | undefined {
  const policy = checkOf(r, 'network_policy');
  if (policy?.status === 'fail') return undefined; // a fact, judged below
  const doc = checkOf(r, 'document_fetched');
  if (doc?.status === 'fail') return doc;
  const jwks = checkOf(r, 'jwks');
  if (jwks?.status === 'fail' && jwks.details && ('reason' in jwks.details || 'httpStatus' in jwks.details))
    return jwks;
  return undefined;
}

/** Fields of the stored metadata that differ now: { field, expected, seen }. */
function metadataChanges(stored: DiscoveryMetadata, now: DiscoveryMetadata, fields: readonly string[]) {
  const out: { field: string; expected: unknown; seen: unknown }[] = [];
  for (const field of fields) {
    const a = (stored as unknown as Record<string, unknown>)[field] ?? null;
    const b = (now as unknown as Record<string, unknown>)[field] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field, expected: a, seen: b });
  }
  return out;
}

function judgeVersion(
  issuer: string,
  v: WatchedVersion,
  r: DiscoveryReport,
  history: IssuerHistory,
  now: Date,
): Observation[] {
  const at = now.toISOString();
  const versions = { version: v.number, roles: v.roles };
  const obs: Observation[] = [];
  const see = (
    kind: FindingKind,
    severity: Observation['severity'],
    summary: string,
    action: string,
    evidence: Record<string, unknown>,
    since?: Date,
  ) =>
    obs.push({
      kind,
      subject: issuer,
      severity,
      summary,
      action,
      evidence: { ...versions, ...evidence, seenAt: at },
      ...(since ? { since } : {}),
    });

  const policy = checkOf(r, 'network_policy');
  if (policy?.status === 'fail') {
    see(
      'idp_blocked_by_policy',
      'critical',
      `The IdP ${issuer} cannot be checked: ${policy.message}`,
      'Check the issuer and where it redirects. Allow-list a host (OUTBOUND_ALLOWLIST) only for an IdP that is on-premises on purpose, never a link-local or metadata-service address.',
      { check: policy.name, message: policy.message, details: policy.details ?? null },
    );
    return obs;
  }
  const failure = reachFailure(r);
  if (failure) {
    if (history.failingRounds >= ROUNDS_BEFORE_UNREACHABLE) {
      see(
        'idp_unreachable',
        'critical',
        `The IdP ${issuer} could not be read in ${ROUNDS_BEFORE_UNREACHABLE} or more checks in a row (${failure.name === 'jwks' ? 'its JWKS' : 'its discovery document'}); sign-ins through it fail while it cannot be reached.`,
        'Check that the IdP is up and reachable from this service; sign-ins through it fail while it is not.',
        {
          check: failure.name,
          message: failure.message,
          details: failure.details ?? null,
          failingRounds: history.failingRounds,
        },
        history.failingSince ?? undefined,
      );
    }
    return obs;
  }
  const fact = (
    name: DiscoveryCheck['name'],
    kind: FindingKind,
    summary: (c: DiscoveryCheck) => string,
    action: string,
    expected: unknown,
  ) => {
    const c = checkOf(r, name);
    if (c?.status === 'fail')
      see(kind, 'critical', summary(c), action, { expected, seen: c.details ?? null, message: c.message });
  };
  fact(
    'issuer_match',
    'issuer_mismatch',
    (c) => `The IdP’s discovery document no longer names ${issuer} as its issuer: ${c.message}`,
    'Draft a new version with the issuer the IdP now publishes, or ask the IdP’s owner.',
    issuer,
  );
  fact(
    'id_token_signing_alg',
    'alg_not_advertised',
    () =>
      `The IdP no longer advertises ${String(v.content.idpIdTokenSignedResponseAlg ?? 'RS256')}, the ID token algorithm of version ${v.number}.`,
    'Draft a new version with an algorithm the IdP advertises.',
    v.content.idpIdTokenSignedResponseAlg ?? 'RS256',
  );
  fact(
    'token_endpoint_auth_method',
    'auth_method_not_advertised',
    () =>
      `The IdP no longer advertises ${String(v.content.idpTokenEndpointAuthMethod ?? 'client_secret_basic')}, the token endpoint auth method of version ${v.number}.`,
    'Draft a new version with an auth method the IdP advertises.',
    v.content.idpTokenEndpointAuthMethod ?? 'client_secret_basic',
  );
  const jwks = checkOf(r, 'jwks');
  if (jwks?.status === 'fail')
    see(
      'jwks_unusable',
      'critical',
      `The IdP’s JWKS has no key for the version’s algorithm: ${jwks.message}`,
      'Ask the IdP’s owner, or draft a new version with an algorithm the JWKS has keys for.',
      { message: jwks.message, details: jwks.details ?? null },
    );

  // Against the stored evidence of the version's newest validation report.
  const stored = v.discovery;
  if (stored?.metadata && r.metadata) {
    const endpoints = metadataChanges(stored.metadata, r.metadata, ENDPOINT_FIELDS);
    if (endpoints.length > 0) {
      see(
        'endpoints_changed',
        'warning',
        `The IdP’s ${endpoints.map((e) => e.field).join(', ')} changed since version ${v.number} was validated.`,
        'Check the change with the IdP’s owner, then validate the version again to record the new endpoints.',
        { changes: endpoints, validatedAt: stored.checkedAt },
      );
    } else if (
      stored.evidence &&
      r.evidence &&
      stored.evidence.documentSha256 !== r.evidence.documentSha256
    ) {
      const fields = Object.keys({ ...stored.metadata, ...r.metadata });
      see(
        'document_changed',
        'info',
        `The IdP’s discovery document changed since version ${v.number} was validated.`,
        'Review the changes; validate the version again to record the new document.',
        {
          expected: { documentSha256: stored.evidence.documentSha256 },
          seen: { documentSha256: r.evidence.documentSha256 },
          changes: metadataChanges(stored.metadata, r.metadata, fields),
          validatedAt: stored.checkedAt,
        },
      );
    }
  }
  const before = stored?.evidence?.jwksKeyIds ?? [];
  const keys = r.evidence?.jwksKeyIds ?? [];
  if (before.length > 0 && keys.length > 0 && [...before].sort().join() !== [...keys].sort().join()) {
    see(
      'signing_keys_rotated',
      'info',
      `The IdP rotated its signing keys since version ${v.number} was validated (expected, but recorded).`,
      'Nothing is needed if sign-ins work; validate the version again to record the new key ids.',
      {
        expected: before,
        seen: keys,
        added: keys.filter((k) => !before.includes(k)),
        removed: before.filter((k) => !keys.includes(k)),
        validatedAt: stored?.checkedAt ?? null,
      },
    );
  }
  return obs;
}

/**
 * The findings of one round of one issuer, per org. When the IdP could not be read, only the
 * reachability kinds are decided (the others cannot be judged without a document).
 */
export function judgeIssuer(
  issuer: string,
  versions: readonly WatchedVersion[],
  reports: readonly DiscoveryReport[],
  history: IssuerHistory,
  now: Date,
): Map<string, OrgCheck[]> {
  const unreadable = reports.some((r) => reachFailure(r) !== undefined);
  const scope: CheckScope = unreadable
    ? { kinds: ['idp_unreachable', 'idp_blocked_by_policy'], subjects: [issuer] }
    : { kinds: DISCOVERY_KINDS, subjects: [issuer] };
  const byOrg = new Map<string, { tenantId: string; observations: Map<string, Observation> }>();
  versions.forEach((v, i) => {
    const r = reports[i];
    if (!r) return;
    const org = byOrg.get(v.orgId) ?? { tenantId: v.tenantId, observations: new Map() };
    byOrg.set(v.orgId, org);
    // The desired version speaks first for the org (versions come desired-first per org).
    for (const o of judgeVersion(issuer, v, r, history, now)) {
      if (!org.observations.has(o.kind)) org.observations.set(o.kind, o);
    }
  });
  const byTenant = new Map<string, OrgCheck[]>();
  for (const [orgId, org] of byOrg) {
    const list = byTenant.get(org.tenantId) ?? [];
    list.push({ orgId, scope, observations: [...org.observations.values()] });
    byTenant.set(org.tenantId, list);
  }
  return byTenant;
}
