/**
 * The watch's local checks, pure: expiry stages (thresholds 90/30/7 for certificates, 30/7 for
 * secrets, expired critical) as properties, the two-round rule of an issuer's history, and the
 * delivery findings.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expiryStage, localChecks } from '../../../src/modules/watch/local-checks.js';
import { nextHistory } from '../../../src/modules/watch/watched-issuers.repository.js';
import type { OrgDelivery, WatchedVersion } from '../../../src/modules/watch/watched-versions.repository.js';
import { certificateExpiringIn } from './watch-support.js';

const DAY = 86_400_000;
const now = new Date('2026-12-05T12:00:00.000Z');

describe('expiry stages', () => {
  test('certificates: none beyond 90 days, info to 30, warning to 0, critical once expired', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400 * DAY, max: 400 * DAY }), (left) => {
        const stage = expiryStage(new Date(now.getTime() + left), now, [90, 30, 7]);
        const expected =
          left <= 0
            ? { stage: 'expired', severity: 'critical' }
            : left > 90 * DAY
              ? null
              : left > 30 * DAY
                ? { stage: '90d', severity: 'info' }
                : left > 7 * DAY
                  ? { stage: '30d', severity: 'warning' }
                  : { stage: '7d', severity: 'warning' };
        expect(stage).toEqual(expected);
      }),
    );
  });

  test('a later moment is never a less severe stage', () => {
    const rank = (s: ReturnType<typeof expiryStage>) =>
      s === null ? 0 : ({ '90d': 1, '30d': 2, '7d': 3, expired: 4 }[s.stage] ?? 0);
    fc.assert(
      fc.property(
        fc.integer({ min: -100 * DAY, max: 200 * DAY }),
        fc.integer({ min: 0, max: 300 * DAY }),
        (left, later) => {
          const notAfter = new Date(now.getTime() + left);
          const a = expiryStage(notAfter, now, [90, 30, 7]);
          const b = expiryStage(notAfter, new Date(now.getTime() + later), [90, 30, 7]);
          expect(rank(b)).toBeGreaterThanOrEqual(rank(a));
        },
      ),
    );
  });
});

describe('two failing rounds before unreachable', () => {
  test('a streak counts rounds, not runs of the same round, and a success ends it', () => {
    const t0 = new Date('2026-12-05T00:00:00.000Z');
    const t1 = new Date('2026-12-05T06:00:00.000Z');
    const first = nextHistory(undefined, 'r1', true, t0);
    expect(first).toEqual({ failingRounds: 1, failingSince: t0, lastRound: 'r1' });
    // the same round again (resumed after a crash): no second count
    expect(nextHistory(first, 'r1', true, t1)).toEqual(first);
    const second = nextHistory(first, 'r2', true, t1);
    expect(second).toEqual({ failingRounds: 2, failingSince: t0, lastRound: 'r2' });
    expect(nextHistory(second, 'r3', false, t1)).toEqual({
      failingRounds: 0,
      failingSince: null,
      lastRound: 'r3',
    });
    expect(nextHistory(nextHistory(second, 'r3', false, t1), 'r4', true, t1)).toMatchObject({
      failingRounds: 1,
      failingSince: t1,
    });
  });
});

const version = (over: Partial<WatchedVersion>): WatchedVersion => ({
  tenantId: 't',
  orgId: 'o1',
  versionId: 'v',
  number: 3,
  kind: 'oidc',
  content: {},
  clientSecretExpiresAt: null,
  clientSecretChangedIn: null,
  roles: ['desired', 'applied'],
  discovery: null,
  ...over,
});

const delivery = (over: Partial<OrgDelivery>): OrgDelivery => ({
  orgId: 'o1',
  desiredNumber: 3,
  desiredApprovedAt: new Date(now.getTime() - 10 * 60_000),
  appliedNumber: 3,
  deploymentState: 'succeeded',
  deploymentId: 'd',
  deploymentFinishedAt: now,
  deploymentError: null,
  ...over,
});

describe('local findings of an org', () => {
  const run = (versions: WatchedVersion[], deliveries: OrgDelivery[] = []) =>
    localChecks(['o1'], versions, deliveries, now, 3_600_000)[0]?.observations ?? [];

  test('a SAML certificate 20 days from expiry is a warning named by its fingerprint', () => {
    const [o] = run([version({ kind: 'saml', content: { idpCertificate: certificateExpiringIn(20) } })]);
    expect(o).toMatchObject({
      kind: 'saml_certificate_expiry',
      severity: 'warning',
      evidence: { stage: '30d', version: 3 },
    });
    expect(o?.subject).toMatch(/^certificate:[0-9a-f]{16}$/);
  });

  test('a client secret: by the version that set it; 10 days warning, past critical, 60 days nothing', () => {
    const at = (days: number) =>
      run([
        version({ clientSecretChangedIn: 2, clientSecretExpiresAt: new Date(now.getTime() + days * DAY) }),
      ]);
    expect(at(10)).toMatchObject([
      { kind: 'client_secret_expiry', subject: 'client-secret-of-v2', severity: 'warning' },
    ]);
    expect(at(-1)).toMatchObject([
      { kind: 'client_secret_expiry', severity: 'critical', evidence: { stage: 'expired' } },
    ]);
    expect(at(60)).toEqual([]);
  });

  test('delivery: applied is fine; not applied after the stuck time is a warning; failed is critical', () => {
    expect(run([], [delivery({})])).toEqual([]);
    expect(run([], [delivery({ appliedNumber: 2, deploymentState: 'pending' })])).toEqual([]);
    const stuck = run(
      [],
      [
        delivery({
          appliedNumber: 2,
          deploymentState: 'pending',
          desiredApprovedAt: new Date(now.getTime() - 2 * 3_600_000),
        }),
      ],
    );
    expect(stuck).toMatchObject([{ kind: 'delivery_stuck', subject: 'v3', severity: 'warning' }]);
    const failed = run(
      [],
      [
        delivery({
          appliedNumber: 2,
          deploymentState: 'failed',
          deploymentError: { detail: 'Unauthorized' },
        }),
      ],
    );
    expect(failed).toMatchObject([{ kind: 'delivery_failed', subject: 'v3', severity: 'critical' }]);
    expect(failed[0]?.summary).toContain('Unauthorized');
  });

  test('every org given gets a check of the local kinds (so fixed ones resolve)', () => {
    const checks = localChecks(['o1', 'o2'], [], [], now, 1);
    expect(checks.map((c) => [c.orgId, c.observations.length, c.scope.kinds.length])).toEqual([
      ['o1', 0, 4],
      ['o2', 0, 4],
    ]);
  });
});
