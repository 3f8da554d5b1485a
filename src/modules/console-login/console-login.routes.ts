/**
 * `/v1/console-login`: a tenant admin sets up how the tenant's people sign in to the console with the
 * tenant's own IdP (issue 20); `/v1/console-login/options`: what the key sign-in page offers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IfMatchHeader } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import {
  ConsoleLoginOptionsQuery,
  ConsoleLoginOptionsView,
  ConsoleLoginView,
  PutConsoleLoginBody,
} from './console-login.schemas.js';
import type { ConsoleLoginService } from './console-login.service.js';

const admin = { access: { roles: ['admin'] as const, unscoped: true } };
const tags = ['console sign-in'];

export const consoleLoginRoutes: FastifyPluginAsyncTypebox<{ consoleLogin: ConsoleLoginService }> = async (
  app,
  { consoleLogin },
) => {
  app.get(
    '/v1/console-login',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'getConsoleLogin',
        summary: 'How the tenant’s people sign in to the console (configured: false when off)',
        description:
          'The redirect URI to register at the IdP and the login URL are always filled. The client secret is shown only as a fingerprint.',
        response: { 200: ConsoleLoginView },
      },
    },
    async (request) => consoleLogin.get(tenantPrincipalOf(request)),
  );

  app.put(
    '/v1/console-login',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'putConsoleLogin',
        summary: 'Set up or change console sign-in with the tenant’s own IdP',
        description:
          'The issuer is validated through discovery (the checks of an SSO version, with a credential probe of the client id and secret) before anything is saved: a failing report answers 422 with the report. The client secret is write-only.',
        headers: IfMatchHeader,
        body: PutConsoleLoginBody,
        response: { 200: ConsoleLoginView },
      },
    },
    async (request) =>
      consoleLogin.put(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.body,
        request.headers['if-match'],
      ),
  );

  app.delete(
    '/v1/console-login',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'deleteConsoleLogin',
        summary: 'Turn console sign-in with the IdP off; ends the tenant’s console sessions',
        response: { 204: Type.Null({ description: 'Turned off' }) },
      },
    },
    async (request, reply) => {
      await consoleLogin.remove(changeContextOf(request), tenantPrincipalOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/console-login/options',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getConsoleLoginOptions',
        summary: 'The sign-in ways a tenant offers (for the sign-in page; needs no key)',
        description: 'An unknown tenant answers like a tenant without console sign-in.',
        security: [],
        querystring: ConsoleLoginOptionsQuery,
        response: { 200: ConsoleLoginOptionsView },
      },
    },
    async (request) => consoleLogin.options(request.query.tenant),
  );
};
