/**
 * Conventions applied to every route as it is registered, so no route can forget them:
 * - it must declare who may call it (`config.access`); a route that does not refuses to start,
 * - a documented route must name its operation (`schema.operationId`, unique: the typed client's
 *   method names) and its tags, or the service refuses to start,
 * - its OpenAPI entry lists the problem+json errors, the security and the roles it needs,
 * - every POST documents the Idempotency-Key header.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import type { Access } from './types.js';

const problemRef = { $ref: 'Problem#' };
const problemContent = { content: { 'application/problem+json': { schema: problemRef } } };

function describeAccess(access: Access): string {
  if (access === 'public') return 'No authentication.';
  if (access === 'platform') return 'Platform admin key only.';
  const roles = access.roles.join(', ');
  const platform = access.platform ? '; or the platform admin key' : '';
  return `Roles: ${roles}${access.unscoped ? ' (a key without org scope)' : ''}${platform}.`;
}

const IdempotencyKeyHeader = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7e]+$',
  description: 'Retries with the same key and body return the first response; another body → 422',
});

export function installRouteConventions(app: FastifyInstance): void {
  // Fastify registers a HEAD twin of every GET with the same schema object: decorate each once.
  const decorated = new WeakSet<object>();
  const operationIds = new Set<string>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { access?: Access };
    if (!config.access) {
      if (!route.url.startsWith('/docs')) {
        throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access`);
      }
      route.config = { ...config, access: 'public' };
      return;
    }
    const schema = (route.schema ?? {}) as Record<string, unknown> & { hide?: boolean };
    if (schema.hide || decorated.has(schema)) return;
    decorated.add(schema);
    const operation = `${String(route.method)} ${route.url}`;
    const { operationId, tags } = schema as { operationId?: string; tags?: string[] };
    if (!operationId || !tags?.length)
      throw new Error(`Route ${operation} declares no operationId or no tags`);
    if (operationIds.has(operationId))
      throw new Error(`Route ${operation}: operationId ${operationId} is taken`);
    operationIds.add(operationId);
    const access = config.access;
    const response = { ...((schema.response as Record<string, unknown>) ?? {}) };
    response['4xx'] ??= { description: 'Problem details (RFC 9457)', ...problemContent };
    response['5xx'] ??= { description: 'Problem details (RFC 9457)', ...problemContent };
    schema.response = response;
    schema.description = [schema.description, describeAccess(access)].filter(Boolean).join('\n\n');
    // Public routes say so (an empty list), rather than leaving a reader to guess.
    schema.security = access === 'public' ? [] : [{ bearer: [] }, { apiKeyHeader: [] }];
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('POST')) {
      const headers = (schema.headers as ReturnType<typeof Type.Object> | undefined) ?? Type.Object({});
      schema.headers = Type.Object({
        ...headers.properties,
        'idempotency-key': Type.Optional(IdempotencyKeyHeader),
      });
    }
    route.schema = schema;
  });
}
