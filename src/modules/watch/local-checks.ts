/**
 * The watch's checks that need no network call (issue 17): the SAML certificate and the OIDC client
 * secret of each desired or applied version running out (90, 30 and 7 days ahead for a certificate;
 * 30 and 7 for a secret; expired is critical), and delivery (an approved version not applied after
 * a while, or a deployment that failed for good). Pure: the clock is a parameter.
 */
import { X509Certificate } from 'node:crypto';
import { LOCAL_KINDS, type Observation, type Severity } from '../findings/finding-kinds.js';
import type { OrgCheck } from '../findings/findings.service.js';
import type { OrgDelivery, WatchedVersion } from './watched-versions.repository.js';

const DAY_MS = 86_400_000;

interface Stage {
  readonly stage: string;
  readonly severity: Severity;
}

/** The stage of a date `notAfter` seen at `now`, with thresholds in days (descending), or null when far. */
export function expiryStage(notAfter: Date, now: Date, thresholds: readonly number[]): Stage | null {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return { stage: 'expired', severity: 'critical' };
  const days = left / DAY_MS;
  const crossed = [...thresholds].sort((a, b) => a - b).find((t) => days <= t);
  if (crossed === undefined) return null;
  return { stage: `${crossed}d`, severity: crossed > 30 ? 'info' : 'warning' };
}

const inDays = (notAfter: Date, now: Date) => {
  const days = Math.ceil((notAfter.getTime() - now.getTime()) / DAY_MS);
  return `in ${days} day${days === 1 ? '' : 's'}`;
};

function certificateOf(content: Readonly<Record<string, unknown>>): X509Certificate | null {
  const text = content.idpCertificate;
  if (typeof text !== 'string') return null;
  try {
    return new X509Certificate(Buffer.from(text.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
  } catch {
    return null;
  }
}

function versionObservations(v: WatchedVersion, now: Date): Observation[] {
  const out: Observation[] = [];
  const versions = { version: v.number, roles: v.roles };
  if (v.kind === 'saml') {
    const cert = certificateOf(v.content);
    if (cert) {
      const notAfter = new Date(cert.validTo);
      const stage = expiryStage(notAfter, now, [90, 30, 7]);
      if (stage) {
        const expired = stage.stage === 'expired';
        out.push({
          kind: 'saml_certificate_expiry',
          subject: `certificate:${cert.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
          severity: stage.severity,
          summary: expired
            ? `The IdP’s SAML signing certificate of version ${v.number} expired on ${notAfter.toISOString()}: sign-ins fail.`
            : `The IdP’s SAML signing certificate of version ${v.number} expires on ${notAfter.toISOString()}, ${inDays(notAfter, now)}.`,
          action: 'Get the IdP’s new certificate and draft a new version with it.',
          evidence: {
            ...versions,
            stage: stage.stage,
            notAfter: notAfter.toISOString(),
            subjectName: cert.subject.replace(/\n/g, ', '),
            sha256: cert.fingerprint256,
            seenAt: now.toISOString(),
          },
        });
      }
    }
  }
  if (v.kind === 'oidc' && v.clientSecretExpiresAt && v.clientSecretChangedIn !== null) {
    const notAfter = v.clientSecretExpiresAt;
    const stage = expiryStage(notAfter, now, [30, 7]);
    if (stage) {
      const expired = stage.stage === 'expired';
      out.push({
        kind: 'client_secret_expiry',
        // The secret is named by the version that set it, never by anything derived from it.
        subject: `client-secret-of-v${v.clientSecretChangedIn}`,
        severity: stage.severity,
        summary: expired
          ? `The OIDC client secret of version ${v.number} (set in version ${v.clientSecretChangedIn}) expired on ${notAfter.toISOString()}: sign-ins fail.`
          : `The OIDC client secret of version ${v.number} (set in version ${v.clientSecretChangedIn}) expires on ${notAfter.toISOString()}, ${inDays(notAfter, now)}.`,
        action:
          'Create a new client secret at the IdP and draft a new version with it (and its expiry date).',
        evidence: {
          ...versions,
          stage: stage.stage,
          expiresAt: notAfter.toISOString(),
          setInVersion: v.clientSecretChangedIn,
          seenAt: now.toISOString(),
        },
      });
    }
  }
  return out;
}

function deliveryObservations(d: OrgDelivery, now: Date, stuckAfterMs: number): Observation[] {
  if (d.desiredNumber === null || d.appliedNumber === d.desiredNumber) return [];
  const subject = `v${d.desiredNumber}`;
  const evidence = {
    expected: { applied: d.desiredNumber },
    seen: { applied: d.appliedNumber, deployment: d.deploymentId, state: d.deploymentState },
    approvedAt: d.desiredApprovedAt?.toISOString() ?? null,
    seenAt: now.toISOString(),
  };
  if (d.deploymentState === 'failed') {
    const detail =
      typeof d.deploymentError?.detail === 'string' ? ` (${d.deploymentError.detail.slice(0, 200)})` : '';
    return [
      {
        kind: 'delivery_failed',
        subject,
        severity: 'critical',
        summary: `Version ${d.desiredNumber} was approved but its deployment to Cognigy failed for good${detail}; Cognigy still runs ${d.appliedNumber === null ? 'no version of ours' : `version ${d.appliedNumber}`}.`,
        action:
          'Read the deployment’s attempts, fix the cause (Cognigy target, API key), then retry the deployment.',
        evidence: {
          ...evidence,
          error: d.deploymentError ?? null,
          failedAt: d.deploymentFinishedAt?.toISOString() ?? null,
        },
      },
    ];
  }
  if (d.desiredApprovedAt && now.getTime() - d.desiredApprovedAt.getTime() >= stuckAfterMs) {
    const minutes = Math.round((now.getTime() - d.desiredApprovedAt.getTime()) / 60_000);
    return [
      {
        kind: 'delivery_stuck',
        subject,
        severity: 'warning',
        summary: `Version ${d.desiredNumber} was approved ${minutes} minutes ago and is not applied at Cognigy yet.`,
        action:
          'Look at the org’s deployments: a Cognigy installation that keeps answering errors or timing out holds the version back.',
        evidence,
      },
    ];
  }
  return [];
}

/** The local findings of a tenant's orgs: every org in `orgIds` gets a check (so fixed ones resolve). */
export function localChecks(
  orgIds: readonly string[],
  versions: readonly WatchedVersion[],
  deliveries: readonly OrgDelivery[],
  now: Date,
  stuckAfterMs: number,
): OrgCheck[] {
  const versionsOf = new Map<string, WatchedVersion[]>();
  for (const v of versions) versionsOf.set(v.orgId, [...(versionsOf.get(v.orgId) ?? []), v]);
  const deliveryOf = new Map(deliveries.map((d) => [d.orgId, d]));
  return orgIds.map((orgId) => {
    const observations = new Map<string, Observation>();
    for (const v of versionsOf.get(orgId) ?? []) {
      for (const o of versionObservations(v, now)) observations.set(`${o.kind}\u0000${o.subject}`, o);
    }
    const d = deliveryOf.get(orgId);
    for (const o of d ? deliveryObservations(d, now, stuckAfterMs) : [])
      observations.set(`${o.kind}\u0000${o.subject}`, o);
    return { orgId, scope: { kinds: LOCAL_KINDS }, observations: [...observations.values()] };
  });
}
