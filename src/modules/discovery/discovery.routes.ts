import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CheckDiscoveryBody, DiscoveryReportView } from './discovery.schemas.js';
import type { DiscoveryValidator } from './discovery-validator.js';

export const discoveryRoutes: FastifyPluginAsyncTypebox<{ discovery: DiscoveryValidator }> = async (
  app,
  { discovery },
) => {
  app.post(
    '/v1/discovery/check',
    {
      config: { access: { roles: ['editor', 'admin'] } },
      schema: {
        operationId: 'checkDiscovery',
        tags: ['discovery'],
        summary: 'Validate an OIDC issuer (and optionally a client id and secret) without saving anything',
        description:
          'Runs every discovery check and answers 200 with the report, whether the IdP passes or not. Nothing is stored; the client secret of a probe is used for one token request and never returned or logged.',
        body: CheckDiscoveryBody,
        response: { 200: DiscoveryReportView },
      },
    },
    async (request) => discovery.check(request.body),
  );
};
