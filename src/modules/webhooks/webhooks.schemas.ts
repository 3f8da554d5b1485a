import { type Static, Type } from 'typebox';
import { literals, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';

const EventType = literals(WEBHOOK_EVENT_TYPES);

const Url = Type.String({
  minLength: 8,
  maxLength: 2000,
  description:
    'Where events are POSTed: https (http only where OUTBOUND_ALLOW_HTTP is set), no user name or password; private, loopback and metadata addresses are refused unless on OUTBOUND_ALLOWLIST',
  examples: ['https://hooks.example.com/cognigy-sso'],
});
const EventTypes = Type.Array(EventType, {
  maxItems: WEBHOOK_EVENT_TYPES.length,
  uniqueItems: true,
  description: 'The event types sent to it; empty: all of them',
});
const Description = Type.String({ maxLength: 500, description: 'What the endpoint is for' });

export const WebhookView = Type.Object({
  id: Uuid('Webhook endpoint id'),
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(EventType, { description: 'Empty: every event type' }),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why the service disabled it (it failed for too long); null when enabled or disabled by a person',
  }),
  failingSince: Type.Union([Timestamp, Type.Null()], { description: 'Every attempt failed since then' }),
  secret: Type.Object(
    {
      fingerprint: Type.String({ description: 'Keyed fingerprint of the signing secret (hmac-sha256:…)' }),
      previousFingerprint: Type.Union([Type.String(), Type.Null()], {
        description: 'The secret before the last rotation, while it still signs',
      }),
      previousExpiresAt: NullableTimestamp,
    },
    { description: 'The signing secret is shown only when created or rotated' },
  ),
  revision: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type WebhookView = Static<typeof WebhookView>;

export const CreatedWebhookView = Type.Object({
  webhook: WebhookView,
  secret: Type.String({
    description:
      'The signing secret (whsec_…, Standard Webhooks). Shown only in this response; store it now.',
  }),
});

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables an endpoint the service disabled' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>;

export const WebhookParams = Type.Object({ id: Uuid('Webhook endpoint id') });
export const DeliveryParams = Type.Object({
  id: Uuid('Webhook endpoint id'),
  deliveryId: Uuid('Delivery id'),
});

export const ListWebhooksQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListWebhooksQuery = Static<typeof ListWebhooksQuery>;

export const ListDeliveriesQuery = Type.Object(
  { ...PageQuery, state: Type.Optional(literals(['pending', 'delivered', 'failed'] as const)) },
  { additionalProperties: false },
);
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuery>;

export const AttemptView = Type.Object({
  number: Type.Integer(),
  startedAt: Timestamp,
  durationMs: Type.Integer(),
  outcome: literals(['delivered', 'retryable', 'failed'] as const),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  responseExcerpt: Type.Union([Type.String(), Type.Null()], {
    description: 'The start of the receiver’s answer (at most 256 characters), for answers that are not 2xx',
  }),
  nextAttemptAt: NullableTimestamp,
});

export const DeliveryView = Type.Object({
  id: Uuid('Delivery id'),
  eventId: Uuid('Event id: the webhook-id header (the same for every delivery of the event)'),
  eventType: Type.String(),
  state: literals(['pending', 'delivered', 'failed'] as const),
  attempts: Type.Array(AttemptView),
  httpStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'Of the last attempt' }),
  durationMs: Type.Union([Type.Integer(), Type.Null()], { description: 'Of the last attempt' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Of the last attempt' }),
  nextAttemptAt: NullableTimestamp,
  deliveredAt: NullableTimestamp,
  createdAt: Timestamp,
});
export type DeliveryView = Static<typeof DeliveryView>;

export const SentView = Type.Object({
  deliveryId: Uuid('The new delivery'),
  eventId: Uuid('The event sent'),
});
