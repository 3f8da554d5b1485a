/**
 * The two kinds of check the watch runs, each for a given set of versions: an issuer's discovery
 * (one read of its document and JWKS for every version that uses it) and the local checks of a
 * tenant's orgs. Both hand what they saw to the findings service; the rounds (watch.service.ts) and
 * "check this org now" call them.
 */
import type { Db } from '../../db/client.js';
import type { DiscoveryValidator } from '../discovery/discovery-validator.js';
import type { IdTokenAlg, TokenEndpointAuthMethod } from '../discovery/oidc-options.js';
import { DISCOVERY_KINDS, LOCAL_KINDS, type Observation } from '../findings/finding-kinds.js';
import type { FindingsService, OrgCheck, RecordOutcome } from '../findings/findings.service.js';
import { judgeIssuer, reachFailure } from './issuer-drift.js';
import { localChecks } from './local-checks.js';
import type { WatchMetrics } from './watch-metrics.js';
import { watchSettingsRepository as settings } from './watch-settings.repository.js';
import { watchedIssuersRepository as issuers, nextHistory } from './watched-issuers.repository.js';
import { type WatchedVersion, watchedVersionsRepository as watched } from './watched-versions.repository.js';

export interface WatchCheckDeps {
  readonly db: Db;
  readonly discovery: Pick<DiscoveryValidator, 'checkEach'>;
  readonly findings: Pick<FindingsService, 'record'>;
  readonly metrics?: WatchMetrics;
  /** An approved version not applied after this long is "stuck". */
  readonly stuckAfterMs: number;
  /** The opt-in credential probe runs at most once per org per this many seconds. */
  readonly probeIntervalSeconds: number;
  /** The version's client secret, in plain text, for one probe (null when it has none). */
  readonly openClientSecret: (versionId: string) => Promise<string | null>;
}

export const issuerOf = (v: WatchedVersion): string | null =>
  v.kind === 'oidc' && typeof v.content.idpIssuer === 'string' ? v.content.idpIssuer : null;

/** What discovery checks of a version: its issuer, algorithm, auth method and extra scopes. */
const inputOf = (issuer: string, v: WatchedVersion) => ({
  issuer,
  idTokenSignedResponseAlg: (v.content.idpIdTokenSignedResponseAlg as IdTokenAlg | undefined) ?? 'RS256',
  tokenEndpointAuthMethod:
    (v.content.idpTokenEndpointAuthMethod as TokenEndpointAuthMethod | undefined) ?? 'client_secret_basic',
  ...(typeof v.content.idpAdditionalScope === 'string'
    ? { additionalScope: v.content.idpAdditionalScope }
    : {}),
});

const add = (a: RecordOutcome, b: RecordOutcome): RecordOutcome => ({
  opened: a.opened + b.opened,
  changed: a.changed + b.changed,
  resolved: a.resolved + b.resolved,
  seen: a.seen + b.seen,
});
const NONE: RecordOutcome = { opened: 0, changed: 0, resolved: 0, seen: 0 };

