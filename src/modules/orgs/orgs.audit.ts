/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Changes, Created } from '../audit/audit-actions.js';
import type { OrgView } from './orgs.schemas.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'org.created': { target: 'org'; diff: Created<OrgView> };
    'org.updated': { target: 'org'; diff: Changes<OrgView> };
    'org.archived': { target: 'org'; diff: Changes<OrgView> };
    'org.secrets_shredded': {
      target: 'org';
      diff: {
        readonly before: { readonly dataKey: 'present' };
        readonly after: { readonly dataKey: 'destroyed' };
      };
    };
    'cognigy_target.updated': { target: 'cognigy_target'; diff: Changes<Pick<OrgView, 'cognigy'>> };
  }
}
