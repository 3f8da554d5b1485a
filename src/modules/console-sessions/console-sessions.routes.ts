/**
 * `GET /v1/session`: the console session making the call (the UI's sign-in state and its anti-CSRF
 * token); `/v1/console-sessions`: an admin lists the tenant's live sessions and ends one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { mapPage } from '../../lib/cursor.js';
import { UnauthorizedError } from '../../lib/errors.js';
import { Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { toPersonView, toSessionView } from './console-session-view.js';
import {
  CurrentSessionView,
  ListSessionsQuery,
  SessionParams,
  SessionView,
} from './console-sessions.schemas.js';
import type { ConsoleSessionsService } from './sessions.service.js';

const anyRole = { access: { roles: ['admin', 'editor', 'approver', 'auditor'] as const } };
const admin = { access: { roles: ['admin'] as const, unscoped: true } };
const tags = ['console sign-in'];

export const consoleSessionsRoutes: FastifyPluginAsyncTypebox<{ sessions: ConsoleSessionsService }> = async (
  app,
  { sessions },
) => {
  app.get(
    '/v1/session',
    {
      config: anyRole,
      schema: {
        tags,
        operationId: 'getSession',
        summary: 'The console session of the cookie: the person, tenant, roles and anti-CSRF token',
        description: '401 without a valid session cookie (also when the call is made with an API key).',
        response: { 200: CurrentSessionView },
      },
    },
    async (request) => {
      const current = request.consoleSession;
      if (!current) {
        throw new UnauthorizedError(
          'CONSOLE_SESSION_REQUIRED',
          'This call needs a console session cookie, not an API key',
        );
      }
      const s = current.session;
      return {
        person: toPersonView(s.person),
        tenant: { id: s.tenantId, slug: s.tenantSlug, name: s.tenantName },
        roles: [...s.roles],
        orgScope: s.orgScope ? [...s.orgScope] : null,
        csrfToken: current.csrfToken,
        idleExpiresAt: s.idleExpiresAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
      };
    },
  );

  app.get(
    '/v1/console-sessions',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'listConsoleSessions',
        summary: 'The tenant’s live console sessions, newest first',
        querystring: ListSessionsQuery,
        response: { 200: Page(SessionView, 'console sessions') },
      },
    },
    async (request) => {
      const currentId = request.consoleSession?.session.id;
      return mapPage(await sessions.list(tenantPrincipalOf(request), request.query), (s) =>
        toSessionView(s, currentId),
      );
    },
  );

  app.delete(
    '/v1/console-sessions/:id',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'endConsoleSession',
        summary: 'End a console session of the tenant (its cookie stops working at once)',
        params: SessionParams,
        response: { 204: Type.Null({ description: 'Ended' }) },
      },
    },
    async (request, reply) => {
      await sessions.end(changeContextOf(request), tenantPrincipalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
