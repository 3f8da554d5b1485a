/**
 * `GET /v1/me`: who the caller's API key is. Clients (the web UI) use it to say why an action is not
 * theirs to take (e.g. "you created this version") before the API refuses it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { MeView } from './me.schemas.js';

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/me',
    {
      config: { access: { roles: ['admin', 'editor', 'approver', 'auditor'] } },
      schema: {
        operationId: 'getMe',
        tags: ['tenant'],
        summary: 'The caller (API key or console session person): id, name, roles and org scope',
        response: { 200: MeView },
      },
    },
    async (request): Promise<MeView> => {
      const principal = tenantPrincipalOf(request);
      return {
        id: principal.keyId,
        name: principal.keyName,
        keyId: principal.person ? null : principal.keyId,
        person: principal.person
          ? {
              id: principal.person.id,
              issuer: principal.person.issuer,
              subject: principal.person.subject,
              email: principal.person.email,
              name: principal.person.name,
            }
          : null,
        tenantId: principal.tenantId,
        roles: [...principal.roles],
        orgScope: principal.orgScope === null ? null : [...principal.orgScope],
      };
    },
  );
};
