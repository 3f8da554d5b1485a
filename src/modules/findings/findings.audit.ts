/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */

/** A finding as its events record it (the evidence never holds a secret). */
export interface FindingSnapshot {
  readonly kind: string;
  readonly subject: string;
  readonly severity: string;
  readonly state: 'open' | 'resolved';
  readonly summary: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
  readonly reason?: string;
}

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'finding.opened': { target: 'finding'; diff: { readonly after: FindingSnapshot } };
    'finding.changed': {
      target: 'finding';
      diff: { readonly before: FindingSnapshot; readonly after: FindingSnapshot };
    };
    'finding.resolved': {
      target: 'finding';
      diff: { readonly before: FindingSnapshot; readonly after: FindingSnapshot };
    };
  }
}
