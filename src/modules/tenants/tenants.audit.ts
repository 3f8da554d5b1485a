/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Changes, Created } from '../audit/audit-actions.js';
import type { TenantView } from './tenants.schemas.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'tenant.created': { target: 'tenant'; diff: Created<TenantView> };
    'tenant.updated': { target: 'tenant'; diff: Changes<TenantView> };
  }
}
