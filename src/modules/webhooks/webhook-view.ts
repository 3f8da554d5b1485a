/** An endpoint as the API and the audit trail show it, and where its signing secrets are sealed. */
import type { TenantSecretLocation } from '../secrets/secrets.service.js';
import type { WebhookEventType } from './webhook-events.js';
import type { AttemptRow, DeliveryRow, EndpointRow } from './webhooks.repository.js';
import type { DeliveryView, WebhookView } from './webhooks.schemas.js';

/** The sealed signing secret (current, or the one before the last rotation) of an endpoint. */
export const secretLocation = (
  tenantId: string,
  endpointId: string,
  which: 'current' | 'previous',
): TenantSecretLocation => ({
  tenantId,
  record: `webhook_endpoints/${endpointId}`,
  field: which === 'current' ? 'signing_secret' : 'previous_signing_secret',
});

export function toWebhookView(row: EndpointRow, now = new Date()): WebhookView {
  const previousLive = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes as WebhookEventType[],
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    failingSince: row.failingSince?.toISOString() ?? null,
    secret: {
      fingerprint: row.secretFingerprint,
      previousFingerprint: previousLive ? row.previousSecretFingerprint : null,
      previousExpiresAt: previousLive ? (row.previousSecretExpiresAt?.toISOString() ?? null) : null,
    },
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toDeliveryView(row: DeliveryRow, attempts: readonly AttemptRow[]): DeliveryView {
  const last = attempts.at(-1);
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    state: row.state as DeliveryView['state'],
    attempts: attempts.map((a) => ({
      number: a.number,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      outcome: a.outcome as DeliveryView['attempts'][number]['outcome'],
      httpStatus: a.httpStatus,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
      nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
    })),
    httpStatus: last?.httpStatus ?? null,
    durationMs: last?.durationMs ?? null,
    error: row.lastError,
    nextAttemptAt: row.state === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
