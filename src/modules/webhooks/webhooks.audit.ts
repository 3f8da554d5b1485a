/** This module's audit actions: their targets and diffs (see audit/audit-actions.ts). */
import type { Changes, Created } from '../audit/audit-actions.js';
import type { WebhookView } from './webhooks.schemas.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    'webhook.created': { target: 'webhook'; diff: Created<WebhookView> };
    'webhook.updated': { target: 'webhook'; diff: Changes<WebhookView> };
    'webhook.secret_rotated': {
      target: 'webhook';
      diff: {
        readonly before: { readonly fingerprint: string };
        readonly after: { readonly fingerprint: string; readonly previousExpiresAt: string };
      };
    };
    'webhook.deleted': { target: 'webhook'; diff: { readonly before: WebhookView } };
    'webhook.disabled': {
      target: 'webhook';
      diff: {
        readonly before: { readonly enabled: true };
        readonly after: { readonly enabled: false; readonly url: string; readonly disabledReason: string };
      };
    };
    'webhook.test_sent': {
      target: 'webhook';
      diff: { readonly after: { readonly eventId: string; readonly deliveryId: string } };
    };
    'webhook.redelivered': {
      target: 'webhook';
      diff: {
        readonly after: { readonly eventId: string; readonly deliveryId: string; readonly of: string };
      };
    };
  }
}
