/**
 * A tenant's webhook endpoints (issue 18): created with a signing secret shown once (sealed with the
 * tenant's data key, shown afterwards as a fingerprint), changed, rotated (the old secret keeps
 * signing for the overlap), deleted (with its deliveries), pinged, and their deliveries listed and
 * sent again. Every change is audited; a test ping or a redelivery is enqueued in its transaction.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { decodeTimeIdCursor, pageOf, timeIdCursor } from '../../lib/cursor.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { changes, created } from '../audit/diff.js';
import { requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import type { CompiledAllowlist } from '../outbound/address-policy.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { TEST_EVENT_TYPE } from './webhook-events.js';
import { newSigningSecret } from './webhook-signature.js';
import { checkEndpointUrl } from './webhook-url.js';
import { secretLocation, toDeliveryView, toWebhookView } from './webhook-view.js';
import { type EndpointRow, webhooksRepository as repo } from './webhooks.repository.js';
import type {
  CreateWebhookBody,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  UpdateWebhookBody,
} from './webhooks.schemas.js';

export interface WebhooksServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'sealTenantSecret' | 'openTenantSecret' | 'fingerprint'>;
  readonly urlPolicy: { readonly allowHttp: boolean; readonly allowlist: CompiledAllowlist };
  /** How long the secret before a rotation keeps signing. */
  readonly secretOverlapMs: number;
  /** Called after a delivery was enqueued and committed (wakes the worker). */
  readonly onEnqueued?: () => void;
  readonly now?: () => Date;
}

const notFound = () => new NotFoundError('WEBHOOK_NOT_FOUND', 'No such webhook endpoint');
const disabled = () =>
  new ConflictError(
    'WEBHOOK_DISABLED',
    'The webhook endpoint is disabled; enable it first (PATCH enabled: true)',
  );

