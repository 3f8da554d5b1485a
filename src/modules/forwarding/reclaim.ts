/**
 * Deployments whose worker died or hung mid-call (the lease ran out): each gets an attempt of unknown
 * outcome (the call may have reached Cognigy) and goes back to pending or, where a newer version
 * waits, is superseded with its audit event — the change and its events in one transaction, so a
 * crash between them leaves neither (issue 21, item 4).
 */
import type { Logger } from 'pino';
import { systemContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { deploymentEvent } from './deployment-audit.js';
import { deploymentsRepository as deployments } from './deployments.repository.js';

export interface ReclaimDeps {
  readonly change: ChangeRunner;
  readonly logger: Pick<Logger, 'warn'>;
  /** The worker that takes the deployments back (recorded with their attempts). */
  readonly worker: string;
}

export async function reclaimExpiredDeployments({ change, logger, worker }: ReclaimDeps): Promise<void> {
  const reclaimed = await change(systemContext('forwarding'), async (tx, trail) => {
    const rows = await deployments.reclaimExpired(tx, worker);
    const superseded = rows.filter((r) => r.state === 'superseded');
    if (superseded.length === 0)
      trail.unchanged(); // the attempts are the record of a retry
    else {
      await trail.recordAll(
        superseded.map((s) => ({
          ...deploymentEvent(s),
          action: 'deployment.superseded' as const,
          diff: {
            before: { state: 'in_flight', version: s.versionNumber, leaseOwner: s.leaseOwner },
            after: {
              state: 'superseded',
              version: s.versionNumber,
              reason: 'lease expired during a call of unknown outcome; a newer version is waiting',
            },
          },
        })),
      );
    }
    return rows;
  });
  if (reclaimed.length > 0) {
    logger.warn(
      {
        worker,
        deployments: reclaimed.map((r) => ({ id: r.id, leaseOwner: r.leaseOwner, state: r.state })),
      },
      'forwarding: reclaimed deployments whose lease expired (outcome of their call unknown)',
    );
  }
}
