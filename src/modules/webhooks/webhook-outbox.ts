/**
 * The webhooks' outbox: given to the change runner (audit/audited-change.ts), it sees every change's
 * audit records before the change commits and writes their webhook events, with one delivery (and
 * one job) per endpoint that wants each, in the change's own transaction — one statement per change,
 * none when no record of the change is an event. After the commit it wakes this process's delivery
 * worker, so that a delivery does not wait for the next poll.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Tx } from '../../db/client.js';
import type { AuditRecord } from '../audit/audit-event.js';
import type { ChangeOutbox } from '../audit/audited-change.js';
import { eventsOf, type WebhookEventDraft } from './webhook-events.js';
import { type OutboxEvent, webhooksRepository as repo } from './webhooks.repository.js';

/** The payload's `data`, before the outbox statement adds `org` and `summary`. */
export function dataOf(e: WebhookEventDraft): Record<string, unknown> {
  return { tenant: { id: e.tenantId }, resource: e.resource, ...e.details };
}

/** An event as the outbox statement takes it, with a new id. */
export const outboxEventOf = (e: WebhookEventDraft): OutboxEvent => ({
  id: uuidv7(),
  tenantId: e.tenantId,
  orgId: e.orgId,
  type: e.type,
  data: dataOf(e),
  summary: e.summary,
});

export function createWebhookOutbox(deps: { readonly onEnqueued?: () => void }): ChangeOutbox {
  return async (tx: Tx, records: readonly AuditRecord[]) => {
    const drafts = eventsOf(records);
    if (drafts.length === 0) return undefined;
    const deliveries = await repo.enqueue(tx, drafts.map(outboxEventOf));
    return deliveries > 0 ? deps.onEnqueued : undefined;
  };
}
