/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { EndReason } from './sessions.repository.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'console_sign_in.succeeded': {
      target: 'console_session';
      diff: {
        readonly after: {
          readonly sessionId: string;
          readonly personId: string;
          readonly roles: readonly string[];
          readonly orgScope: readonly string[] | null;
          readonly expiresAt: string;
        };
      };
    };
    'console_sign_in.refused': {
      target: 'console_sign_in';
      diff: {
        readonly after: { readonly reason: string; readonly detail: string; readonly subject?: string };
      };
    };
    console_sign_out: {
      target: 'console_session';
      diff: { readonly after: { readonly sessionId: string; readonly personId: string } };
    };
    'console_session.ended': {
      target: 'console_session';
      diff: {
        readonly after: { readonly sessionId: string; readonly personId: string; readonly reason: EndReason };
      };
    };
  }
}
