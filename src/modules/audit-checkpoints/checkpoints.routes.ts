/**
 * Signed checkpoints over HTTP: write one now, list them (a page, or every one as NDJSON for the
 * offline check), and the public keys as a JWKS document — public, because public keys are: anyone
 * holding a checkpoint must be able to check it without an API key of the tenant, and a key the
 * verifier fetched (or pinned) itself is what makes a checkpoint evidence.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { BadRequestError } from '../../lib/errors.js';
import { UUID_PATTERN } from '../../lib/identifiers.js';
import { Page } from '../../lib/schemas.js';
import { principalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { PLATFORM_CHAIN } from '../audit/audit-event.js';
import type { Principal } from '../auth/principal.js';
import { CheckpointView, Jwks, ListCheckpointsQuery } from './checkpoints.schemas.js';
import type { CheckpointsService } from './checkpoints.service.js';

/** The tenant's auditors and admins for its chain, the platform key for the platform's. */
const ACCESS = { roles: ['admin', 'auditor'], unscoped: true, platform: true } as const;

const chainOf = (principal: Principal) =>
  principal.kind === 'platform' ? PLATFORM_CHAIN : principal.tenantId;

const UUID = new RegExp(UUID_PATTERN);

/** The NDJSON body: text to a reader of the document; sent as a stream, which Fastify does not serialize. */
const NdjsonText = Type.Unsafe<NodeJS.ReadableStream>({ type: 'string' });

export const checkpointsRoutes: FastifyPluginAsyncTypebox<{ checkpoints: CheckpointsService }> = async (
  app,
  { checkpoints },
) => {
  app.post(
    '/v1/audit-events/checkpoints',
    {
      config: { access: ACCESS },
      schema: {
        operationId: 'createAuditCheckpoint',
        tags: ['audit'],
        summary:
          'Sign the chain’s head now (records audit.checkpointed, then signs the head that includes it)',
        description:
          'An auditor may call it: it changes no configuration, it adds a signed statement about the trail ' +
          '(e.g. right before an export). A tenant key signs its tenant’s chain, the platform key the platform’s.',
        response: { 201: CheckpointView },
      },
    },
    async (request, reply) => {
      const chain = chainOf(principalOf(request));
      const checkpoint = await checkpoints.write(changeContextOf(request), chain, 'request');
      return reply.code(201).send(checkpoint);
    },
  );

  app.get(
    '/v1/audit-events/checkpoints',
    {
      config: { access: ACCESS },
      schema: {
        operationId: 'listAuditCheckpoints',
        tags: ['audit'],
        summary:
          'The signed checkpoints of the caller’s chain, newest first (or all as NDJSON, oldest first)',
        querystring: ListCheckpointsQuery,
        response: {
          200: {
            description: 'A page of checkpoints (JSON), or every checkpoint one per line (NDJSON)',
            content: {
              'application/json': { schema: Page(CheckpointView, 'checkpoints') },
              'application/x-ndjson': { schema: NdjsonText },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const chain = chainOf(principalOf(request));
      const { limit = 50, cursor, format = 'json' } = request.query;
      if (format === 'ndjson') {
        if (cursor !== undefined || request.query.limit !== undefined) {
          throw new BadRequestError(
            'AUDIT_CHECKPOINTS_NDJSON_UNPAGED',
            'format=ndjson lists every checkpoint',
            {
              errors: [{ pointer: '/query/format', detail: 'takes no limit or cursor' }],
            },
          );
        }
        const lines = (await checkpoints.all(chain)).map((c) => `${JSON.stringify(c)}\n`).join('');
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-checkpoints-${chain}.ndjson"`)
          .send(Readable.from([lines]));
      }
      const before = cursor ? String(decodeCursor(cursor, ['string'])[0]) : undefined;
      if (before !== undefined && !UUID.test(before)) {
        throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued', {
          errors: [{ pointer: '/query/cursor', detail: 'Use nextCursor from a previous page unchanged' }],
        });
      }
      const page = await checkpoints.page(chain, limit, before);
      return reply.type('application/json; charset=utf-8').send({
        items: page.items,
        nextCursor: page.nextBeforeId === null ? null : encodeCursor([page.nextBeforeId]),
      });
    },
  );

  app.get(
    '/v1/audit-events/checkpoint-keys',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getAuditCheckpointKeys',
        tags: ['audit'],
        summary: 'The public keys that sign checkpoints, current and old (JWKS)',
        description:
          'Public: these are public keys. Save this document apart from the service (or pin it): the offline check ' +
          'and `npm run audit:verify --keys` trust the keys you give them, not the database.',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return checkpoints.jwks();
    },
  );
};
