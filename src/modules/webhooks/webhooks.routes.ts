import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { mapPage } from '../../lib/cursor.js';
import { Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { toWebhookView } from './webhook-view.js';
import {
  CreatedWebhookView,
  CreateWebhookBody,
  DeliveryParams,
  DeliveryView,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  SentView,
  UpdateWebhookBody,
  WebhookParams,
  WebhookView,
} from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

const admin = { access: { roles: ['admin'] as const, unscoped: true } };
const readers = { access: { roles: ['admin', 'auditor'] as const, unscoped: true } };
const tags = ['webhooks'];

export const webhooksRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhooksService }> = async (
  app,
  { webhooks },
) => {
  app.post(
    '/v1/webhooks',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Add a webhook endpoint (its signing secret is in this response only)',
        description:
          'Events are POSTed as Standard Webhooks (headers webhook-id, webhook-timestamp, webhook-signature), signed with the secret returned here. A retry of this request with the same Idempotency-Key returns the same answer, secret included (stored encrypted for the idempotency window).',
        body: CreateWebhookBody,
        response: { 201: CreatedWebhookView },
      },
    },
    async (request, reply) => {
      const { row, secret } = await webhooks.create(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.body,
      );
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${row.id}`)
        .send({ webhook: toWebhookView(row), secret });
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: readers,
      schema: {
        tags,
        operationId: 'listWebhooks',
        summary: 'List the tenant’s webhook endpoints (newest first)',
        querystring: ListWebhooksQuery,
        response: { 200: Page(WebhookView, 'webhook endpoints') },
      },
    },
    async (request) =>
      mapPage(await webhooks.list(tenantPrincipalOf(request), request.query), (r) => toWebhookView(r)),
  );

  app.get(
    '/v1/webhooks/:id',
    {
      config: readers,
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'Get a webhook endpoint',
        params: WebhookParams,
        response: { 200: WebhookView },
      },
    },
    async (request) => toWebhookView(await webhooks.get(tenantPrincipalOf(request), request.params.id)),
  );

  app.patch(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary: 'Change a webhook endpoint: URL, event types, description, enabled',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: WebhookView },
      },
    },
    async (request) =>
      toWebhookView(
        await webhooks.update(
          changeContextOf(request),
          tenantPrincipalOf(request),
          request.params.id,
          request.body,
        ),
      ),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook endpoint, with its deliveries not made yet',
        params: WebhookParams,
        response: { 204: Type.Null({ description: 'Deleted' }) },
      },
    },
    async (request, reply) => {
      await webhooks.remove(changeContextOf(request), tenantPrincipalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'rotateWebhookSecret',
        summary: 'Replace the signing secret (the new one is in this response only)',
        description:
          'For WEBHOOK_SECRET_OVERLAP_SECONDS (24 h) after a rotation every delivery carries two signatures, one per secret, so that receivers can switch without losing an event.',
        params: WebhookParams,
        response: { 200: CreatedWebhookView },
      },
    },
    async (request) => {
      const { row, secret } = await webhooks.rotate(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.id,
      );
      return { webhook: toWebhookView(row), secret };
    },
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'testWebhook',
        summary: 'Send a webhook.test event to this endpoint (asynchronously, like every delivery)',
        params: WebhookParams,
        response: { 202: SentView },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await webhooks.test(changeContextOf(request), tenantPrincipalOf(request), request.params.id)),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: readers,
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        summary: 'The endpoint’s deliveries (newest first), each with every attempt',
        params: WebhookParams,
        querystring: ListDeliveriesQuery,
        response: { 200: Page(DeliveryView, 'deliveries') },
      },
    },
    async (request) => webhooks.deliveries(tenantPrincipalOf(request), request.params.id, request.query),
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'redeliverWebhookDelivery',
        summary: 'Send a delivery’s event again, as a new delivery with the same webhook-id',
        params: DeliveryParams,
        response: { 202: SentView },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await webhooks.redeliver(
            changeContextOf(request),
            tenantPrincipalOf(request),
            request.params.id,
            request.params.deliveryId,
          ),
        ),
  );
};
