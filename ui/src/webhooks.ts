/** What the webhooks page decides without rendering (unit-tested in test/ui/webhooks.test.ts). */
import type { DeliveryView, WebhookView } from './types.js';

/** Only admins change endpoints; auditors read them. */
export const mayManageWebhooks = (roles: readonly string[]) => roles.includes('admin');
export const mayReadWebhooks = (roles: readonly string[]) =>
  roles.includes('admin') || roles.includes('auditor');

/** An endpoint's state in words (the colour of its badge only repeats it). */
export function endpointState(w: Pick<WebhookView, 'enabled' | 'disabledReason' | 'failingSince'>): {
  status: string;
  label: string;
} {
  if (!w.enabled) return { status: 'fail', label: w.disabledReason ? 'disabled by the service' : 'disabled' };
  if (w.failingSince) return { status: 'warn', label: 'failing' };
  return { status: 'pass', label: 'enabled' };
}

/** "all events" or the event types it wants. */
export const eventTypesText = (types: readonly string[]) =>
  types.length === 0 ? 'all events' : types.join(', ');

/** Why the redeliver button of a delivery is disabled, or null when it may be pressed. */
export function redeliverBlocked(
  roles: readonly string[],
  endpoint: Pick<WebhookView, 'enabled'>,
  delivery: Pick<DeliveryView, 'state'>,
): string | null {
  if (!mayManageWebhooks(roles))
    return `Sending again needs the admin role; your roles: ${roles.join(', ')}.`;
  if (!endpoint.enabled) return 'The endpoint is disabled; enable it first.';
  if (delivery.state === 'pending') return 'This delivery is still being tried.';
  return null;
}
