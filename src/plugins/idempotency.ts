/** Wires the idempotency service into every POST (after authentication and validation). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdempotencyService } from '../modules/idempotency/idempotency.service.js';

const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyRecordId: string | undefined;
  }
}

/**
 * @param purgeEveryMs how often expired records are deleted (every process does it; deleting the
 * same rows twice is harmless). Without it the table would only grow.
 */
export function installIdempotency(
  app: FastifyInstance,
  service: IdempotencyService,
  purgeEveryMs: number,
): void {
  app.decorateRequest('idempotencyRecordId', undefined);

  const purge = () =>
    service.purgeExpired().then(
      ({ count }) => {
        if (count > 0) app.log.info({ count }, 'idempotency: expired records deleted');
      },
      (err: unknown) => app.log.warn({ err }, 'idempotency: purging expired records failed; will retry'),
    );
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(purge, purgeEveryMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));

  app.addHook('preHandler', async (request: FastifyRequest, reply) => {
    if (request.method !== 'POST' || !request.principal) return;
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') return;
    const outcome = await service.begin(
      request.principal.keyId,
      request.principal.kind === 'tenant' ? request.principal.tenantId : null,
      key,
      request.method,
      request.url,
      request.body,
    );
    if (outcome.kind === 'proceed') {
      request.idempotencyRecordId = outcome.recordId;
      return;
    }
    const { response } = outcome;
    reply.code(response.statusCode).headers(response.headers).header('idempotent-replayed', 'true');
    return reply.send(response.body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const recordId = request.idempotencyRecordId;
    if (!recordId) return payload;
    request.idempotencyRecordId = undefined;
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    await service.complete(recordId, { statusCode: reply.statusCode, headers, body });
    return payload;
  });
}
