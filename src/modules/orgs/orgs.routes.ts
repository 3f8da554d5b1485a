import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { mapPage } from '../../lib/cursor.js';
import { etagOf, expectedRevision } from '../../lib/etag.js';
import { IfMatchHeader, Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import type { Access } from '../../plugins/types.js';
import { toOrgView } from './org-view.js';
import type { OrgRow } from './orgs.repository.js';
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

/**
 * The options of a route on the org named in the path (by id or slug) that answers with the org:
 * `schema` adds what the route takes besides (headers, body, query, description).
 */
const onOrg = <S extends object>(operationId: string, access: Access, summary: string, schema: S) => ({
  config: { access },
  schema: {
    operationId,
    tags: ['orgs'],
    summary,
    params: OrgRefParams,
    ...schema,
    response: { 200: OrgView },
  },
});

/** Answers with the org, its revision as ETag (what the next change names in If-Match). */
const sendOrg = (reply: FastifyReply, row: OrgRow) =>
  reply.header('etag', etagOf(row.revision)).send(toOrgView(row));

export const orgsRoutes: FastifyPluginAsyncTypebox<{ orgs: OrgsService }> = async (app, { orgs }) => {
  app.post(
    '/v1/orgs',
    {
      config: { access: { roles: ['admin'], unscoped: true } },
      schema: {
        operationId: 'createOrg',
        tags: ['orgs'],
        summary: 'Create an org',
        body: CreateOrgBody,
        response: { 201: OrgView },
      },
    },
    async (request, reply) => {
      const row = await orgs.create(changeContextOf(request), tenantPrincipalOf(request), request.body);
      return sendOrg(reply.code(201).header('location', `/v1/orgs/${row.id}`), row);
    },
  );

  app.get(
    '/v1/orgs',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listOrgs',
        tags: ['orgs'],
        summary: 'List orgs by slug, filtered by text and labels',
        querystring: ListOrgsQuery,
        response: { 200: Page(OrgView, 'orgs') },
      },
    },
    async (request) => mapPage(await orgs.list(tenantPrincipalOf(request), request.query), toOrgView),
  );

  app.get('/v1/orgs/:org', onOrg('getOrg', READERS, 'Get an org by id or slug', {}), async (request, reply) =>
    sendOrg(reply, await orgs.find(tenantPrincipalOf(request), request.params.org)),
  );

  app.patch(
    '/v1/orgs/:org',
    onOrg('updateOrg', ADMINS, 'Change an org’s slug, name or labels', {
      headers: IfMatchHeader,
      body: UpdateOrgBody,
    }),
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match'], request.body.revision);
      const row = await orgs.update(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
        expected,
      );
      return sendOrg(reply, row);
    },
  );

  app.delete(
    '/v1/orgs/:org',
    onOrg('archiveOrg', ADMINS, 'Archive an org (never deleted; optionally crypto-shred its secrets)', {
      headers: IfMatchHeader,
      querystring: ArchiveOrgQuery,
    }),
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match']);
      const row = await orgs.archive(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.query.shredSecrets ?? false,
        expected,
      );
      return sendOrg(reply, row);
    },
  );

  app.put(
    '/v1/orgs/:org/cognigy',
    onOrg('setCognigyTarget', ADMINS, 'Set the org’s Cognigy target (API base, API key, organisation id)', {
      description: 'The API key is write-only: it is stored encrypted and only ever shown as a fingerprint.',
      headers: IfMatchHeader,
      body: PutCognigyTargetBody,
    }),
    async (request, reply) => {
      const expected = expectedRevision(request.headers['if-match'], request.body.revision);
      const row = await orgs.putCognigyTarget(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
        expected,
      );
      return sendOrg(reply, row);
    },
  );
};
