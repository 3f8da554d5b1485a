/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'org.watch_changed': {
      target: 'org';
      diff: {
        readonly before: { readonly credentialProbe: boolean };
        readonly after: { readonly credentialProbe: boolean };
      };
    };
  }
}

export {};