export function createWebhooksService(deps: WebhooksServiceDeps) {
  const { db, change, secrets } = deps;
  const now = deps.now ?? (() => new Date());

  async function seal(
    tx: Tx,
    tenantId: string,
    endpointId: string,
    which: 'current' | 'previous',
    secret: string,
  ) {
    return secrets.sealTenantSecret(tx, secretLocation(tenantId, endpointId, which), secret);
  }

  async function locked(tx: Tx, principal: TenantPrincipal, id: string): Promise<EndpointRow> {
    const row = await repo.findEndpoint(tx, principal.tenantId, id.toLowerCase(), true);
    if (!row) throw notFound();
    return row;
  }

  /** A delivery of an event already written to one endpoint, enqueued in the change's transaction. */
  async function enqueueTo(tx: Tx, row: EndpointRow, eventId: string) {
    return repo.insertDelivery(tx, { tenantId: row.tenantId, endpointId: row.id, eventId });
  }

  const committed = <T>(value: T): T => {
    deps.onEnqueued?.();
    return value;
  };

  return {
    async create(ctx: ChangeContext, principal: TenantPrincipal, body: CreateWebhookBody) {
      requireUnscoped(principal);
      const url = checkEndpointUrl(body.url, deps.urlPolicy);
      const secret = newSigningSecret();
      const row = await change(ctx, async (tx, trail) => {
        const id = repo.newEndpointId();
        const inserted = await repo.insertEndpoint(tx, {
          id,
          tenantId: principal.tenantId,
          url,
          description: body.description?.trim() ?? '',
          eventTypes: body.eventTypes ?? [],
          enabled: body.enabled ?? true,
          secretSealed: await seal(tx, principal.tenantId, id, 'current', secret),
          secretFingerprint: await secrets.fingerprint(tx, principal.tenantId, secret),
          createdById: principal.keyId,
        });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.created',
          target: { type: 'webhook', id },
          diff: created(toWebhookView(inserted, now())),
        });
        return inserted;
      });
      return { row, secret };
    },

    async list(principal: TenantPrincipal, query: ListWebhooksQuery) {
      requireUnscoped(principal);
      const limit = query.limit ?? 50;
      const rows = await repo.listEndpoints(db, principal.tenantId, {
        limit: limit + 1,
        after: decodeTimeIdCursor(query.cursor),
      });
      return pageOf(rows, limit, timeIdCursor);
    },

    async get(principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      const row = await repo.findEndpoint(db, principal.tenantId, id.toLowerCase());
      if (!row) throw notFound();
      return row;
    },

    async update(ctx: ChangeContext, principal: TenantPrincipal, id: string, body: UpdateWebhookBody) {
      requireUnscoped(principal);
      const url = body.url === undefined ? undefined : checkEndpointUrl(body.url, deps.urlPolicy);
      return change(ctx, async (tx, trail) => {
        const before = await locked(tx, principal, id);
        const wanted = {
          url: url !== undefined && url !== before.url ? url : undefined,
          description:
            body.description !== undefined && body.description.trim() !== before.description
              ? body.description.trim()
              : undefined,
          eventTypes:
            body.eventTypes !== undefined && body.eventTypes.join() !== before.eventTypes.join()
              ? body.eventTypes
              : undefined,
          enabled: body.enabled !== undefined && body.enabled !== before.enabled ? body.enabled : undefined,
        };
        if (Object.values(wanted).every((v) => v === undefined)) {
          trail.unchanged();
          return before;
        }
        const after = await repo.updateEndpoint(tx, before.id, {
          ...wanted,
          // enabled again: its failures so far no longer count towards disabling it
          ...(wanted.enabled === true ? { failingSince: null, disabledReason: null } : {}),
        });
        const diff = changes(toWebhookView(before, now()), toWebhookView(after, now()));
        delete (diff.before as Record<string, unknown>).revision;
        delete (diff.after as Record<string, unknown>).revision;
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.updated',
          target: { type: 'webhook', id: before.id },
          diff,
        });
        return after;
      });
    },

    async remove(ctx: ChangeContext, principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      return change(ctx, async (tx, trail) => {
        const row = await locked(tx, principal, id);
        await repo.deleteEndpoint(tx, row.id);
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.deleted',
          target: { type: 'webhook', id: row.id },
          diff: { before: toWebhookView(row, now()) },
        });
        return row;
      });
    },

    /** A new secret; the current one keeps signing (as a second signature) for the overlap. */
    async rotate(ctx: ChangeContext, principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      const secret = newSigningSecret();
      const row = await change(ctx, async (tx, trail) => {
        const before = await locked(tx, principal, id);
        // The current secret, re-sealed as the previous one (its associated data names the field).
        const current = await sealedAsPrevious(tx, before);
        const expiresAt = new Date(now().getTime() + deps.secretOverlapMs);
        const after = await repo.updateEndpoint(tx, before.id, {
          secretSealed: await seal(tx, principal.tenantId, before.id, 'current', secret),
          secretFingerprint: await secrets.fingerprint(tx, principal.tenantId, secret),
          previousSecretSealed: current,
          previousSecretFingerprint: before.secretFingerprint,
          previousSecretExpiresAt: expiresAt,
        });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.secret_rotated',
          target: { type: 'webhook', id: before.id },
          diff: {
            before: { fingerprint: before.secretFingerprint },
            after: { fingerprint: after.secretFingerprint, previousExpiresAt: expiresAt.toISOString() },
          },
        });
        return after;
      });
      return { row, secret };
    },

    /** Sends a `webhook.test` event to this endpoint only. */
    async test(ctx: ChangeContext, principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      const sent = await change(ctx, async (tx, trail) => {
        const row = await locked(tx, principal, id);
        if (!row.enabled) throw disabled();
        const eventId = uuidv7();
        await repo.insertEvent(tx, {
          id: eventId,
          tenantId: row.tenantId,
          type: TEST_EVENT_TYPE,
          payload: {
            id: eventId,
            type: TEST_EVENT_TYPE,
            timestamp: now().toISOString(),
            data: {
              tenant: { id: row.tenantId },
              org: null,
              resource: { type: 'webhook', id: row.id, path: `/v1/webhooks/${row.id}` },
              summary: `A test of the webhook endpoint ${row.url}, sent by ${ctx.actor.name}.`,
            },
          },
        });
        const deliveryId = await enqueueTo(tx, row, eventId);
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.test_sent',
          target: { type: 'webhook', id: row.id },
          diff: { after: { eventId, deliveryId } },
        });
        return { eventId, deliveryId };
      });
      return committed(sent);
    },

    async deliveries(principal: TenantPrincipal, id: string, query: ListDeliveriesQuery) {
      const endpoint = await this.get(principal, id);
      const limit = query.limit ?? 50;
      const rows = await repo.listDeliveries(db, endpoint.id, {
        limit: limit + 1,
        after: decodeTimeIdCursor(query.cursor),
        state: query.state,
      });
      const page = pageOf(rows, limit, timeIdCursor);
      const attempts = await repo.attemptsOf(
        db,
        page.items.map((d) => d.id),
      );
      return {
        items: page.items.map((d) =>
          toDeliveryView(
            d,
            attempts.filter((a) => a.deliveryId === d.id),
          ),
        ),
        nextCursor: page.nextCursor,
      };
    },

    /** Sends a delivery's event to its endpoint again, as a new delivery (same webhook-id). */
    async redeliver(ctx: ChangeContext, principal: TenantPrincipal, id: string, deliveryId: string) {
      requireUnscoped(principal);
      const sent = await change(ctx, async (tx, trail) => {
        const row = await locked(tx, principal, id);
        const original = await repo.findDelivery(tx, row.id, deliveryId.toLowerCase());
        if (!original)
          throw new NotFoundError('WEBHOOK_DELIVERY_NOT_FOUND', 'No such delivery of this webhook endpoint');
        if (!row.enabled) throw disabled();
        const newId = await enqueueTo(tx, row, original.eventId);
        await trail.record({
          tenantId: principal.tenantId,
          action: 'webhook.redelivered',
          target: { type: 'webhook', id: row.id },
          diff: { after: { eventId: original.eventId, deliveryId: newId, of: original.id } },
        });
        return { eventId: original.eventId, deliveryId: newId };
      });
      return committed(sent);
    },
  };

  async function sealedAsPrevious(tx: Tx, row: EndpointRow): Promise<string> {
    const plain = await openCurrent(tx, row);
    return seal(tx, row.tenantId, row.id, 'previous', plain);
  }

  function openCurrent(tx: Tx, row: EndpointRow): Promise<string> {
    return secrets.openTenantSecret(tx, secretLocation(row.tenantId, row.id, 'current'), row.secretSealed);
  }
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
