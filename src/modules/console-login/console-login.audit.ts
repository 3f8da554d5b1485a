/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Changes } from '../audit/audit-actions.js';
import type { ConsoleLoginAuditView } from './console-login-view.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'console_login.updated': { target: 'console_login'; diff: Changes<ConsoleLoginAuditView> };
    'console_login.removed': {
      target: 'console_login';
      diff: { readonly before: ConsoleLoginAuditView; readonly after: { readonly sessionsEnded: number } };
    };
  }
}
