/**
 * OpenAPI 3.1 generated from the route schemas, served at /openapi.json with Swagger UI at /docs
 * (assets from the npm package: no CDN at run time). The same document is committed at
 * openapi/openapi.json; a test fails when they drift (`npm run openapi:write` regenerates it).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { withDiscriminatorMappings } from './openapi-discriminators.js';

export const OPENAPI_INFO = {
  title: 'Cognigy SSO configuration service',
  version: '1.0.0',
  description:
    'Versioned, validated, approved and audited SSO configuration for Cognigy.AI organisations. ' +
    'Authenticate with `Authorization: Bearer <api key>` (or `X-API-Key`). Errors are RFC 9457 problem+json.',
};

export async function installSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      // Relative to where this document is served: the service that serves it.
      servers: [{ url: '/', description: 'This service' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'tenants', description: 'MSP accounts (platform admin)' },
        { name: 'tenant', description: 'Settings of the caller’s tenant' },
        { name: 'api-keys', description: 'Credentials of a tenant' },
        { name: 'orgs', description: 'Customer organisations and their Cognigy target' },
        { name: 'sso', description: 'SSO versions of an org: drafts, review, diff, rollback; bulk changes' },
        {
          name: 'sso as code',
          description: 'Plan and apply a desired-state document across many orgs; export the current state',
        },
        {
          name: 'deployments',
          description: 'Forwarding of approved versions to Cognigy, with every attempt',
        },
        { name: 'discovery', description: 'Validation of an OIDC issuer without saving anything' },
        { name: 'findings', description: 'What the watch finds in what is live, and its per-org settings' },
        {
          name: 'webhooks',
          description:
            'Signed webhooks (Standard Webhooks) of review, deployment and finding events, with every delivery',
        },
        {
          name: 'console sign-in',
          description:
            'People sign in to the console with the tenant’s own IdP: settings, sessions, sign-out',
        },
        { name: 'audit', description: 'The tamper-evident audit trail: query, export, verify' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
      ],
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? withDiscriminatorMappings(document.openapiObject)
        : document.swaggerObject,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true }, staticCSP: true });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
