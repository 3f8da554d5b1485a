import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { BulkApproveBody, BulkDraftBody, BulkResultView } from './sso-bulk.schemas.js';
import type { SsoBulkService } from './sso-bulk.service.js';

export const ssoBulkRoutes: FastifyPluginAsyncTypebox<{ bulk: SsoBulkService }> = async (app, { bulk }) => {
  app.post(
    '/v1/sso/bulk',
    {
      config: { access: { roles: ['editor'] } },
      schema: {
        operationId: 'bulkDraftSso',
        tags: ['sso'],
        summary: 'Apply one change as drafts across many orgs (each validated; per-org results)',
        description:
          'Each selected org gets a draft based on its newest version with the change applied; secrets are carried over. Discovery runs once per distinct issuer. A failure in one org never stops the others. Orgs whose configuration would not change are skipped. With dryRun, nothing is written.',
        body: BulkDraftBody,
        response: { 200: BulkResultView },
      },
    },
    async (request) => bulk.draft(changeContextOf(request), tenantPrincipalOf(request), request.body),
  );

  app.post(
    '/v1/sso/bulk/approve',
    {
      config: { access: { roles: ['approver'] } },
      schema: {
        operationId: 'bulkApproveSso',
        tags: ['sso'],
        summary:
          'Approve many drafts: the newest version of each selected org, or the drafts of one bulk operation',
        description:
          'Every approval follows the single-approval rules (four-eyes, validation or override). Versions that are no longer drafts are skipped.',
        body: BulkApproveBody,
        response: { 200: BulkResultView },
      },
    },
    async (request) => bulk.approve(changeContextOf(request), tenantPrincipalOf(request), request.body),
  );
};
