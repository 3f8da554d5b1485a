/**
 * The deployment events' builders write what the approval hooks and a retry wrote before they
 * existed, key for key: an event's hash covers its diff, so the stored JSON must not change.
 */
import { describe, expect, test } from 'vitest';
import { canonicalJson } from '../../../src/lib/canonical-json.js';
import type { AuditEntry } from '../../../src/modules/audit/audit-event.js';
import { deploymentAudit, deploymentEvent } from '../../../src/modules/forwarding/deployment-audit.js';

const approved = { id: 'v-7', tenantId: 't-1', orgId: 'o-1', number: 7, contentHash: 'c'.repeat(64) };

/** The entry as the audit service stores it: JSON, its diff in canonical form (what the hash covers). */
const stored = (entry: AuditEntry) => ({
  ...JSON.parse(JSON.stringify(entry)),
  diff: canonicalJson(entry.diff),
});

describe('deployment audit events', () => {
  test('enqueued: the new pending deployment of the approved version', () => {
    expect(stored(deploymentAudit.enqueued('d-2', approved))).toEqual(
      stored({
        tenantId: 't-1',
        action: 'deployment.enqueued',
        target: { type: 'deployment', id: 'd-2' },
        orgId: 'o-1',
        diff: { after: { state: 'pending', version: 7, contentHash: 'c'.repeat(64) } },
      }),
    );
  });

  test('superseded by a newer approval: before pending, after superseded by its version', () => {
    expect(stored(deploymentAudit.supersededByApproval({ id: 'd-1', versionNumber: 5 }, approved))).toEqual(
      stored({
        tenantId: 't-1',
        action: 'deployment.superseded',
        target: { type: 'deployment', id: 'd-1' },
        orgId: 'o-1',
        diff: {
          before: { state: 'pending', version: 5 },
          after: { state: 'superseded', version: 5, supersededBy: 7 },
        },
      }),
    );
  });

  test('retried: from failed with its attempts to pending', () => {
    const row = { id: 'd-3', tenantId: 't-1', orgId: 'o-1', versionNumber: 6, attempts: 4, state: 'failed' };
    expect(stored(deploymentAudit.retried(row))).toEqual(
      stored({
        tenantId: 't-1',
        action: 'deployment.retried',
        target: { type: 'deployment', id: 'd-3' },
        orgId: 'o-1',
        diff: {
          before: { state: 'failed', version: 6, attempts: 4 },
          after: { state: 'pending', version: 6 },
        },
      }),
    );
  });

  test("every event names the deployment's tenant, the deployment and its org, and nothing else", () => {
    const row = { id: 'd-4', tenantId: 't-2', orgId: 'o-2', versionNumber: 1, leaseOwner: 'w' };
    expect(deploymentEvent(row)).toEqual({
      tenantId: 't-2',
      target: { type: 'deployment', id: 'd-4' },
      orgId: 'o-2',
    });
  });

  test('a diff that does not fit its action does not compile', () => {
    // @ts-expect-error: a retry records the state before it
    const retryWithoutBefore: AuditEntry = {
      ...deploymentEvent(approved),
      action: 'deployment.retried',
      diff: { after: { state: 'pending', version: 7 } },
    };
    // @ts-expect-error: an org's event is about the org, not a deployment
    const orgEventOfDeployment: AuditEntry = {
      ...deploymentEvent(approved),
      action: 'org.secrets_shredded',
      diff: { before: { dataKey: 'present' }, after: { dataKey: 'destroyed' } },
    };
    const entries = [retryWithoutBefore, orgEventOfDeployment];
    // Forced through, they are still written as given: the types are the only guard.
    expect(entries.map((e) => e.action)).toEqual(['deployment.retried', 'org.secrets_shredded']);
  });
});