export function createWatchChecks(deps: WatchCheckDeps) {
  const { db, discovery, findings, metrics } = deps;

  async function recordByTenant(byTenant: Map<string, OrgCheck[]>, now: Date): Promise<RecordOutcome> {
    let total = NONE;
    for (const [tenantId, checks] of byTenant)
      total = add(total, await findings.record(tenantId, checks, now));
    return total;
  }

  /**
   * The credential probe of the orgs that turned it on and are due: a token request with the desired
   * version's client id and secret. `invalid_client` (401) opens `credential_rejected`; an answer
   * that proves them accepted resolves it; anything inconclusive decides nothing.
   */
  async function probe(
    issuer: string,
    versions: readonly WatchedVersion[],
    byTenant: Map<string, OrgCheck[]>,
    now: Date,
  ) {
    const desired = versions.filter(
      (v) => v.roles.includes('desired') && typeof v.content.idpClientId === 'string',
    );
    const due = new Set(
      await settings.claimDueProbes(db, [...new Set(desired.map((v) => v.orgId))], deps.probeIntervalSeconds),
    );
    for (const v of desired.filter((x) => due.has(x.orgId))) {
      const secret = await deps.openClientSecret(v.versionId);
      if (secret === null) continue;
      const [report] = await discovery.checkEach([
        { ...inputOf(issuer, v), probe: { clientId: v.content.idpClientId as string, clientSecret: secret } },
      ]);
      const result = report?.checks.find((c) => c.name === 'credential_probe');
      if (!result || (result.status !== 'fail' && result.status !== 'pass')) continue;
      const observations: Observation[] =
        result.status === 'fail'
          ? [
              {
                kind: 'credential_rejected',
                subject: issuer,
                severity: 'critical',
                summary: `The IdP ${issuer} no longer accepts the client id and secret of version ${v.number}: sign-ins fail.`,
                action: 'Create a new client secret at the IdP and draft a new version with it.',
                evidence: {
                  version: v.number,
                  clientId: v.content.idpClientId,
                  message: result.message,
                  seenAt: now.toISOString(),
                },
              },
            ]
          : [];
      const list = byTenant.get(v.tenantId) ?? [];
      list.push({
        orgId: v.orgId,
        scope: { kinds: ['credential_rejected'], subjects: [issuer] },
        observations,
      });
      byTenant.set(v.tenantId, list);
    }
  }

  return {
    /**
     * Checks one issuer for `versions` (all of them on that issuer) in round `round`; the issuer's
     * history is saved through `save` (the caller's transaction, with its job).
     */
    async issuer(
      issuer: string,
      versions: readonly WatchedVersion[],
      round: string,
      now = new Date(),
    ): Promise<{ outcome: RecordOutcome; save: (on: Db) => Promise<void> }> {
      // The desired version first: it speaks for the org when two versions see the same problem.
      const ordered = [...versions].sort(
        (a, b) =>
          a.orgId.localeCompare(b.orgId) ||
          Number(b.roles.includes('desired')) - Number(a.roles.includes('desired')),
      );
      const reports = await discovery.checkEach(ordered.map((v) => inputOf(issuer, v)));
      const unreadable = reports.some((r) => reachFailure(r) !== undefined);
      const refused = reports.some((r) =>
        r.checks.some((c) => c.name === 'network_policy' && c.status === 'fail'),
      );
      metrics?.issuerChecked(refused ? 'refused' : unreadable ? 'unreadable' : 'ok');
      const history = nextHistory(await issuers.find(db, issuer), round, unreadable, now);
      const byTenant = judgeIssuer(issuer, ordered, reports, history, now);
      if (!unreadable) await probe(issuer, ordered, byTenant, now);
      const outcome = await recordByTenant(byTenant, now);
      const summary = { unreadable, refused, versions: ordered.length, at: now.toISOString() };
      return { outcome, save: (on) => issuers.save(on, issuer, history, summary) };
    },

    /**
     * The local checks of a tenant's active orgs (or of `orgIds`), and the resolution of findings
     * that no longer apply: an issuer an org no longer uses, an org archived since.
     */
    async local(tenantId: string, orgIds?: readonly string[], now = new Date()): Promise<RecordOutcome> {
      const scope = { tenantId, ...(orgIds ? { orgIds } : {}) };
      const [versions, deliveries, withFindings] = await Promise.all([
        watched.versions(db, scope),
        watched.deliveries(db, scope),
        watched.orgsWithOpenFindings(db, scope),
      ]);
      const active = new Set([...versions.map((v) => v.orgId), ...deliveries.map((d) => d.orgId)]);
      const checks = localChecks([...active], versions, deliveries, now, deps.stuckAfterMs);
      const issuersOf = new Map<string, string[]>();
      for (const v of versions) {
        const issuer = issuerOf(v);
        if (issuer) issuersOf.set(v.orgId, [...(issuersOf.get(v.orgId) ?? []), issuer]);
      }
      for (const org of withFindings) {
        if (org.archived) {
          checks.push({
            orgId: org.orgId,
            scope: { kinds: [...DISCOVERY_KINDS, ...LOCAL_KINDS] },
            observations: [],
          });
          continue;
        }
        if (!active.has(org.orgId)) checks.push(...localChecks([org.orgId], [], [], now, deps.stuckAfterMs));
        const inUse = issuersOf.get(org.orgId) ?? [];
        checks.push({
          orgId: org.orgId,
          scope: { kinds: DISCOVERY_KINDS, exceptSubjects: inUse },
          observations: [],
        });
      }
      return findings.record(tenantId, checks, now);
    },
  };
}

export type WatchChecks = ReturnType<typeof createWatchChecks>;
