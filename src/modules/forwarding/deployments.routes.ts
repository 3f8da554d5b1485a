import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/cursor.js';
import { Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';
import {
  DeploymentDetailView,
  DeploymentParams,
  DeploymentView,
  ListDeploymentsQuery,
} from './deployments.schemas.js';
import { type DeploymentsService, toDeploymentView } from './deployments.service.js';

const READERS = { roles: ['admin', 'editor', 'approver', 'auditor'] } as const;

export const deploymentsRoutes: FastifyPluginAsyncTypebox<{ deployments: DeploymentsService }> = async (
  app,
  { deployments },
) => {
  app.get(
    '/v1/orgs/:org/deployments',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listDeployments',
        tags: ['deployments'],
        summary: 'The org’s deployments to Cognigy, newest first',
        params: OrgRefParams,
        querystring: ListDeploymentsQuery,
        response: { 200: Page(DeploymentView, 'deployments') },
      },
    },
    async (request) =>
      mapPage(
        await deployments.list(tenantPrincipalOf(request), request.params.org, request.query),
        toDeploymentView,
      ),
  );

  app.get(
    '/v1/orgs/:org/deployments/:id',
    {
      config: { access: READERS },
      schema: {
        operationId: 'getDeployment',
        tags: ['deployments'],
        summary: 'One deployment with every attempt (status, duration, Cognigy traceId, error)',
        params: DeploymentParams,
        response: { 200: DeploymentDetailView },
      },
    },
    async (request) => deployments.get(tenantPrincipalOf(request), request.params.org, request.params.id),
  );

  app.post(
    '/v1/orgs/:org/deployments/:id/retry',
    {
      config: { access: { roles: ['approver'] } },
      schema: {
        operationId: 'retryDeployment',
        tags: ['deployments'],
        summary: 'Retry a failed deployment (only while its version is the latest approved)',
        params: DeploymentParams,
        response: { 200: DeploymentView },
      },
    },
    async (request) =>
      deployments.retry(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.params.id,
      ),
  );
};
