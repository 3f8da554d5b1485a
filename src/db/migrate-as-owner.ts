/**
 * A migration run as the service does it (issue 21): with the owner's connection when there is one
 * (MIGRATION_DATABASE_URL, the embedded owner role), which afterwards gives the runtime role — the
 * role of `runtimePool`, whatever its URL spells — exactly its privileges (runtime-grants.ts).
 * Without one, the runtime's own connection migrates, as before two roles existed; the start-up
 * warning (audit-powers.ts) then says that this role can rewrite the audit trail.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { type MigrationFile, migrate } from './migrator.js';

export async function migrateAsOwner(
  runtimePool: pg.Pool,
  migrationUrl: string | undefined,
  logger: Pick<Logger, 'info' | 'error'>,
  migrations: readonly MigrationFile[],
  applicationName = 'cognigy-sso-migrate',
): Promise<string[]> {
  if (!migrationUrl) return migrate(runtimePool, logger, migrations);
  const { rows } = await runtimePool.query<{ role: string }>('SELECT current_user AS role');
  const runtimeRole = rows[0]?.role as string;
  const owner = new pg.Pool({ connectionString: migrationUrl, max: 1, application_name: applicationName });
  owner.on('error', () => undefined);
  try {
    return await migrate(owner, logger, migrations, { runtimeRole });
  } finally {
    await owner.end();
  }
}
