import type { FastifyRequest } from 'fastify';
import type { ChangeContext } from '../lib/request-context.js';

const MAX_USER_AGENT = 512;

/** The actor and origin of a request, as the audit trail records them. */
export function changeContextOf(request: FastifyRequest): ChangeContext {
  const principal = request.principal;
  const agent = request.headers['user-agent'];
  return {
    actor: !principal
      ? { type: 'system', id: null, name: 'anonymous' }
      : principal.kind === 'tenant' && principal.person
        ? {
            type: 'person',
            id: principal.person.id,
            name: principal.keyName,
            person: {
              issuer: principal.person.issuer,
              subject: principal.person.subject,
              email: principal.person.email,
              name: principal.person.name,
              roles: [...principal.roles],
            },
          }
        : { type: 'api_key', id: principal.keyId, name: principal.keyName },
    requestId: request.id,
    sourceIp: request.ip ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT) : null,
    idempotencyRecordId: request.idempotencyRecordId,
  };
}
