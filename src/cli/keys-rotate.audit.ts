/** The audit action of key rotation (recorded by this command line tool; see modules/audit/audit-actions.ts). */
import type { Created } from '../modules/audit/audit-actions.js';
import type { RotationReport } from '../modules/secrets/rotation.js';

declare module '../modules/audit/audit-actions.js' {
  interface AuditActions {
    /** The platform's event names the counts; each affected tenant's, its own keys re-wrapped. */
    'keys.rotated': {
      target: 'keyring';
      diff: Created<
        Omit<RotationReport, 'byTenant'> | { readonly activeKeyId: string; readonly rewrappedKeys: number }
      >;
    };
  }
}
