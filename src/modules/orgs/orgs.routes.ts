import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/cursor.js';
import { etagOf, expectedRevision } from '../../lib/etag.js';
import { IfMatchHeader, Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { toOrgView } from './org-view.js';
import {
  ArchiveOrgQuery,
  CreateOrgBody,
  ListOrgsQuery,
  OrgRefParams,
  OrgView,
  PutCognigyTargetBody,
  UpdateOrgBody,
} from './orgs.schemas.js';
import type { OrgsService } from './orgs.service.js';

const READERS = { roles: ['admin', 'editor', 'approver', 'auditor'] } as const;
const ADMINS = { roles: ['admin'] } as const;

export const orgsRoutes: FastifyPluginAsyncTypebox<{ orgs: OrgsService }> = async (app, { orgs }) => {
  app.post(
    '/v1/orgs',
    {
      config: { access: { roles: ['admin'], unscoped: true } },
      schema: { tags: ['orgs'], summary: 'Create an org', body: CreateOrgBody, response: { 201: OrgView } },
    },
    async (request, reply) => {
      const row = await orgs.create(changeContextOf(request), tenantPrincipalOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/v1/orgs/${row.id}`)
        .header('etag', etagOf(row.revision))
        .send(toOrgView(row));
    },
  );

  app.get(
    '/v1/orgs',
    {
      config: { access: READERS },
      schema: {
        tags: ['orgs'],
        summary: 'List orgs by slug, filtered by text and labels',
        querystring: ListOrgsQuery,
        response: { 200: Page(OrgView, 'orgs') },
      },
    },
    async (request) => mapPage(await orgs.list(tenantPrincipalOf(request), request.query), toOrgView),
  );

  app.get(
    '/v1/orgs/:org',
    {
      config: { access: READERS },
      schema: {
        tags: ['orgs'],
        summary: 'Get an org by id or slug',
        params: OrgRefParams,
        response: { 200: OrgView },
      },
    },
    async (request, reply) => {
      const row = await orgs.find(tenantPrincipalOf(request), request.params.org);
      return reply.header('etag', etagOf(row.revision)).send(toOrgView(row));
    },
  );

  app.patch(
    '/v1/orgs/:org',
    {
      config: { access: ADMINS },
      schema: {
        tags: ['orgs'],
        summary: 'Change an org’s slug, name or labels',
        params: OrgRefParams,
        headers: IfMatchHeader,
        body: UpdateOrgBody,
        response: { 200: OrgView },
      },
    },
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match'], request.body.revision);
      const row = await orgs.update(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
        expected,
      );
      return reply.header('etag', etagOf(row.revision)).send(toOrgView(row));
    },
  );

  app.delete(
    '/v1/orgs/:org',
    {
      config: { access: ADMINS },
      schema: {
        tags: ['orgs'],
        summary: 'Archive an org (never deleted; optionally crypto-shred its secrets)',
        params: OrgRefParams,
        headers: IfMatchHeader,
        querystring: ArchiveOrgQuery,
        response: { 200: OrgView },
      },
    },
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match']);
      const row = await orgs.archive(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.query.shredSecrets ?? false,
        expected,
      );
      return reply.header('etag', etagOf(row.revision)).send(toOrgView(row));
    },
  );

  app.put(
    '/v1/orgs/:org/cognigy',
    {
      config: { access: ADMINS },
      schema: {
        tags: ['orgs'],
        summary: 'Set the org’s Cognigy target (API base, API key, organisation id)',
        description:
          'The API key is write-only: it is stored encrypted and only ever shown as a fingerprint.',
        params: OrgRefParams,
        headers: IfMatchHeader,
        body: PutCognigyTargetBody,
        response: { 200: OrgView },
      },
    },
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match'], request.body.revision);
      const row = await orgs.putCognigyTarget(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
        expected,
      );
      return reply.header('etag', etagOf(row.revision)).send(toOrgView(row));
    },
  );
};
