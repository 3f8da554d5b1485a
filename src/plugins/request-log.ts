/**
 * One log line per request, written when the response is sent: method, path (query values
 * dropped), route, status, duration, caller's key id and address. Fastify's own request logging
 * (a line when a request arrives and another when it completes) is switched off in buildApp: two
 * lines and a child logger per request cost about a third of a cheap read's CPU time (issue 7's
 * profile), and the second line carries everything the first one did.
 */
import type { FastifyInstance } from 'fastify';
import { redactQuery } from '../lib/logger.js';

export function installRequestLog(app: FastifyInstance): void {
  // Without the logger's redaction: every field of this line is named here and none holds a secret
  // (the query's values are dropped), so the redaction pass — a wildcard walk of the line, 7% of a
  // cheap read's CPU time in issue 7's profile — can find nothing in it. Every other line keeps it.
  const lines = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onResponse', async (request, reply) => {
    lines.info(
      {
        reqId: request.id,
        method: request.method,
        url: redactQuery(request.url),
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        responseTime: Math.round(reply.elapsedTime * 100) / 100,
        keyId: request.principal?.keyId,
        remoteAddress: request.ip,
        userAgent: request.headers['user-agent'],
      },
      'request completed',
    );
  });
}
