/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */

/** A deployment as its events record it: its state and version, and what explains the change. */
export interface DeploymentSnapshot {
  readonly state: 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'superseded';
  readonly version: number;
  readonly contentHash?: string;
  /** Calls made, counting the one that settled it. */
  readonly attempts?: number;
  readonly httpStatus?: number;
  readonly traceId?: string;
  readonly error?: Readonly<Record<string, unknown>>;
  /** The version whose deployment replaced this one. */
  readonly supersededBy?: number;
  readonly reason?: string;
  readonly leaseOwner?: string | null;
}

/** A deployment's change of state: before (absent when the event alone explains it) and after. */
export interface DeploymentChange {
  readonly before?: DeploymentSnapshot;
  readonly after: DeploymentSnapshot;
}

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'deployment.enqueued': { target: 'deployment'; diff: Omit<DeploymentChange, 'before'> };
    'deployment.succeeded': { target: 'deployment'; diff: DeploymentChange };
    'deployment.failed': { target: 'deployment'; diff: DeploymentChange };
    'deployment.superseded': { target: 'deployment'; diff: DeploymentChange };
    'deployment.retried': { target: 'deployment'; diff: Required<DeploymentChange> };
  }
}
