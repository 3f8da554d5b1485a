import { pipeline, Transform } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { BadRequestError } from '../../lib/errors.js';
import { Page } from '../../lib/schemas.js';
import { principalOf, tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { type AuditFilter, type AuditRow, lineOf, recordOf } from './audit.repository.js';
import {
  AuditEventView,
  type CheckpointCheckView,
  type ExportAuditEventsQuery,
  ExportAuditEventsQuery as ExportQuerySchema,
  ListAuditEventsQuery,
  VerifyQuery,
  VerifyView,
} from './audit.schemas.js';
import type { AuditService } from './audit.service.js';
import { PLATFORM_CHAIN } from './audit-event.js';
import type { ChangeRunner } from './audited-change.js';

export interface AuditRoutesDeps {
  readonly audit: AuditService;
  readonly change: ChangeRunner;
  /** Resolves an org reference (id or slug) the principal may see, or throws 404. */
  readonly resolveOrg: (principal: TenantPrincipal, ref: string) => Promise<{ id: string }>;
  /** Checks a chain against its signed checkpoints (modules/audit-checkpoints, which builds on this one). */
  readonly checkCheckpoints: (chain: string) => Promise<CheckpointCheckView>;
}

const READERS = { roles: ['admin', 'auditor'] } as const;

const CSV_COLUMNS = [
  'chain',
  'seq',
  'id',
  'tenantId',
  'occurredAt',
  'actorType',
  'actorId',
  'actorName',
  'action',
  'targetType',
  'targetId',
  'orgId',
  'requestId',
  'sourceIp',
  'userAgent',
  'outcome',
  'diff',
  'prevHash',
  'hash',
];

/**
 * Turns each piece written to it into text and joins the texts into chunks of about `size`
 * characters: one socket write per chunk instead of one per line keeps a large export fast.
 */
function chunked<T>(toText: (piece: T) => string, size: number): Transform {
  let pending = '';
  return new Transform({
    writableObjectMode: true,
    transform(piece: T, _encoding, done) {
      pending += toText(piece);
      if (pending.length < size) return done();
      const chunk = pending;
      pending = '';
      done(null, chunk);
    },
    flush(done) {
      done(null, pending.length > 0 ? pending : undefined);
    },
  });
}

/** The export's body: text to a reader of the document, the stream the route sends to the compiler. */
const ExportText = Type.Unsafe<NodeJS.ReadableStream | NodeJS.WritableStream>({ type: 'string' });

export const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesDeps> = async (
  app,
  { audit, change, resolveOrg, checkCheckpoints },
) => {
  async function filterOf(
    principal: TenantPrincipal,
    q: Omit<ExportAuditEventsQuery, 'format'>,
  ): Promise<AuditFilter> {
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from >= to) {
      throw new BadRequestError('AUDIT_RANGE_INVALID', '`from` must be before `to`', {
        errors: [{ pointer: '/query/to', detail: 'must be after from' }],
      });
    }
    return {
      chain: principal.tenantId,
      orgScope: principal.orgScope,
      orgId: q.org ? (await resolveOrg(principal, q.org)).id : undefined,
      actorId: q.actor?.toLowerCase(),
      actionPrefix: q.action,
      targetType: q.targetType,
      targetId: q.targetId,
      from,
      to,
    };
  }

  app.get(
    '/v1/audit-events',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'Audit events, newest first, filtered',
        querystring: ListAuditEventsQuery,
        response: { 200: Page(AuditEventView, 'audit events') },
      },
    },
    async (request) => {
      const principal = tenantPrincipalOf(request);
      const { limit = 50, cursor, ...filters } = request.query;
      const before = cursor ? Number(decodeCursor(cursor, ['number'])[0]) : undefined;
      const page = await audit.page(await filterOf(principal, filters), limit, before);
      return {
        items: page.items,
        nextCursor: page.nextBeforeSeq === null ? null : encodeCursor([page.nextBeforeSeq]),
      };
    },
  );

  app.get(
    '/v1/audit-events/export',
    {
      config: { access: READERS },
      schema: {
        operationId: 'exportAuditEvents',
        tags: ['audit'],
        summary: 'Export audit events (NDJSON or CSV), oldest first, streamed; the export itself is audited',
        description:
          'Each line (NDJSON) or row (CSV) carries seq, prevHash and hash, so the export can be verified offline ' +
          'with scripts/verify-audit-export.mjs.',
        querystring: ExportQuerySchema,
        // Streamed as is: Fastify does not serialize a stream, so this documents the answer only.
        response: {
          200: {
            description: 'The events, one per line (NDJSON) or row (CSV)',
            content: {
              'application/x-ndjson': { schema: ExportText },
              'text/csv': { schema: ExportText },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const principal = tenantPrincipalOf(request);
      const { format = 'ndjson', ...filters } = request.query;
      const filter = await filterOf(principal, filters);
      await change(changeContextOf(request), async (_tx, trail) => {
        await trail.record({
          tenantId: principal.tenantId,
          action: 'audit.exported',
          target: { type: 'audit_trail', id: principal.tenantId },
          orgId: filter.orgId ?? null,
          diff: { after: { format, filters } },
        });
      });
      const { rows, release } = await audit.exportRows(filter, format === 'ndjson' ? 'lines' : 'rows');
      // NDJSON: Postgres writes each line, one transform hands on chunks of about 64 kB (one socket
      // write per chunk, not per line). CSV: rows → csv-stringify → chunks.
      const stages =
        format === 'ndjson'
          ? [chunked(lineOf, 64 * 1024)]
          : [
              new Transform({
                objectMode: true,
                transform(row: AuditRow, _encoding, done) {
                  const { actor, target, diff, ...rest } = recordOf(row);
                  done(null, {
                    ...rest,
                    actorType: actor.type,
                    actorId: actor.id,
                    actorName: actor.name,
                    targetType: target.type,
                    targetId: target.id,
                    diff: JSON.stringify(diff),
                  });
                },
              }),
              stringify({ header: true, columns: CSV_COLUMNS }),
              chunked(
                (piece: Buffer | string) => (typeof piece === 'string' ? piece : piece.toString('utf8')),
                64 * 1024,
              ),
            ];
      const body = pipeline(
        [rows, ...stages] as unknown as [NodeJS.ReadableStream, NodeJS.ReadWriteStream],
        (error) => {
          release();
          if (error) request.log.warn({ err: error }, 'audit export stream ended early');
        },
      );
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="audit-${principal.tenantId}-${stamp}.${format}"`,
        )
        .send(body);
    },
  );

  app.get(
    '/v1/audit-events/verify',
    {
      config: { access: { ...READERS, unscoped: true, platform: true } },
      schema: {
        operationId: 'verifyAuditChain',
        tags: ['audit'],
        summary:
          'Recompute the tenant’s hash chain (optionally a range), name the first event that does not match, and check the chain against its signed checkpoints',
        description:
          'The platform admin key verifies the platform’s chain. Checkpoints are checked whatever the range: a chain ' +
          'that ends before a signed head (its newest events were removed), a signed head no longer in the chain, ' +
          'and a checkpoint whose signature does not hold (forged) each make `ok` false.',
        querystring: VerifyQuery,
        response: { 200: VerifyView },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const chain = principal.kind === 'platform' ? PLATFORM_CHAIN : principal.tenantId;
      const { fromSeq, toSeq } = request.query;
      if (fromSeq !== undefined && toSeq !== undefined && fromSeq > toSeq) {
        throw new BadRequestError('AUDIT_RANGE_INVALID', 'fromSeq must not be after toSeq');
      }
      const [result, checkpoints] = await Promise.all([
        audit.verify(chain, { fromSeq, toSeq }),
        checkCheckpoints(chain),
      ]);
      return {
        ok: result.ok && checkpoints.problemCount === 0,
        chain,
        checked: result.checked,
        firstMismatch: result.firstMismatch,
        checkpoints,
        verifiedAt: new Date().toISOString(),
      };
    },
  );
};
