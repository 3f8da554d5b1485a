import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/cursor.js';
import { Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import {
  ApiKeyParams,
  ApiKeyView,
  CreateApiKeyBody,
  IssuedApiKeyView,
  ListApiKeysQuery,
} from './api-keys.schemas.js';
import { type ApiKeysService, toApiKeyView } from './api-keys.service.js';

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{ apiKeys: ApiKeysService }> = async (
  app,
  { apiKeys },
) => {
  app.post(
    '/v1/api-keys',
    {
      config: { access: { roles: ['admin'], unscoped: true } },
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary: 'Issue an API key (the key is in this response only)',
        body: CreateApiKeyBody,
        response: { 201: IssuedApiKeyView },
      },
    },
    async (request, reply) => {
      const principal = tenantPrincipalOf(request);
      const { row, token } = await apiKeys.create(changeContextOf(request), principal, request.body);
      return reply
        .code(201)
        .header('location', `/v1/api-keys/${row.id}`)
        .send({ apiKey: toApiKeyView(row), token });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: { roles: ['admin', 'auditor'], unscoped: true } },
      schema: {
        operationId: 'listApiKeys',
        tags: ['api-keys'],
        summary: 'List the tenant’s API keys (newest first)',
        querystring: ListApiKeysQuery,
        response: { 200: Page(ApiKeyView, 'API keys') },
      },
    },
    async (request) => mapPage(await apiKeys.list(tenantPrincipalOf(request), request.query), toApiKeyView),
  );

  app.get(
    '/v1/api-keys/:id',
    {
      config: { access: { roles: ['admin', 'auditor'], unscoped: true } },
      schema: {
        operationId: 'getApiKey',
        tags: ['api-keys'],
        summary: 'Get an API key',
        params: ApiKeyParams,
        response: { 200: ApiKeyView },
      },
    },
    async (request) => toApiKeyView(await apiKeys.get(tenantPrincipalOf(request), request.params.id)),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: { roles: ['admin'], unscoped: true } },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api-keys'],
        summary: 'Revoke an API key (takes effect at once)',
        params: ApiKeyParams,
        response: { 200: ApiKeyView },
      },
    },
    async (request) => {
      const { row } = await apiKeys.revoke(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.id,
      );
      return toApiKeyView(row);
    },
  );
};
