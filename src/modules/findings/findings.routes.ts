import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/cursor.js';
import { Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';
import { FindingView, ListFindingsQuery, ListOrgFindingsQuery } from './findings.schemas.js';
import { type FindingsService, toFindingView } from './findings.service.js';

const READERS = { roles: ['admin', 'editor', 'approver', 'auditor'] } as const;

export const findingsRoutes: FastifyPluginAsyncTypebox<{ findings: FindingsService }> = async (
  app,
  { findings },
) => {
  app.get(
    '/v1/findings',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listFindings',
        tags: ['findings'],
        summary: 'What the watch found across the orgs the key may see, most severe first, then newest',
        querystring: ListFindingsQuery,
        response: { 200: Page(FindingView, 'findings') },
      },
    },
    async (request) => mapPage(await findings.list(tenantPrincipalOf(request), request.query), toFindingView),
  );

  app.get(
    '/v1/orgs/:org/findings',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listOrgFindings',
        tags: ['findings'],
        summary: 'What the watch found for one org, most severe first, then newest',
        params: OrgRefParams,
        querystring: ListOrgFindingsQuery,
        response: { 200: Page(FindingView, 'findings') },
      },
    },
    async (request) =>
      mapPage(
        await findings.listOfOrg(tenantPrincipalOf(request), request.params.org, request.query),
        toFindingView,
      ),
  );
};
