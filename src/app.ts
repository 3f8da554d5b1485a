/**
 * buildApp(container): the HTTP application, separate from the process that listens. Infrastructure
 * first (request ids, validation, errors, auth, idempotency, metrics, docs), then each module's routes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Container } from './container.js';
import { ProblemSchema } from './lib/problem.js';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { checkpointsRoutes } from './modules/audit-checkpoints/checkpoints.routes.js';
import { cookiePolicyOf } from './modules/auth/session-cookie.js';
import { consoleLoginRoutes } from './modules/console-login/console-login.routes.js';
import { consoleSessionsRoutes } from './modules/console-sessions/console-sessions.routes.js';
import { consoleSignInRoutes } from './modules/console-sign-in/console-sign-in.routes.js';
import { discoveryRoutes } from './modules/discovery/discovery.routes.js';
import { findingsRoutes } from './modules/findings/findings.routes.js';
import { deploymentsRoutes } from './modules/forwarding/deployments.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { meRoutes } from './modules/me/me.routes.js';
import { orgsRoutes } from './modules/orgs/orgs.routes.js';
import { plansRoutes } from './modules/plans/plans.routes.js';
import { ssoBulkRoutes } from './modules/sso-versions/sso-bulk.routes.js';
import { ssoVersionsRoutes } from './modules/sso-versions/sso-versions.routes.js';
import { tenantsRoutes } from './modules/tenants/tenants.routes.js';
import { uiRoutes } from './modules/ui/ui.routes.js';
import { watchRoutes } from './modules/watch/watch.routes.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';
import { installAuth } from './plugins/auth.js';
import { frameworkErrorHandler, installErrorHandling } from './plugins/error-handler.js';
import { installIdempotency } from './plugins/idempotency.js';
import { installMetrics } from './plugins/metrics.js';
import { installRequestLog } from './plugins/request-log.js';
import { installRouteConventions } from './plugins/route-conventions.js';
import { serializersBuiltOncePerSchema } from './plugins/serialization.js';
import { installSwagger } from './plugins/swagger.js';
import './plugins/types.js';
import { installValidators } from './plugins/validation.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echo the caller's X-Request-Id when it is a sane token; otherwise make one. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export async function buildApp(container: Container): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: container.logger as FastifyBaseLogger,
    genReqId: requestId,
    // One line per request instead, with the caller (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: container.config.trustProxy,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrorHandler,
    schemaController: { compilersFactory: { buildSerializer: serializersBuiltOncePerSchema() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON only: without this, Fastify's built-in text/plain parser hands a string to the
  // route, which answers 400 "must be object" instead of 415.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installRequestLog(app);
  installValidators(app);
  installErrorHandling(app);
  app.addSchema(ProblemSchema);
  installRouteConventions(app);
  const sessionCookiePolicy = cookiePolicyOf(container.config.publicUrl);
  installAuth(app, {
    authenticator: container.authenticator,
    sessions: container.consoleSessions,
    cookie: sessionCookiePolicy,
    publicOrigin: new URL(container.config.publicUrl).origin,
    failureLimit: container.config.authFailures.limit,
    failureWindowSeconds: container.config.authFailures.windowSeconds,
  });
  // Expired records are purged at a tenth of their lifetime, at most every 15 minutes.
  installIdempotency(
    app,
    container.idempotency,
    Math.min(15 * 60_000, (container.config.idempotencyTtlSeconds * 1000) / 10),
  );
  installMetrics(app, container.metrics);
  await installSwagger(app);

  await app.register(healthRoutes, { pool: container.database.pool, migrations: container.migrations });
  await app.register(tenantsRoutes, { tenants: container.tenants });
  await app.register(meRoutes);
  await app.register(apiKeysRoutes, { apiKeys: container.apiKeys });
  await app.register(orgsRoutes, { orgs: container.orgs });
  await app.register(auditRoutes, {
    audit: container.audit,
    change: container.change,
    resolveOrg: (principal, ref) => container.orgs.find(principal, ref),
    checkCheckpoints: (chain) => container.checkpoints.check(chain),
  });
  await app.register(checkpointsRoutes, { checkpoints: container.checkpoints });
  await app.register(discoveryRoutes, { discovery: container.discovery });
  await app.register(ssoVersionsRoutes, { versions: container.ssoVersions });
  await app.register(ssoBulkRoutes, { bulk: container.ssoBulk });
  await app.register(plansRoutes, { plans: container.plans });
  await app.register(deploymentsRoutes, { deployments: container.deployments });
  await app.register(findingsRoutes, { findings: container.findings });
  await app.register(watchRoutes, { watch: container.watch, findings: container.findings });
  await app.register(webhooksRoutes, { webhooks: container.webhooks });
  await app.register(consoleLoginRoutes, { consoleLogin: container.consoleLogin });
  await app.register(consoleSessionsRoutes, { sessions: container.consoleSessions });
  // Console sign-in's pages and sign-out (before the UI's catch-all /ui/* route is matched).
  await app.register(consoleSignInRoutes, {
    signIn: container.signIn,
    sessions: container.consoleSessions,
    cookie: sessionCookiePolicy,
    publicUrl: container.config.publicUrl,
    failureLimit: container.config.authFailures.limit,
    failureWindowSeconds: container.config.authFailures.windowSeconds,
  });
  // The web UI (static files; it calls the routes above with the signed-in key).
  await app.register(uiRoutes);

  // Sockets to other hosts (discovery, later Cognigy) close with the app: graceful shutdown, tests.
  app.addHook('onClose', async () => {
    await container.outbound.close();
    if (container.webhookOutbound !== container.outbound) await container.webhookOutbound.close();
  });

  await app.ready();
  return app;
}
