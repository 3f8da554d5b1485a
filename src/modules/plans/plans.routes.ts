import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import type { PlanRow } from './plans.repository.js';
import {
  ApplyPlanBody,
  CreatePlanBody,
  DesiredStateDocument,
  ExportQuery,
  PlanParams,
  PlanView,
} from './plans.schemas.js';
import type { PlansService } from './plans.service.js';

const READERS = { roles: ['admin', 'editor', 'approver', 'auditor'] } as const;
const EDITORS = { roles: ['editor'] } as const;

function toPlanView(row: PlanRow): PlanView {
  return {
    id: row.id,
    hash: row.hash,
    state: row.state,
    createdAt: row.createdAt.toISOString(),
    createdBy: { id: row.createdById, name: row.createdByName },
    expiresAt: row.expiresAt.toISOString(),
    appliedAt: row.appliedAt?.toISOString() ?? null,
    appliedBy: row.appliedByName === null ? null : { id: row.appliedById, name: row.appliedByName },
    totals: row.totals,
    errors: [...row.errors],
    orgs: [...row.orgs],
  };
}

export const plansRoutes: FastifyPluginAsyncTypebox<{ plans: PlansService }> = async (app, { plans }) => {
  app.post(
    '/v1/plans',
    {
      config: { access: EDITORS },
      schema: {
        operationId: 'createPlan',
        tags: ['sso as code'],
        summary: 'Plan a desired-state document: per org noop, draft (with the diff), blocked or error',
        description:
          'Nothing is drafted: the plan says what POST /v1/plans/{id}/apply would do, and is kept for PLAN_TTL_SECONDS. Secrets appear only as fingerprints.',
        body: CreatePlanBody,
        response: { 201: PlanView },
      },
    },
    async (request, reply) => {
      const row = await plans.create(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.body.document,
      );
      return reply.code(201).header('location', `/v1/plans/${row.id}`).send(toPlanView(row));
    },
  );

  app.get(
    '/v1/plans/:id',
    {
      config: { access: READERS },
      schema: {
        operationId: 'getPlan',
        tags: ['sso as code'],
        summary: 'A plan, and after apply each org’s result',
        params: PlanParams,
        response: { 200: PlanView },
      },
    },
    async (request) => toPlanView(await plans.get(tenantPrincipalOf(request), request.params.id)),
  );

  app.post(
    '/v1/plans/:id/apply',
    {
      config: { access: EDITORS },
      schema: {
        operationId: 'applyPlan',
        tags: ['sso as code'],
        summary: 'Create exactly the planned drafts (one transaction per org); optionally approve them',
        description:
          'An org whose newest version moved since the plan is refused with 409 for that org alone (its `result`). Applying twice answers the first result.',
        params: PlanParams,
        body: ApplyPlanBody,
        response: { 200: PlanView },
      },
    },
    async (request) =>
      toPlanView(
        await plans.apply(
          changeContextOf(request),
          tenantPrincipalOf(request),
          request.params.id,
          request.body,
        ),
      ),
  );

  app.get(
    '/v1/sso/desired-state',
    {
      config: { access: READERS },
      schema: {
        operationId: 'exportDesiredState',
        tags: ['sso as code'],
        summary: 'The newest version of each org as a desired-state document (secrets as {"keep": true})',
        description: 'A plan of this document changes nothing.',
        querystring: ExportQuery,
        response: { 200: DesiredStateDocument },
      },
    },
    async (request) => plans.exportDesiredState(tenantPrincipalOf(request), request.query.selector),
  );
};
