/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Created } from '../audit/audit-actions.js';
import type { ApiKeyView } from './api-keys.schemas.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'api_key.created': { target: 'api_key'; diff: Created<ApiKeyView> };
    'api_key.revoked': {
      target: 'api_key';
      diff: { readonly before: { readonly revokedAt: null }; readonly after: Pick<ApiKeyView, 'revokedAt'> };
    };
  }
}
