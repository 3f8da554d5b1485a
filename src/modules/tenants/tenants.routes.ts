import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/cursor.js';
import { etagOf, expectedRevision } from '../../lib/etag.js';
import { IfMatchHeader, Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { toApiKeyView } from '../api-keys/api-keys.service.js';
import {
  CreatedTenantView,
  CreateTenantBody,
  ListTenantsQuery,
  TenantParams,
  TenantView,
  UpdateTenantSettingsBody,
} from './tenants.schemas.js';
import { type TenantsService, toTenantView } from './tenants.service.js';

export const tenantsRoutes: FastifyPluginAsyncTypebox<{ tenants: TenantsService }> = async (
  app,
  { tenants },
) => {
  app.post(
    '/v1/tenants',
    {
      config: { access: 'platform' },
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary: 'Create a tenant and its first admin key (shown once)',
        body: CreateTenantBody,
        response: { 201: CreatedTenantView },
      },
    },
    async (request, reply) => {
      const { tenant, adminKey } = await tenants.create(changeContextOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/v1/tenants/${tenant.id}`)
        .send({
          tenant: toTenantView(tenant),
          adminKey: { apiKey: toApiKeyView(adminKey.row), token: adminKey.token },
        });
    },
  );

  app.get(
    '/v1/tenants',
    {
      config: { access: 'platform' },
      schema: {
        operationId: 'listTenants',
        tags: ['tenants'],
        summary: 'List tenants',
        querystring: ListTenantsQuery,
        response: { 200: Page(TenantView, 'tenants') },
      },
    },
    async (request) => mapPage(await tenants.list(request.query), toTenantView),
  );

  app.get(
    '/v1/tenants/:tenant',
    {
      config: { access: 'platform' },
      schema: {
        operationId: 'getTenant',
        tags: ['tenants'],
        summary: 'Get a tenant',
        params: TenantParams,
        response: { 200: TenantView },
      },
    },
    async (request) => toTenantView(await tenants.get(request.params.tenant)),
  );

  app.get(
    '/v1/tenant',
    {
      config: { access: { roles: ['admin', 'editor', 'approver', 'auditor'] } },
      schema: {
        operationId: 'getOwnTenant',
        tags: ['tenant'],
        summary: 'The caller’s tenant and its settings',
        response: { 200: TenantView },
      },
    },
    async (request, reply) => {
      const row = await tenants.current(tenantPrincipalOf(request));
      return reply.header('etag', etagOf(row.revision)).send(toTenantView(row));
    },
  );

  app.patch(
    '/v1/tenant',
    {
      config: { access: { roles: ['admin'], unscoped: true } },
      schema: {
        operationId: 'updateOwnTenant',
        tags: ['tenant'],
        summary: 'Change the tenant’s name or settings (e.g. allow self-approval)',
        headers: IfMatchHeader,
        body: UpdateTenantSettingsBody,
        response: { 200: TenantView },
      },
    },
    async (request, reply) => {
      const principal = tenantPrincipalOf(request);
      const expected = expectedRevision(request.headers['if-match'], request.body.revision);
      const row = await tenants.updateSettings(changeContextOf(request), principal, request.body, expected);
      return reply.header('etag', etagOf(row.revision)).send(toTenantView(row));
    },
  );
};
