import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { type MigrationFile, migrationStatus } from '../../db/migrator.js';
import { ServiceUnavailableError } from '../../lib/errors.js';

export interface HealthDeps {
  readonly pool: pg.Pool;
  readonly migrations: readonly MigrationFile[];
}

const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Object({ database: Type.Literal('ok'), migrations: Type.Literal('ok') }),
});

export const healthRoutes: FastifyPluginAsyncTypebox<HealthDeps> = async (app, { pool, migrations }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      logLevel: 'warn',
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      logLevel: 'warn',
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: the database answers and every migration is applied',
        response: { 200: Ready },
      },
    },
    async () => {
      let pending: string[];
      try {
        pending = (await migrationStatus(pool, migrations)).pending;
      } catch {
        throw new ServiceUnavailableError('HEALTH_DATABASE_UNREACHABLE', 'The database does not answer');
      }
      if (pending.length > 0) {
        throw new ServiceUnavailableError(
          'HEALTH_MIGRATIONS_PENDING',
          `Migrations not applied: ${pending.join(', ')}`,
        );
      }
      return { status: 'ready' as const, checks: { database: 'ok' as const, migrations: 'ok' as const } };
    },
  );
};
